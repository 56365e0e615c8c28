package lab

import "strconv"

// dom0Init is dom0's /init: mount the file systems, load the modules, start
// xenstored and xenconsoled (what xencommons does on a full system), then run
// each case's script under its timeout between markers, print the guest's
// console log in base64, and leave QEMU through isa-debug-exit (port 0xf4:
// QEMU exits with (0x10 << 1) | 1 = 33).
func dom0Init(dom0MiB int) string {
	return `#!/bin/sh
export PATH=/usr/lib/xen-4.17/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu
/bin/busybox --install -s /bin 2>/dev/null
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
ln -sf /proc/self/fd /dev/fd; ln -sf fd/0 /dev/stdin; ln -sf fd/1 /dev/stdout; ln -sf fd/2 /dev/stderr
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs -o size=512m tmpfs /tmp
mkdir -p /run/xen /run/xenstored /var/log/xen/console /var/lib/xen /var/lib/xenstored /run/lock
for m in $(cat /etc/mwasm-modules); do insmod /lib/modules/$m 2>&1 | grep -v 'File exists'; done
mount -t xenfs xenfs /proc/xen
xenstored --pid-file /run/xen/xenstored.pid
i=0; until xenstore-read -s / >/dev/null 2>&1; do i=$((i+1)); [ $i -gt 200 ] && { echo "MWASM-LAB xenstored did not come up"; break; }; sleep 0.1; done
xen-init-dom0 >/dev/null
xenconsoled --pid-file /run/xen/xenconsoled.pid --log=guest --log-dir=/var/log/xen/console
# The guests' network: bridge xenbr0 with dom0 at 10.0.3.1/24, a DHCP server
# handing out 10.0.3.100-199; and the disk backend (blkback over loop devices).
for m in $(cat /etc/mwasm-modules-backends); do insmod /lib/modules/$m 2>&1 | grep -v 'File exists'; done
ip link set lo up
brctl addbr xenbr0 && ip addr add 10.0.3.1/24 dev xenbr0 && ip link set xenbr0 up
printf 'start 10.0.3.100\nend 10.0.3.199\ninterface xenbr0\nopt subnet 255.255.255.0\nopt router 10.0.3.1\nopt lease 3600\nlease_file /run/udhcpd.leases\n' > /run/udhcpd.conf
touch /run/udhcpd.leases
udhcpd /run/udhcpd.conf
echo "MWASM-LAB ready dom0=` + strconv.Itoa(dom0MiB) + `M uptime=$(cut -d' ' -f1 /proc/uptime)"
for d in $(cat /cases/list); do
    name=$(cat /$d/name); to=$(cat /$d/timeout)
    echo "MWASM-BEGIN $name"
    [ -f /$d/disk-mb ] && truncate -s "$(cat /$d/disk-mb)M" /tmp/disk-$name.img
    (cd /$d && CASE=$name IMG=/$d/image CFG=/$d/cfg CASEDIR=/$d timeout $to bash -c '. /lib/mwasm-lab.sh; . ./script') 2>&1
    st=$?
    xl destroy $name >/dev/null 2>&1
    sleep 0.2
    log=/var/log/xen/console/guest-$name.log
    [ -f $log ] && base64 $log | sed "s/^/MWASM-CONSOLE $name /"
    echo "MWASM-END $name status=$st"
done
echo "MWASM-LAB done uptime=$(cut -d' ' -f1 /proc/uptime)"
sync
printf '\020' | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
poweroff -f
`
}

// dom0Lib is sourced by every case script. $CASE is the case (and domain)
// name, $CFG its xl config, $IMG its image, $CASEDIR its directory.
const dom0Lib = `
# mark NAME: a timestamp (seconds, microsecond resolution) for the Go side.
mark() { echo "MWASM-MARK $CASE $1 $EPOCHREALTIME"; }

# start_guest [CFG]: xl create -F in the background (its log tells the
# shutdown reason), returning once the domain exists.
start_guest() {
    local cfg=${1:-$CFG}
    mark create
    xl -v create -F "$cfg" > /tmp/xl-$CASE.log 2>&1 &
    XLPID=$!
    local i=0
    until xl domid $CASE >/dev/null 2>&1; do
        i=$((i+1)); [ $i -gt 600 ] && { echo "the domain did not appear"; cat /tmp/xl-$CASE.log; return 1; }
        if ! kill -0 $XLPID 2>/dev/null; then
            # Gone already: a guest that ran to its end between two looks.
            grep -q "has shut down" /tmp/xl-$CASE.log && break
            echo "xl create failed:"; grep -v 'detail:' /tmp/xl-$CASE.log; return 1
        fi
        sleep 0.05
    done
    mark started
}

# wait_guest [SECONDS]: wait for the domain started by start_guest to end,
# then print its shutdown reason (or timeout, after destroying it).
wait_guest() {
    local t=${1:-30} i=0
    while kill -0 $XLPID 2>/dev/null; do
        i=$((i+1))
        if [ $i -gt $((t*20)) ]; then
            echo "MWASM-SHUTDOWN $CASE timeout"
            xl destroy $CASE 2>/dev/null
            wait $XLPID
            return 1
        fi
        sleep 0.05
    done
    wait $XLPID
    mark ended
    local code=$(sed -n 's/.*has shut down, reason code \([0-9]*\).*/\1/p' /tmp/xl-$CASE.log | head -1)
    case "$code" in
        0) echo "MWASM-SHUTDOWN $CASE poweroff" ;;
        1) echo "MWASM-SHUTDOWN $CASE reboot" ;;
        3) echo "MWASM-SHUTDOWN $CASE crash" ;;
        "") echo "MWASM-SHUTDOWN $CASE none"; grep -v 'detail:' /tmp/xl-$CASE.log ;;
        *) echo "MWASM-SHUTDOWN $CASE code$code" ;;
    esac
}

# run_guest [SECONDS]: start the guest and wait for its end.
run_guest() { start_guest && wait_guest "$@"; }

# console_log: the guest's console so far.
console_log() { cat /var/log/xen/console/guest-$CASE.log 2>/dev/null; }

# wait_console TEXT [SECONDS]: wait until the console shows TEXT.
wait_console() {
    local t=${2:-30} i=0
    until grep -qF -- "$1" /var/log/xen/console/guest-$CASE.log 2>/dev/null; do
        i=$((i+1)); [ $i -gt $((t*50)) ] && { echo "no \"$1\" on the console within $t s"; return 1; }
        sleep 0.02
    done
    mark "console"
}

# first_output [SECONDS]: wait (polling every 5 ms) until the console log is
# not empty, then mark "output".
first_output() {
    local t=${1:-30} i=0
    until [ -s /var/log/xen/console/guest-$CASE.log ]; do
        i=$((i+1)); [ $i -gt $((t*200)) ] && { echo "no console output within $t s"; return 1; }
        sleep 0.005
    done
    mark output
}

# cpu_seconds: the domain's CPU time so far (xl list's Time(s)).
cpu_seconds() { xl list $CASE | awk 'NR==2 {print $6}'; }
`
