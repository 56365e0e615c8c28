package xenboot

import (
	"fmt"
	"strings"
)

// XLConfig is the xl config of an image: what `xl create` needs to start it.
// kernel is the image's path as xl will see it (mwasm build writes the
// absolute path it wrote the image to: edit it when moving the files).
func XLConfig(name, kernel string, memoryMiB int, compiler string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# xl config of %s, written by %s: xl create %s.xl\n", name, compiler, kernel)
	fmt.Fprintf(&b, "name = %q\n", name)
	b.WriteString("type = \"pvh\"\n")
	fmt.Fprintf(&b, "kernel = %q\n", kernel)
	fmt.Fprintf(&b, "memory = %d\n", memoryMiB)
	b.WriteString("vcpus = 1\n")
	b.WriteString("# More arguments for the app, after those fixed at build time:\n# extra = \"-flag value\"\n")
	b.WriteString("on_poweroff = \"destroy\"\n")
	b.WriteString("on_reboot = \"restart\"\n")
	b.WriteString("on_crash = \"destroy\"\n")
	return b.String()
}
