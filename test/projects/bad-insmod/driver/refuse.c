// A module that refuses to load, saying why in the kernel log.
#include <linux/module.h>

static int answer;
module_param(answer, int, 0444);

static int __init refuse_init(void)
{
	pr_err("refuse: not today (answer=%d)\n", answer);
	return -ENODEV;
}
module_init(refuse_init);
MODULE_LICENSE("GPL");
