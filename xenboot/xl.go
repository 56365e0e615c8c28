package xenboot

import (
	"fmt"
	"strings"
)

// XLConfig is the xl config of an image: what `xl create` needs to start it.
// kernel is the image's path as xl will see it (mwasm build writes the
// absolute path it wrote the image to: edit it when moving the files).
//
// Devices: a vif on o.NetBridge (xenbr0) with o.NetMAC if set; a disk, xvda,
// raw, read-write, backed by o.DiskFile through script=block (blkback on a
// loop device in dom0: it works without QEMU's disk backend, and passes
// flushes to the file).
func XLConfig(o Options, kernel string, memoryMiB int) string {
	name, compiler := o.Name, o.Compiler
	var b strings.Builder
	fmt.Fprintf(&b, "# xl config of %s, written by %s: xl create %s.xl\n", name, compiler, kernel)
	fmt.Fprintf(&b, "name = %q\n", name)
	b.WriteString("type = \"pvh\"\n")
	fmt.Fprintf(&b, "kernel = %q\n", kernel)
	fmt.Fprintf(&b, "memory = %d\n", memoryMiB)
	b.WriteString("vcpus = 1\n")
	if o.Net {
		br := o.NetBridge
		if br == "" {
			br = "xenbr0"
		}
		v := "bridge=" + br
		if o.NetMAC != "" {
			v = "mac=" + o.NetMAC + "," + v
		}
		fmt.Fprintf(&b, "vif = [ '%s' ]\n", v)
	}
	if o.Disk {
		fmt.Fprintf(&b, "disk = [ 'format=raw,vdev=xvda,access=rw,script=block,target=%s' ]\n", o.DiskFile)
	}
	b.WriteString("# More arguments for the app, after those fixed at build time:\n# extra = \"-flag value\"\n")
	b.WriteString("on_poweroff = \"destroy\"\n")
	b.WriteString("on_reboot = \"restart\"\n")
	b.WriteString("on_crash = \"destroy\"\n")
	return b.String()
}
