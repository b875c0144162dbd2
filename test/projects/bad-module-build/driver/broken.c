// Does not compile: an undeclared identifier.
#include <linux/module.h>

static int __init broken_init(void)
{
	return undeclared_thing;
}
module_init(broken_init);
MODULE_LICENSE("GPL");
