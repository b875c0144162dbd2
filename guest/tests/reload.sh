#!/bin/sh
# reload.sh MODULE DEVNODE CHECK - unload and reload a project's driver, then
# run the test program CHECK again (TAP). The module comes from /cosim/modules
# with the parameters /cosim/project/modules gives it.
module=$1 node=$2 check=$3
[ -n "$check" ] || { echo "usage: reload.sh MODULE DEVNODE CHECK"; exit 2; }
params=$(sed -n "s/^$module\.ko *//p" /cosim/project/modules 2>/dev/null)
echo "1..5"
n=0 fails=0
step() {	# step RC DESC [REASON]
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"
	else echo "not ok $n - $2${3:+ # $3}"; fails=$((fails + 1)); fi
}
gone() { [ ! -e "$node" ]; }
wait_gone() { i=0; while ! gone && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done; gone; }
out=$(rmmod "$module" 2>&1); step $? "rmmod $module" "$out"
wait_gone; step $? "$node removed"
# shellcheck disable=SC2086
out=$(insmod "/cosim/modules/$module.ko" $params 2>&1); step $? "insmod $module.ko" "$out"
out=$(wait-dev "$node" 5 2>&1); step $? "$node reappeared" "$out"
out=$("$check" 2>&1); rc=$?
echo "$out" | sed 's/^/#   /'
step $rc "$check passes after reload" "$check rc=$rc"
[ $fails = 0 ]
