package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/mwasm/mwasm/bench/internal/report"
	"github.com/mwasm/mwasm/tests/xen/lab"
)

// devBench is the device half of the benchmark: the same apps as mwasm
// images and, built natively (go build), in a Linux PV guest on the same
// Xen in the same boot, rounds alternating which goes first.
type devBench struct {
	rounds   int
	cases    []lab.Case
	mwMemory map[string]int
}

type workload struct {
	name, app string
	flags     []string // mwasm build
	ip        string   // mwasm's; the Linux guest's is ip+10
	args      []string
	disk      bool
	script    string // $IP is the guest's address
}

var workloads = []workload{
	{name: "http", app: "apps/httpd", ip: "10.0.3.2", script: `
start_guest || exit 1
wait_console "listening" 180 || exit 1
mark listening
ab -q -n 400 -c 8 "http://$IP/api/echo?msg=hello" > /tmp/ab.out 2>&1
grep -E "^(Complete requests|Failed requests|Requests per second)" /tmp/ab.out
xl destroy $CASE
`},
	{name: "echo", app: "apps/echo", ip: "10.0.3.3", script: `
start_guest || exit 1
wait_console "listening" 180 || exit 1
mark listening
dom0tool echo $IP 7 8388608
xl destroy $CASE
`},
	{name: "disk", app: "apps/diskbench", ip: "10.0.3.6", disk: true, args: []string{"-mib", "16", "-syncs", "100"}, script: `
run_guest 600
`},
}

func prepareDevices(l *lab.Lab, root, mw, work string, rounds int) (*devBench, error) {
	d := &devBench{rounds: rounds, mwMemory: map[string]int{}}
	for _, w := range workloads {
		img := filepath.Join(work, w.name+"-mw.xen")
		args := []string{"build", "--net", "vif,ip=" + w.ip + "/24,gw=10.0.3.1"}
		if w.disk {
			args = append(args, "--disk")
		}
		args = append(args, w.app, "-o", img)
		if len(w.args) > 0 {
			args = append(append(args, "--"), w.args...)
		}
		if _, err := report.Sh(root, mw, args...); err != nil {
			return nil, err
		}
		xl, _ := report.Sh(root, "cat", img+".xl")
		if m := regexp.MustCompile(`(?m)^memory = (\d+)`).FindStringSubmatch(xl); m != nil {
			d.mwMemory[w.name], _ = strconv.Atoi(m[1])
		}
		bin := filepath.Join(work, w.name+"-native")
		if _, err := report.Sh(root, "env", "CGO_ENABLED=0", "go", "build", "-o", bin, "./"+w.app); err != nil {
			return nil, err
		}
		last := strings.Split(w.ip, ".")
		n, _ := strconv.Atoi(last[3])
		lip := fmt.Sprintf("10.0.3.%d", n+10)
		for r := 0; r < rounds; r++ {
			mwc := lab.Case{Name: fmt.Sprintf("dev-%s-mwasm-%d", w.name, r), Image: img, XL: img + ".xl", Timeout: 10 * time.Minute,
				Script: "IP=" + w.ip + "\n" + w.script}
			lg := lab.LinuxGuest{App: bin, Args: w.args, IP: lip + "/24", GW: "10.0.3.1", Net: true, Disk: w.disk, AppName: w.name}
			lc, err := lg.Build(l, work, fmt.Sprintf("dev-%s-linux-%d", w.name, r))
			if err != nil {
				return nil, err
			}
			lc.Timeout, lc.Script = 10*time.Minute, "IP="+lip+"\n"+w.script
			if w.disk {
				mwc.DiskMB, lc.DiskMB = 64, 64
			}
			if r%2 == 0 {
				d.cases = append(d.cases, mwc, lc)
			} else {
				d.cases = append(d.cases, lc, mwc)
			}
		}
	}
	return d, nil
}

var (
	rpsRe  = regexp.MustCompile(`Requests per second:\s+([0-9.]+)`)
	failRe = regexp.MustCompile(`Failed requests:\s+(\d+)`)
	echoRe = regexp.MustCompile(`echo: \d+ bytes back intact in [0-9.]+ s \(([0-9.]+) MB/s\)`)
	diskRe = regexp.MustCompile(`diskbench: write ([0-9.]+) MB/s, read ([0-9.]+) MB/s, ([0-9.]+) fsyncs/s`)
)

func (d *devBench) report(b *strings.Builder, res map[string]*lab.Result) error {
	// A round without a result is left out of the median and said below the
	// table, rather than losing the whole run to it.
	var missing []string
	get := func(w, peer string, f func(r *lab.Result) (float64, bool)) []float64 {
		var v []float64
		for r := 0; r < d.rounds; r++ {
			c := res[fmt.Sprintf("dev-%s-%s-%d", w, peer, r)]
			if c == nil {
				missing = append(missing, fmt.Sprintf("%s/%s round %d did not run", w, peer, r))
				continue
			}
			x, ok := f(c)
			if !ok {
				missing = append(missing, fmt.Sprintf("%s/%s round %d: no result in %q / console %q", w, peer, r, c.Output, tail(c.Console, 300)))
				continue
			}
			v = append(v, x)
		}
		return v
	}
	boot := func(c *lab.Result) (float64, bool) {
		l, ok := c.Marks["listening"]
		return l - c.Marks["create"], ok && l > 0
	}
	rows := []struct {
		label, w, unit string
		f              func(c *lab.Result) (float64, bool)
		higherBetter   bool
	}{
		{"HTTP GET /api/echo, ab -c 8 (400 requests)", "http", "req/s", func(c *lab.Result) (float64, bool) {
			m, f := rpsRe.FindStringSubmatch(c.Output), failRe.FindStringSubmatch(c.Output)
			if m == nil || f == nil || f[1] != "0" {
				return 0, false // ab's "failed" counts a response whose length differs too
			}
			v, _ := strconv.ParseFloat(m[1], 64)
			return v, true
		}, true},
		{"TCP echo, 8 MiB streamed and read back", "echo", "MB/s", func(c *lab.Result) (float64, bool) {
			m := echoRe.FindStringSubmatch(c.Output)
			if m == nil {
				return 0, false
			}
			v, _ := strconv.ParseFloat(m[1], 64)
			return v, true
		}, true},
		{"disk: 16 MiB sequential write + fdatasync", "disk", "MB/s", diskField(1), true},
		{"disk: 16 MiB sequential read (uncached)", "disk", "MB/s", diskField(2), true},
		{"disk: 4 KiB write + fdatasync", "disk", "syncs/s", diskField(3), true},
		{"boot: xl create to \"listening\" (httpd)", "http", "s", boot, false},
	}
	fmt.Fprintf(b, "\n## Devices: the same apps as mwasm images and in a Linux PV guest (medians of %d rounds)\n\n", d.rounds)
	b.WriteString("The Linux guest is Debian's kernel (a PV domU: PVH Linux crashes in its FPU set-up under QEMU's TCG; netfront and blkfront modules) with a busybox initramfs running the\n")
	b.WriteString("app built natively (`CGO_ENABLED=0 go build`: on Linux, package mnet uses the kernel's TCP/IP stack, and\n")
	b.WriteString("/dev/disk0 is a link to xvda). Both sit on dom0's bridge (netback) and on a loop-device disk (blkback).\n\n")
	b.WriteString("| workload | unit | mwasm image | Linux guest | mwasm/Linux |\n|---|---|--:|--:|--:|\n")
	for _, r := range rows {
		mv, lv := get(r.w, "mwasm", r.f), get(r.w, "linux", r.f)
		if len(mv) == 0 || len(lv) == 0 {
			fmt.Fprintf(b, "| %s | %s | %s | %s | - |\n", r.label, r.unit, medianOr(mv), medianOr(lv))
			continue
		}
		fmt.Fprintf(b, "| %s | %s | %.2f | %.2f | %.2fx |\n", r.label, r.unit, report.Median(mv), report.Median(lv), report.Median(mv)/report.Median(lv))
	}
	fmt.Fprintf(b, "| domain memory (the .xl's; Linux: what its kernel and initramfs run in comfortably) | MiB | %d | 128 | %.2fx |\n", d.mwMemory["http"], float64(d.mwMemory["http"])/128)
	b.WriteString("\nRatios above 1 mean mwasm is faster for throughput rows and slower for the boot row.\n")
	if len(missing) > 0 {
		b.WriteString("\nRounds left out of the medians:\n\n")
		for _, m := range missing {
			fmt.Fprintf(b, "- %s\n", m)
		}
	}
	return nil
}

// medianOr is the median of v as a cell, or "-" when there is none.
func medianOr(v []float64) string {
	if len(v) == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", report.Median(v))
}

func diskField(i int) func(c *lab.Result) (float64, bool) {
	return func(c *lab.Result) (float64, bool) {
		m := diskRe.FindStringSubmatch(c.Console)
		if m == nil {
			return 0, false
		}
		v, _ := strconv.ParseFloat(m[i], 64)
		return v, true
	}
}
