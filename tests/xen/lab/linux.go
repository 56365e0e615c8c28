package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// LinuxGuest describes a Linux domU (PV by default) running one native program: the
// peer the benchmarks compare mwasm's images with (Debian's kernel, a busybox
// initramfs, the program; netfront and blkfront are Debian's modules).
type LinuxGuest struct {
	App     string   // host path of a static Linux executable
	Args    []string // its arguments
	IP, GW  string   // eth0's address (CIDR) and gateway
	Memory  int      // MiB (default 128)
	Net     bool
	Disk    bool // xvda, seen by the program as /dev/disk0 with the MWASM_DISK0_* facts
	AppName string
	Extra   string // the kernel command line (default "console=hvc0 quiet")
	Type    string // the domain type (default "pv"; PVH Linux crashes in its FPU set-up under QEMU's TCG)
}

// Build writes the guest's initramfs and xl config into dir and returns the
// Case fields: the kernel (Image), the config (XL) and the initramfs (Files).
func (g LinuxGuest) Build(l *Lab, dir, name string) (Case, error) {
	if g.Memory == 0 {
		g.Memory = 128
	}
	w := newCpio()
	for _, d := range []string{"bin", "proc", "sys", "dev", "tmp", "lib/modules"} {
		w.dir(d)
	}
	w.symlink("bin/sh", "busybox")
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		return Case{}, err
	}
	w.file("bin/busybox", bb, 0o755)
	app, err := os.ReadFile(g.App)
	if err != nil {
		return Case{}, err
	}
	w.file("app", app, 0o755)
	for _, m := range []string{"drivers/net/xen-netfront.ko", "drivers/block/xen-blkfront.ko"} {
		data, err := os.ReadFile("/lib/modules/" + l.kver + "/kernel/" + m)
		if err != nil {
			return Case{}, err
		}
		w.file("lib/modules/"+filepath.Base(m), data, 0o644)
	}
	var b strings.Builder
	b.WriteString("#!/bin/sh\n/bin/busybox --install -s /bin\nmount -t proc proc /proc\nmount -t sysfs sysfs /sys\nmount -t devtmpfs devtmpfs /dev\n")
	b.WriteString("insmod /lib/modules/xen-netfront.ko\ninsmod /lib/modules/xen-blkfront.ko\nip link set lo up\n")
	if g.Net {
		b.WriteString("i=0; until ip link show eth0 >/dev/null 2>&1; do i=$((i+1)); [ $i -gt 100 ] && break; sleep 0.1; done\n")
		fmt.Fprintf(&b, "ip addr add %s dev eth0\nip link set eth0 up\n", g.IP)
		if g.GW != "" {
			fmt.Fprintf(&b, "ip route add default via %s\n", g.GW)
		}
	}
	if g.Disk {
		b.WriteString("i=0; until [ -b /dev/xvda ]; do i=$((i+1)); [ $i -gt 100 ] && break; sleep 0.1; done\n")
		b.WriteString("ln -s /dev/xvda /dev/disk0\nexport MWASM_DISK0_SECTOR_SIZE=512 MWASM_DISK0_SECTORS=$(blockdev --getsz /dev/xvda)\n")
	}
	name0 := g.AppName
	if name0 == "" {
		name0 = filepath.Base(g.App)
	}
	fmt.Fprintf(&b, "echo \"linux: starting %s\"\n/app", name0)
	for _, a := range g.Args {
		fmt.Fprintf(&b, " '%s'", a)
	}
	b.WriteString("\necho \"linux: exit status $?\"\npoweroff -f\n")
	w.file("init", []byte(b.String()), 0o755)
	initrd := filepath.Join(dir, name+".initrd")
	if err := os.WriteFile(initrd, w.finish(), 0o644); err != nil {
		return Case{}, err
	}
	var cfg strings.Builder
	if g.Extra == "" {
		g.Extra = "console=hvc0 quiet"
	}
	if g.Type == "" {
		g.Type = "pv"
	}
	fmt.Fprintf(&cfg, "type = %q\nmemory = %d\nvcpus = 1\nramdisk = \"@CASEDIR@/initrd\"\nextra = %q\n", g.Type, g.Memory, g.Extra)
	if g.Net {
		cfg.WriteString("vif = [ 'bridge=xenbr0' ]\n")
	}
	if g.Disk {
		cfg.WriteString("disk = [ 'format=raw,vdev=xvda,access=rw,script=block,target=/tmp/x.img' ]\n")
	}
	cfg.WriteString("on_poweroff = \"destroy\"\non_crash = \"destroy\"\n")
	xl := filepath.Join(dir, name+".xl")
	if err := os.WriteFile(xl, []byte(cfg.String()), 0o644); err != nil {
		return Case{}, err
	}
	vmlinuz := "/boot/vmlinuz-" + l.kver
	return Case{Name: name, Image: vmlinuz, XL: xl, Files: map[string]string{"initrd": initrd}}, nil
}
