// Command xenbench measures mwasm's Xen images on real Xen (tests/xen/lab:
// Xen 4.17 and a Linux dom0 in QEMU with TCG), all in one boot of dom0, and
// writes a report: the size of the images of hello-c, hello and httpd; for
// hello-c and hello, the time from `xl create` to the first console output
// and to the domain's end, and from the PVH entry to the app's _start (the
// image's --boot-trace line); the smallest memory each boots in; and the same
// times of a bare PVH guest on the same Xen (shared/xen-lab's hand-written
// pvhguest.S, assembled here at run time), the reference the ratios are to.
// Runs alternate between the guests, round after round; medians are quoted.
// Under TCG absolute times mean little: the ratios are the result.
//
//	cd bench && go run ./cmd/xenbench -o XEN-REPORT.md
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/mwasm/mwasm/bench/internal/report"
	"github.com/mwasm/mwasm/tests/xen/lab"
	"github.com/mwasm/mwasm/xenboot"
)

type guest struct {
	name, app string
	image, xl string
	size      int64 // the file (gzip-compressed for mwasm's images)
	elfSize   int64 // the ELF in it
	minMiB    int
	mem       int
	expect    string   // console text of a good run
	args      []string // build-time arguments
	bare      bool
}

// consoleLines is how many lines the console guest prints.
const consoleLines = 20000

func main() {
	rounds := flag.Int("rounds", 5, "runs of each guest")
	out := flag.String("o", "", "also write the markdown report to this file")
	shared := flag.String("shared", "", "the shared directory holding xen-lab (default: ../../shared from the bench module)")
	devRounds := flag.Int("device-rounds", 3, "rounds of the device workloads (0: none)")
	flag.Parse()
	if err := run(*rounds, *devRounds, *out, *shared); err != nil {
		fmt.Fprintln(os.Stderr, "xenbench:", err)
		os.Exit(1)
	}
}

var atLeast = regexp.MustCompile(`give at least (\d+)`)

func run(rounds, devRounds int, outPath, shared string) error {
	bench, _ := os.Getwd()
	root := filepath.Dir(bench)
	if shared == "" {
		shared = filepath.Join(root, "..", "shared")
	}
	work, err := os.MkdirTemp("", "xenbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	mw := filepath.Join(work, "mwasm")
	if _, err := report.Sh(root, "go", "build", "-o", mw, "./cmd/mwasm"); err != nil {
		return err
	}
	guests := []*guest{
		{name: "hello-c", app: "apps/hello-c", expect: "Hello from mwasm (C)!"},
		{name: "hello", app: "apps/hello", expect: "Hello from mwasm!"},
		{name: "httpd", app: "apps/httpd"}, // size only: it needs a network (issue 7)
	}
	// The console path: tests/corpus/c/stdiotype.c printing no lines and
	// consoleLines lines (wasi-libc line-buffers a character device: one
	// fd_write, one ring update and one event per line).
	cdir := filepath.Join(work, "stdiotype")
	os.Mkdir(cdir, 0o755)
	if _, err := report.Sh(root, "cp", "tests/corpus/c/stdiotype.c", cdir); err != nil {
		return err
	}
	consoles := []*guest{
		{name: "console-0", app: cdir, expect: "fd2 chr tty=1", args: []string{"0"}},
		{name: "console-lines", app: cdir, expect: fmt.Sprintf("line %d", consoleLines-1), args: []string{strconv.Itoa(consoleLines)}},
	}
	for _, g := range append(append([]*guest(nil), guests...), consoles...) {
		g.image = filepath.Join(work, g.name+".xen")
		args := []string{"build", "--boot-trace", g.app, "-o", g.image}
		if len(g.args) > 0 {
			args = append(append(args, "--"), g.args...)
		}
		if _, err := report.Sh(root, mw, args...); err != nil {
			return err
		}
		g.xl = g.image + ".xl"
		st, _ := os.Stat(g.image)
		g.size = st.Size()
		if data, err := os.ReadFile(g.image); err == nil {
			if e, _, err := xenboot.Decompress(data); err == nil {
				g.elfSize = int64(len(e))
			}
		}
		msg, _ := report.Sh(root, mw, "build", "--memory", "1", g.app, "-o", filepath.Join(work, "probe.xen"))
		if m := atLeast.FindStringSubmatch(msg); m != nil {
			g.minMiB, _ = strconv.Atoi(m[1])
		}
		xl, _ := os.ReadFile(g.xl)
		if m := regexp.MustCompile(`(?m)^memory = (\d+)`).FindSubmatch(xl); m != nil {
			g.mem, _ = strconv.Atoi(string(m[1]))
		}
	}
	// The bare guest, assembled from shared/xen-lab at run time.
	bare := &guest{name: "bare", bare: true, expect: "XENLAB-PVHGUEST: shutting down", mem: 32}
	src := filepath.Join(shared, "xen-lab", "guest")
	if _, err := os.Stat(filepath.Join(src, "pvhguest.S")); err != nil {
		return fmt.Errorf("no bare PVH guest to compare with: %v (pass -shared DIR)", err)
	}
	obj := filepath.Join(work, "pvhguest.o")
	bare.image = filepath.Join(work, "pvhguest.elf")
	if _, err := report.Sh(work, "gcc", "-m32", "-c", filepath.Join(src, "pvhguest.S"), "-o", obj); err != nil {
		return err
	}
	if _, err := report.Sh(work, "ld", "-m", "elf_i386", "-T", filepath.Join(src, "pvhguest.ld"), "-o", bare.image, obj); err != nil {
		return err
	}
	bare.xl = filepath.Join(work, "bare.xl")
	os.WriteFile(bare.xl, []byte("type = \"pvh\"\nmemory = 32\nvcpus = 1\non_poweroff = \"destroy\"\non_crash = \"destroy\"\n"), 0o644)
	st, _ := os.Stat(bare.image)
	bare.size = st.Size()

	timed := []*guest{bare, guests[0], guests[1], consoles[0], consoles[1]}
	var cases []lab.Case
	script := "start_guest || exit 1\nfirst_output 60\nwait_guest 120\n"
	for r := 0; r < rounds; r++ {
		for k := range timed {
			g := timed[(k+r)%len(timed)]
			cases = append(cases, lab.Case{Name: fmt.Sprintf("%s-%d", g.name, r), Image: g.image, XL: g.xl, Script: script, Timeout: 3 * time.Minute})
		}
	}
	// The smallest memory: from two below the computed minimum up.
	type probe struct {
		g   *guest
		mib int
	}
	var probes []probe
	for _, g := range guests[:2] {
		for mib := g.minMiB - 7; mib <= g.minMiB; mib++ {
			xl := filepath.Join(work, fmt.Sprintf("%s-mem%d.xl", g.name, mib))
			cfg, _ := os.ReadFile(g.xl)
			os.WriteFile(xl, regexp.MustCompile(`(?m)^memory = \d+`).ReplaceAll(cfg, []byte("memory = "+strconv.Itoa(mib))), 0o644)
			cases = append(cases, lab.Case{Name: fmt.Sprintf("%s-mem%d", g.name, mib), Image: g.image, XL: xl, Timeout: 2 * time.Minute})
			probes = append(probes, probe{g, mib})
		}
	}
	ctx := context.Background()
	var log bytes.Buffer
	if err := lab.Install(ctx, &log, "apache2-utils"); err != nil {
		return err
	}
	tool := filepath.Join(work, "dom0tool")
	if _, err := report.Sh(root, "gcc", "-O2", "-static", "-o", tool, "tests/xen/lab/dom0tool/dom0tool.c"); err != nil {
		return err
	}
	l, err := lab.Setup(ctx, lab.Options{Log: &log, Dom0Bins: []string{"/usr/bin/ab"}, Files: map[string]string{"/usr/bin/dom0tool": tool}})
	if err != nil {
		return fmt.Errorf("%v\n%s", err, &log)
	}
	var dev *devBench
	if devRounds > 0 {
		if dev, err = prepareDevices(l, root, mw, work, devRounds); err != nil {
			return err
		}
		cases = append(cases, dev.cases...)
	}
	start := time.Now()
	res, serial, err := l.Run(ctx, cases)
	if err != nil {
		return fmt.Errorf("%v\n%s", err, tail(serial, 3000))
	}
	wall := time.Since(start)

	type stats struct{ output, end, entry []float64 }
	st2 := map[string]*stats{}
	traceRe := regexp.MustCompile(`app entered at (\d+) us`)
	for _, g := range timed {
		s := &stats{}
		st2[g.name] = s
		for r := 0; r < rounds; r++ {
			c := res[fmt.Sprintf("%s-%d", g.name, r)]
			if c == nil || !strings.Contains(c.Console, g.expect) || c.Shutdown != "poweroff" {
				return fmt.Errorf("%s run %d failed: %+v", g.name, r, c)
			}
			s.output = append(s.output, c.Marks["output"]-c.Marks["create"])
			s.end = append(s.end, c.Marks["ended"]-c.Marks["create"])
			if m := traceRe.FindStringSubmatch(c.Console); m != nil {
				us, _ := strconv.Atoi(m[1])
				s.entry = append(s.entry, float64(us)/1e6)
			}
		}
	}
	smallest := map[string]int{}
	for _, p := range probes {
		c := res[fmt.Sprintf("%s-mem%d", p.g.name, p.mib)]
		ok := c != nil && strings.Contains(c.Console, p.g.expect) && c.Shutdown == "poweroff"
		if ok && (smallest[p.g.name] == 0 || p.mib < smallest[p.g.name]) {
			smallest[p.g.name] = p.mib
		}
	}

	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Xen images: size, boot time and memory\n\n")
	p("Written by `cd bench && go run ./cmd/xenbench -o XEN-REPORT.md` (%d runs of each guest, alternating, in one boot of dom0; %.0f s in all).\n\n", rounds, wall.Seconds())
	p("Machine: %s, %s cores, %s; %s; Xen %s in %s (TCG, -cpu max), dom0 Linux %s.\n",
		report.Field("/proc/cpuinfo", "model name"), report.FirstLine("nproc"), report.Field("/proc/meminfo", "MemTotal"), report.FirstLine("go", "version"),
		pkgVersion("xen-hypervisor-4.17-amd64"), report.FirstLine("qemu-system-x86_64", "--version"), pkgVersion("linux-image-amd64"))
	p("mwasm: %s.\n\n", strings.TrimSpace(report.FirstLine("git", "-C", root, "log", "-1", "--format=%h %s")))
	p("Under QEMU's TCG every guest instruction is emulated (Xen's nested paging too), so the absolute times are\n")
	p("those of a slow machine: compare them with the bare guest's, measured the same way in the same boot.\n\n")
	p("## Images\n\n| app | image file (bytes; mwasm's: gzip) | ELF in it (bytes) | memory in its .xl (MiB) | least it starts in, computed (MiB) | smallest it booted in here (MiB) |\n|---|---|---|---|---|---|\n")
	for _, g := range guests {
		sm := "-"
		if v, ok := smallest[g.name]; ok {
			sm = strconv.Itoa(v)
		} else if g.name != "httpd" {
			sm = fmt.Sprintf("none of %d..%d", g.minMiB-7, g.minMiB)
		}
		p("| %s | %d | %d | %d | %d | %s |\n", g.name, g.size, g.elfSize, g.mem, g.minMiB, sm)
	}
	p("| bare PVH guest (xen-lab) | %d | %d | 32 | - | - |\n\n", bare.size, bare.size)
	p("## Boot (medians, seconds)\n\n| guest | xl create to first output | ratio to bare | xl create to the domain's end | ratio to bare | PVH entry to the app's _start (in the guest) |\n|---|---|---|---|---|---|\n")
	bo, be := report.Median(st2["bare"].output), report.Median(st2["bare"].end)
	for _, g := range timed {
		s := st2[g.name]
		entry := "-"
		if len(s.entry) > 0 {
			entry = fmt.Sprintf("%.3f", report.Median(s.entry))
		}
		p("| %s | %.3f | %.2fx | %.3f | %.2fx | %s |\n", g.name, report.Median(s.output), report.Median(s.output)/bo, report.Median(s.end), report.Median(s.end)/be, entry)
	}
	p("\nThe first output of an mwasm image is its boot-trace line (printed just before the app's _start);\n")
	p("the bare guest's is its first line. The end is when `xl create -F` returns: the domain has shut\n")
	p("down and been destroyed. The smallest memory is probed from seven MiB below the computed minimum up:\n")
	p("a run counts when the app printed its greeting and powered off.\n")
	c0, cn := report.Median(st2["console-0"].end), report.Median(st2["console-lines"].end)
	perLine := (cn - c0) / consoleLines
	p("\n## Console output (medians)\n\n")
	p("tests/corpus/c/stdiotype.c printing %d lines of about 10 bytes on the Xen console, which it sees as a character\n", consoleLines)
	p("device, so wasi-libc line-buffers it: one fd_write, one update of the console ring and one event to\n")
	p("xenconsoled in dom0 per line. From the same program printing none, in the same boot: %.3f s more,\n", cn-c0)
	p("%.0f us a line, %.0f lines/s (ratio of the whole run to the empty one: %.2fx).\n", perLine*1e6, 1/perLine, cn/c0)
	if dev != nil {
		if err := dev.report(&b, res); err != nil {
			return err
		}
	}
	md := b.String()
	fmt.Print(md)
	if outPath != "" {
		return os.WriteFile(outPath, []byte(md), 0o644)
	}
	return nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func pkgVersion(p string) string { return report.FirstLine("dpkg-query", "-W", "-f=${Version}", p) }
