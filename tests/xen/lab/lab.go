// Package lab runs guest images on real Xen: Debian's Xen 4.17 hypervisor
// and a Linux dom0 (Debian's kernel, a busybox initramfs with the xl
// toolstack) booted inside QEMU with TCG (`-cpu max` gives Xen emulated AMD
// SVM with nested paging, so PVH guests run; the KVM device of these machines
// cannot run Xen). One boot of dom0 runs a whole batch of cases, one after the
// other: a boot costs several seconds under TCG, a guest about one.
//
// Setup installs what is missing from Debian's packages (apt-get; CI runs as
// root), then prepares, once per kernel and cached in Options.Dir: Xen
// uncompressed (QEMU's multiboot loader takes no gzip), the dom0 kernel as an
// ELF vmlinux (Xen boots it seconds faster than the bzImage under TCG), and a
// base initramfs with busybox, bash, flock, the toolstack with its libraries
// and the kernel modules it needs. Run adds a second cpio archive (the kernel
// unpacks both) with the dom0 /init, the case scripts, images and configs.
//
// Each case is a bash script run in dom0 (with the helpers of dom0Lib: run a
// guest to its end, start one in the background, wait for console text, print
// timings) under a timeout; its output, the guest's console log (base64, so
// that Xen's own messages on the same serial line cannot garble it) and the
// shutdown reason come back on the serial console between markers, and Run
// returns them per case. dom0 leaves QEMU through isa-debug-exit, so a
// crashed or hung dom0 is told from a finished one.
//
// Traps learned while building this (see also shared/xen-lab): Xen needs
// smap=0 under QEMU 7.2 TCG; file-backed disks need script=block (no QEMU disk
// backend in dom0); the initramfs needs libgcc_s (xl aborts without it),
// /dev/stdin links and flock for the hotplug scripts, and the modules in
// load order (insmod resolves nothing).
package lab

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Packages are the Debian packages the lab needs on the host.
var Packages = []string{"qemu-system-x86", "xen-hypervisor-4.17-amd64", "xen-utils-4.17", "linux-image-amd64", "busybox-static", "bash", "util-linux"}

// Options configure the lab.
type Options struct {
	Dir     string        // cache and work directory (default: $TMPDIR/mwasm-xenlab)
	Memory  int           // QEMU RAM in MiB (default 4096)
	Dom0MiB int           // dom0 memory (default 2048: the initramfs holds every image, unpacked in RAM)
	Timeout time.Duration // the whole boot (default: 5 min + the cases' timeouts)
	Log     io.Writer     // progress and the serial console, if set
	// Dom0Bins are host programs copied into dom0 with their libraries
	// (curl, ab...).
	Dom0Bins []string
	// Files are extra files for dom0: path in dom0 -> host path.
	Files map[string]string
}

// Case is one guest run.
type Case struct {
	Name    string        // [a-z0-9-]+, unique: also the domain's name
	Image   string        // host path of the image (dom0: $IMG)
	XL      string        // host path of its xl config (dom0: $CFG; name and kernel rewritten)
	Script  string        // bash run in dom0; empty: run_guest
	Timeout time.Duration // the script's (default 60 s)
	Files   map[string]string
	// DiskMB, when set, makes the xl config's disk target /tmp/disk-NAME.img
	// in dom0, a zeroed file of that size (script=block: blkback on a loop
	// device), created before the script runs and kept while it runs.
	DiskMB int
}

// Result is what one case left on the console.
type Result struct {
	Name     string
	Output   string // the script's output (dom0 side), Xen's own lines removed
	Console  string // the guest's console log
	Shutdown string // "poweroff", "reboot", "crash", "timeout" or "" (not run by run_guest)
	Status   int    // the script's exit status (124: timeout)
	Marks    map[string]float64
}

// Lab is a prepared lab.
type Lab struct {
	o      Options
	xen    string // uncompressed hypervisor
	kernel string // dom0 kernel
	base   string // base initramfs (cpio)
	kver   string
}

func (o *Options) defaults() {
	if o.Dir == "" {
		o.Dir = filepath.Join(os.TempDir(), "mwasm-xenlab")
	}
	if o.Memory == 0 {
		o.Memory = 4096
	}
	if o.Dom0MiB == 0 {
		o.Dom0MiB = 2048
	}
}

func (l *Lab) logf(format string, args ...any) {
	if l.o.Log != nil {
		fmt.Fprintf(l.o.Log, "[xenlab] "+format+"\n", args...)
	}
}

// Setup installs the packages and prepares the cached pieces.
func Setup(ctx context.Context, o Options) (*Lab, error) {
	o.defaults()
	l := &Lab{o: o}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}
	if err := l.install(ctx); err != nil {
		return nil, err
	}
	if err := l.prepare(ctx); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *Lab) install(ctx context.Context) error {
	return Install(ctx, l.o.Log, Packages...)
}

// Install installs the Debian packages of pkgs that are missing (as root,
// with apt-get), saying so on log.
func Install(ctx context.Context, log io.Writer, pkgs ...string) error {
	var missing []string
	for _, p := range pkgs {
		out, _ := exec.CommandContext(ctx, "dpkg-query", "-W", "-f=${Status}", p).Output()
		if !strings.Contains(string(out), "install ok installed") {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("xenlab: missing Debian packages %s and not root: install them with apt-get install %s", strings.Join(missing, " "), strings.Join(missing, " "))
	}
	if log != nil {
		fmt.Fprintf(log, "[xenlab] installing %s\n", strings.Join(missing, " "))
	}
	env := append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	for _, args := range [][]string{
		{"-o", "DPkg::Lock::Timeout=600", "update", "-qq"},
		append([]string{"-o", "DPkg::Lock::Timeout=600", "install", "-y", "-qq", "--no-install-recommends"}, missing...),
	} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("xenlab: apt-get %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}

func (l *Lab) prepare(ctx context.Context) error {
	// The hypervisor, uncompressed.
	gz, _ := filepath.Glob("/boot/xen-4.17*.gz")
	if len(gz) == 0 {
		gz, _ = filepath.Glob("/boot/xen-*.gz")
	}
	if len(gz) == 0 {
		return errors.New("xenlab: no /boot/xen-*.gz (package xen-hypervisor-4.17-amd64)")
	}
	sort.Strings(gz)
	l.xen = filepath.Join(l.o.Dir, "xen")
	if !fresh(l.xen, gz[len(gz)-1]) {
		if err := run(ctx, "sh", "-c", "zcat '"+gz[len(gz)-1]+"' > '"+l.xen+".tmp' && mv '"+l.xen+".tmp' '"+l.xen+"'"); err != nil {
			return fmt.Errorf("xenlab: gunzip %s: %v", gz[len(gz)-1], err)
		}
	}
	// The newest kernel with modules, and its ELF vmlinux.
	vms, _ := filepath.Glob("/boot/vmlinuz-*")
	sort.Strings(vms)
	for _, v := range vms {
		k := strings.TrimPrefix(filepath.Base(v), "vmlinuz-")
		if st, err := os.Stat("/lib/modules/" + k); err == nil && st.IsDir() {
			l.kver = k
		}
	}
	if l.kver == "" {
		return errors.New("xenlab: no /boot/vmlinuz-* with modules (package linux-image-amd64)")
	}
	cfg, _ := os.ReadFile("/boot/config-" + l.kver)
	if !bytes.Contains(cfg, []byte("CONFIG_XEN_PV_DOM0=y")) {
		return fmt.Errorf("xenlab: kernel %s lacks CONFIG_XEN_PV_DOM0", l.kver)
	}
	bz := "/boot/vmlinuz-" + l.kver
	l.kernel = filepath.Join(l.o.Dir, "vmlinux-"+l.kver)
	if !fresh(l.kernel, bz) {
		if err := extractVmlinux(bz, l.kernel); err != nil {
			l.logf("no ELF vmlinux (%v): dom0 boots from the bzImage (slower)", err)
			l.kernel = bz
		}
	}
	l.base = filepath.Join(l.o.Dir, "base-"+l.kver+".cpio")
	if !fresh(l.base, "/usr/lib/xen-4.17/bin/xl") || !fresh(l.base, "/bin/busybox") {
		if err := l.buildBase(); err != nil {
			return err
		}
	}
	return nil
}

// fresh reports whether out exists and is newer than in.
func fresh(out, in string) bool {
	so, err := os.Stat(out)
	if err != nil {
		return false
	}
	si, err := os.Stat(in)
	return err == nil && so.ModTime().After(si.ModTime())
}

func run(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}

// extractVmlinux finds the xz, gzip or zstd payload of a bzImage that
// decompresses to an ELF file.
func extractVmlinux(bz, out string) error {
	data, err := os.ReadFile(bz)
	if err != nil {
		return err
	}
	tries := []struct {
		magic []byte
		cmd   []string
	}{
		{[]byte{0xFD, '7', 'z', 'X', 'Z', 0}, []string{"busybox", "unxz", "-c"}},
		{[]byte{0x1F, 0x8B, 0x08}, []string{"busybox", "gunzip", "-c"}},
		{[]byte{0x28, 0xB5, 0x2F, 0xFD}, []string{"zstd", "-dcq"}},
	}
	for _, t := range tries {
		for at := bytes.Index(data, t.magic); at >= 0; {
			cmd := exec.Command(t.cmd[0], t.cmd[1:]...)
			cmd.Stdin = bytes.NewReader(data[at:])
			var buf bytes.Buffer
			cmd.Stdout = &buf
			cmd.Run() // trailing data makes the decompressors complain: check the result
			if bytes.HasPrefix(buf.Bytes(), []byte("\x7fELF")) {
				return os.WriteFile(out, buf.Bytes(), 0o644)
			}
			next := bytes.Index(data[at+1:], t.magic)
			if next < 0 {
				break
			}
			at += 1 + next
		}
	}
	return errors.New("no compressed ELF payload found")
}

// Modules dom0 loads, in order (insmod does not resolve dependencies).
var (
	basicModules   = []string{"drivers/xen/xen-privcmd.ko", "drivers/xen/xenfs/xenfs.ko", "drivers/xen/xen-evtchn.ko", "drivers/xen/xen-gntdev.ko", "drivers/xen/xen-gntalloc.ko"}
	backendModules = []string{"net/llc/llc.ko", "net/802/stp.ko", "net/bridge/bridge.ko", "drivers/net/xen-netback/xen-netback.ko", "drivers/block/xen-blkback/xen-blkback.ko", "drivers/block/loop.ko"}
)

const xenBin = "/usr/lib/xen-4.17/bin"

func (l *Lab) buildBase() error {
	w := newCpio()
	for _, d := range []string{"bin", "sbin", "usr/bin", "usr/sbin", "etc/xen", "proc", "sys", "dev", "run", "tmp", "var/lib", "var/log", "root", "lib/modules", "guests", "cases"} {
		w.dir(d)
	}
	w.symlink("var/run", "../run")
	w.symlink("var/lock", "../run/lock")
	w.symlink("bin/sh", "busybox")
	var bins []string
	add := func(host, dst string) error {
		data, err := os.ReadFile(host)
		if err != nil {
			return err
		}
		st, _ := os.Stat(host)
		w.file(strings.TrimPrefix(dst, "/"), data, uint32(st.Mode().Perm()))
		return nil
	}
	if err := add("/bin/busybox", "bin/busybox"); err != nil {
		return fmt.Errorf("xenlab: %v (package busybox-static)", err)
	}
	for _, b := range []string{xenBin + "/xl", xenBin + "/xenstored", xenBin + "/xenconsoled", xenBin + "/xen-init-dom0", xenBin + "/xenconsole", "/bin/bash", "/usr/bin/flock"} {
		if err := add(b, b); err != nil {
			return fmt.Errorf("xenlab: %v", err)
		}
		bins = append(bins, b)
	}
	for _, g := range []string{"/usr/bin/xenstore", "/usr/bin/xenstore-*"} {
		ms, _ := filepath.Glob(g)
		for _, m := range ms {
			if fi, err := os.Lstat(m); err == nil && fi.Mode()&os.ModeSymlink != 0 {
				t, _ := os.Readlink(m)
				w.symlink(strings.TrimPrefix(m, "/"), t)
				continue
			}
			add(m, m)
			bins = append(bins, m)
		}
	}
	libs, err := sharedLibs(bins)
	if err != nil {
		return err
	}
	libs = append(libs, "/lib/x86_64-linux-gnu/libgcc_s.so.1") // glibc dlopens it (xl aborts at exit without)
	for _, lib := range libs {
		if err := add(lib, lib); err != nil {
			return fmt.Errorf("xenlab: %v", err)
		}
	}
	if err := add("/lib64/ld-linux-x86-64.so.2", "lib64/ld-linux-x86-64.so.2"); err != nil {
		return err
	}
	filepath.Walk("/etc/xen/scripts", func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			add(p, p)
		}
		return nil
	})
	add("/etc/xen/xl.conf", "/etc/xen/xl.conf")
	var basic, backends []string
	for _, m := range append(append([]string{}, basicModules...), backendModules...) {
		src := "/lib/modules/" + l.kver + "/kernel/" + m
		data, err := os.ReadFile(src)
		if err != nil {
			return fmt.Errorf("xenlab: kernel module %v", err)
		}
		w.file("lib/modules/"+filepath.Base(m), data, 0o644)
		if contains(basicModules, m) {
			basic = append(basic, filepath.Base(m))
		} else {
			backends = append(backends, filepath.Base(m))
		}
	}
	w.file("etc/mwasm-modules", []byte(strings.Join(basic, "\n")+"\n"), 0o644)
	w.file("etc/mwasm-modules-backends", []byte(strings.Join(backends, "\n")+"\n"), 0o644)
	tmp := l.base + ".tmp"
	if err := os.WriteFile(tmp, w.finish(), 0o644); err != nil {
		return err
	}
	l.logf("base initramfs for %s: %d files", l.kver, w.n)
	return os.Rename(tmp, l.base)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// sharedLibs lists what ldd reports for the binaries.
func sharedLibs(bins []string) ([]string, error) {
	out, err := exec.Command("ldd", bins...).Output()
	if err != nil && len(out) == 0 {
		return nil, fmt.Errorf("xenlab: ldd: %v", err)
	}
	seen := map[string]bool{}
	var libs []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		for i, x := range f {
			if x == "=>" && i+1 < len(f) && strings.HasPrefix(f[i+1], "/") && !seen[f[i+1]] {
				seen[f[i+1]] = true
				libs = append(libs, f[i+1])
			}
		}
	}
	sort.Strings(libs)
	return libs, nil
}

var nameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// Run boots dom0 once and runs the cases in order.
func (l *Lab) Run(ctx context.Context, cases []Case) (map[string]*Result, string, error) {
	w := newCpio()
	w.file("init", []byte(dom0Init(l.o.Dom0MiB)), 0o755)
	w.file("lib/mwasm-lab.sh", []byte(dom0Lib), 0o644)
	total := 5 * time.Minute
	var list []string
	images := map[string]string{}
	for i, c := range cases {
		if !nameRe.MatchString(c.Name) {
			return nil, "", fmt.Errorf("xenlab: case name %q: use [a-z0-9-]", c.Name)
		}
		dir := fmt.Sprintf("cases/%03d-%s", i, c.Name)
		list = append(list, dir)
		w.dir(dir)
		to := c.Timeout
		if to == 0 {
			to = 60 * time.Second
		}
		total += to
		script := c.Script
		if script == "" {
			script = "run_guest"
		}
		w.file(dir+"/script", []byte(script+"\n"), 0o755)
		w.file(dir+"/timeout", []byte(strconv.Itoa(int(to.Seconds()))+"\n"), 0o644)
		w.file(dir+"/name", []byte(c.Name+"\n"), 0o644)
		img := "/" + dir + "/image"
		if c.Image != "" {
			// One copy of an image however many cases boot it.
			if p, ok := images[c.Image]; ok {
				w.symlink(dir+"/image", p)
				img = p
			} else {
				data, err := os.ReadFile(c.Image)
				if err != nil {
					return nil, "", err
				}
				w.file(dir+"/image", data, 0o644)
				images[c.Image] = img
			}
		}
		if c.XL != "" {
			cfg, err := os.ReadFile(c.XL)
			if err != nil {
				return nil, "", err
			}
			disk := ""
			if c.DiskMB > 0 {
				disk = "/tmp/disk-" + c.Name + ".img"
				w.file(dir+"/disk-mb", []byte(strconv.Itoa(c.DiskMB)), 0o644)
			}
			w.file(dir+"/cfg", []byte(strings.ReplaceAll(rewriteXL(string(cfg), c.Name, img, disk), "@CASEDIR@", "/"+dir)), 0o644)
		}
		for dst, src := range c.Files {
			data, err := os.ReadFile(src)
			if err != nil {
				return nil, "", err
			}
			w.file(dir+"/"+strings.TrimPrefix(dst, "/"), data, 0o755)
		}
	}
	w.file("cases/list", []byte(strings.Join(list, "\n")+"\n"), 0o644)
	for dst, src := range l.o.Files {
		data, err := os.ReadFile(src)
		if err != nil {
			return nil, "", err
		}
		w.file(strings.TrimPrefix(dst, "/"), data, 0o755)
	}
	if len(l.o.Dom0Bins) > 0 {
		libs, err := sharedLibs(l.o.Dom0Bins)
		if err != nil {
			return nil, "", err
		}
		for _, p := range append(append([]string{}, l.o.Dom0Bins...), libs...) {
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, "", err
			}
			w.file(strings.TrimPrefix(p, "/"), data, 0o755)
		}
	}
	base, err := os.ReadFile(l.base)
	if err != nil {
		return nil, "", err
	}
	initrd := filepath.Join(l.o.Dir, fmt.Sprintf("initrd-%d.cpio", os.Getpid()))
	if err := os.WriteFile(initrd, append(base, w.finish()...), 0o644); err != nil {
		return nil, "", err
	}
	defer os.Remove(initrd)
	if l.o.Timeout != 0 {
		total = l.o.Timeout
	}
	ctx, cancel := context.WithTimeout(ctx, total)
	defer cancel()
	xenCmd := fmt.Sprintf("console=com1 com1=115200 dom0_mem=%dM,max:%dM smap=0 bootscrub=0 loglvl=warning guest_loglvl=warning", l.o.Dom0MiB, l.o.Dom0MiB)
	args := []string{"-accel", "tcg", "-cpu", "max", "-m", strconv.Itoa(l.o.Memory), "-smp", "1",
		"-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot",
		"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
		"-kernel", l.xen, "-append", xenCmd,
		"-initrd", l.kernel + " console=hvc0 earlyprintk=xen panic=-1 quiet," + initrd}
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64", args...)
	var serial bytes.Buffer
	out := io.Writer(&serial)
	if l.o.Log != nil {
		out = io.MultiWriter(&serial, l.o.Log)
	}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Stdin = nil
	l.logf("booting Xen and dom0 with %d cases", len(cases))
	start := time.Now()
	err = cmd.Run()
	log := serial.String()
	res := parse(log)
	l.logf("QEMU ran %.1f s", time.Since(start).Seconds())
	if ctx.Err() != nil {
		return res, log, fmt.Errorf("xenlab: QEMU did not finish within %v", total)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 33 {
		return res, log, nil
	}
	if !strings.Contains(log, "MWASM-LAB done") {
		return res, log, fmt.Errorf("xenlab: dom0 did not finish its cases (QEMU: %v)", err)
	}
	return res, log, nil
}

var targetRe = regexp.MustCompile(`target=[^,'"]*`)

// rewriteXL sets the name and the kernel of an xl config and, when disk is
// set, the disk line's target (with script=block).
func rewriteXL(cfg, name, kernel, disk string) string {
	var out []string
	for _, line := range strings.Split(cfg, "\n") {
		k := strings.TrimSpace(strings.SplitN(line, "=", 2)[0])
		switch k {
		case "name", "kernel":
			continue
		case "disk":
			if disk != "" {
				line = targetRe.ReplaceAllString(line, "target="+disk)
				if !strings.Contains(line, "script=") {
					line = strings.Replace(line, "target=", "script=block,target=", 1)
				}
			}
		}
		out = append(out, line)
	}
	return fmt.Sprintf("name = %q\nkernel = %q\n", name, kernel) + strings.Join(out, "\n")
}

var markRe = regexp.MustCompile(`MWASM-(BEGIN|END|CONSOLE|SHUTDOWN|MARK) ([a-z0-9-]+)(?: (.*))?$`)

// parse splits the serial log into the cases' results.
func parse(log string) map[string]*Result {
	res := map[string]*Result{}
	var cur *Result
	var out strings.Builder
	var b64 strings.Builder
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		m := markRe.FindStringSubmatch(line)
		if m == nil {
			if cur != nil && !strings.HasPrefix(line, "(XEN)") {
				out.WriteString(line + "\n")
			}
			continue
		}
		name, rest := m[2], m[3]
		switch m[1] {
		case "BEGIN":
			cur = &Result{Name: name, Status: -1, Marks: map[string]float64{}}
			res[name] = cur
			out.Reset()
			b64.Reset()
		case "CONSOLE":
			b64.WriteString(rest)
		case "SHUTDOWN":
			if cur != nil {
				cur.Shutdown = rest
			}
		case "MARK":
			if cur != nil {
				f := strings.Fields(rest)
				if len(f) == 2 {
					v, _ := strconv.ParseFloat(f[1], 64)
					cur.Marks[f[0]] = v
				}
			}
		case "END":
			if cur != nil && cur.Name == name {
				cur.Output = out.String()
				cur.Status, _ = strconv.Atoi(strings.TrimPrefix(rest, "status="))
				dec, err := base64.StdEncoding.DecodeString(b64.String())
				if err != nil {
					cur.Console = "(console log garbled: " + err.Error() + ")"
				} else {
					cur.Console = string(dec)
				}
				cur = nil
			}
		}
	}
	return res
}
