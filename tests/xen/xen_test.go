// Package xen runs mwasm's Xen images on real Xen (tests/xen/lab: Xen 4.17
// and a Linux dom0 in QEMU), the way a user deploys them: `mwasm build APP -o
// APP.xen`, then `xl create APP.xen.xl` in dom0. Every image of the suite is
// built first, then one boot of dom0 runs all the cases, and each test checks
// its case's console log, shutdown reason and dom0-side output.
//
// The suite needs root (it installs Debian's Xen, QEMU and kernel packages
// when missing, as CI does) and about a minute; MWASM_XEN_TEST=0 skips it
// with that reason printed. The serial log of the boot is written to
// $TMPDIR/mwasm-xenlab/serial.log for a failure's post-mortem.
package xen

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mwasm/mwasm/abi"
	"github.com/mwasm/mwasm/tests/xen/lab"
	"github.com/mwasm/mwasm/xenboot"
)

var (
	repoRoot = func() string {
		_, file, _, _ := runtime.Caller(0)
		return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	}()
	mwasmBin string
	workDir  string
)

// A case of the boot: how to build its image, what to run in dom0.
type xcase struct {
	lab.Case
	app   string   // what mwasm build gets (relative to the repository, or absolute)
	flags []string // more mwasm build flags (--memory, --env, -- args)
	xl    func(cfg string) string
	// xlImage rewrites the xl config knowing the image's size (the ELF's, as
	// xl loads it, unpacked).
	xlImage func(cfg string, image int64) string
}

// recursionModule is a hand-written module whose _start ("down") calls
// itself forever: native stack exhaustion (a C program would overflow its
// shadow stack in linear memory first).
var recursionModule = []byte{0, 'a', 's', 'm', 1, 0, 0, 0,
	1, 4, 1, 0x60, 0, 0, // type () -> ()
	3, 2, 1, 0, // func 0: type 0
	5, 3, 1, 0, 1, // memory 1 page
	7, 10, 1, 6, '_', 's', 't', 'a', 'r', 't', 0, 0, // export _start
	10, 6, 1, 4, 0, 0x10, 0, 0x0b, // body: call 0
	0, 14, 4, 'n', 'a', 'm', 'e', 1, 7, 1, 0, 4, 'd', 'o', 'w', 'n'}

// wasmFile writes a module into the work directory.
func wasmFile(name string, b []byte) string {
	p := filepath.Join(workDir, name)
	os.WriteFile(p, b, 0o644)
	return p
}

var suite struct {
	once    sync.Once
	results map[string]*lab.Result
	serial  string
	err     error
	cases   map[string]*xcase
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mwasm-xen-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	workDir = dir
	mwasmBin = filepath.Join(dir, "mwasm")
	cmd := exec.Command("go", "build", "-o", mwasmBin, "./cmd/mwasm")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building mwasm: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cSource writes a C program into a directory of its own (an app directory
// for mwasm build) and returns the directory.
func cSource(name, src string) string {
	d := filepath.Join(workDir, "src", name)
	os.MkdirAll(d, 0o755)
	os.WriteFile(filepath.Join(d, "main.c"), []byte(src), 0o644)
	return d
}

// build runs mwasm build for one case and returns the image.
func build(c *xcase) error {
	img := filepath.Join(workDir, c.Name+".xen")
	args := []string{"build"}
	var after []string
	for i, f := range c.flags {
		if f == "--" {
			after = c.flags[i:]
			break
		}
		args = append(args, f)
	}
	args = append(args, c.app, "-o", img)
	args = append(args, after...)
	cmd := exec.Command(mwasmBin, args...)
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("mwasm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	c.Image, c.XL = img, img+".xl"
	if c.xl != nil || c.xlImage != nil {
		cfg, err := os.ReadFile(c.XL)
		if err != nil {
			return err
		}
		file, err := os.ReadFile(img)
		if err != nil {
			return err
		}
		elf, _, err := xenboot.Decompress(file) // what xl loads
		if err != nil {
			return err
		}
		out := string(cfg)
		if c.xl != nil {
			out = c.xl(out)
		}
		if c.xlImage != nil {
			out = c.xlImage(out, int64(len(elf)))
		}
		c.XL = img + ".test.xl"
		if err := os.WriteFile(c.XL, []byte(out), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// boot builds every case's image and runs them all in one boot.
func boot(t *testing.T) {
	t.Helper()
	if os.Getenv("MWASM_XEN_TEST") == "0" {
		t.Skip("MWASM_XEN_TEST=0: the real-Xen tests are skipped")
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("real Xen in QEMU needs linux/amd64")
	}
	suite.once.Do(func() {
		if _, err := abi.BuildConformance(context.Background(), workDir); err != nil {
			suite.err = err
			return
		}
		cases := allCases()
		suite.cases = map[string]*xcase{}
		var lcs []lab.Case
		for _, c := range cases {
			if err := build(c); err != nil {
				suite.err = err
				return
			}
			suite.cases[c.Name] = c
			lcs = append(lcs, c.Case)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
		defer cancel()
		var log bytes.Buffer
		if err := lab.Install(ctx, &log, "curl", "apache2-utils"); err != nil {
			suite.err = err
			return
		}
		tool := filepath.Join(workDir, "dom0tool")
		cmd := exec.Command("gcc", "-O2", "-static", "-o", tool, "tests/xen/lab/dom0tool/dom0tool.c")
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			suite.err = fmt.Errorf("building dom0tool: %v\n%s", err, out)
			return
		}
		l, err := lab.Setup(ctx, lab.Options{Log: &log, Dom0Bins: []string{"/usr/bin/curl", "/usr/bin/ab"}, Files: map[string]string{"/usr/bin/dom0tool": tool}})
		if err != nil {
			suite.err = fmt.Errorf("%v\n%s", err, &log)
			return
		}
		suite.results, suite.serial, suite.err = l.Run(ctx, lcs)
		os.WriteFile(filepath.Join(os.TempDir(), "mwasm-xenlab", "serial.log"), []byte(suite.serial), 0o644)
	})
	if suite.err != nil {
		t.Fatalf("the Xen boot failed: %v\nserial log (tail):\n%s", suite.err, tail(suite.serial, 4000))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// result is the case's result, or a failure with what the console showed.
func result(t *testing.T, name string) *lab.Result {
	t.Helper()
	boot(t)
	r := suite.results[name]
	if r == nil {
		t.Fatalf("case %s did not run; serial log (tail):\n%s", name, tail(suite.serial, 3000))
	}
	t.Logf("case %s: shutdown %q, script status %d\nconsole:\n%s\ndom0 output:\n%s", name, r.Shutdown, r.Status, tail(r.Console, 3000), tail(r.Output, 2000))
	return r
}

func allCases() []*xcase {
	var cs []*xcase
	add := func(c *xcase) { cs = append(cs, c) }
	add(&xcase{Case: lab.Case{Name: "hello"}, app: "apps/hello", flags: []string{"--", "built", "in"},
		xl: func(cfg string) string { return cfg + "extra = \"from xl 'two words'\"\n" }})
	add(&xcase{Case: lab.Case{Name: "hello-c"}, app: "apps/hello-c", flags: []string{"--boot-trace"}})
	add(&xcase{Case: lab.Case{Name: "exit7"}, app: cSource("exit7", "#include <stdio.h>\n#include <stdlib.h>\nint main(void){ printf(\"bye\\n\"); fflush(stdout); fprintf(stderr, \"to stderr\\n\"); exit(7); }\n")})
	add(&xcase{Case: lab.Case{Name: "trap-unreachable"}, app: cSource("unreachable", "void __attribute__((noinline)) boom(void){ __builtin_trap(); }\nint main(void){ boom(); return 0; }\n")})
	add(&xcase{Case: lab.Case{Name: "trap-oob"}, app: cSource("oob", "int __attribute__((noinline)) peek(volatile int *p){ return *p; }\nint main(void){ return peek((volatile int*)0xFFFFFFF0); }\n")})
	add(&xcase{Case: lab.Case{Name: "trap-recursion"}, app: wasmFile("recursion.wasm", recursionModule)})
	add(&xcase{Case: lab.Case{Name: "ticker"}, app: "apps/ticker", flags: []string{"--", "-interval", "20ms", "-count", "50"}})
	add(&xcase{Case: lab.Case{Name: "conformance"}, app: filepath.Join(workDir, "conformance.wasm"), flags: []string{"--env", "MWASM_CONF=1", "--", "a", "b"}})
	// An idle app: its CPU time over 5 s must not grow; then xl shutdown
	// must power it off cleanly.
	add(&xcase{Case: lab.Case{Name: "idle-shutdown", Timeout: 90 * time.Second, Script: `
start_guest || exit 1
wait_console "sleeping" 30 || exit 1
sleep 1
a=$(cpu_seconds); sleep 5; b=$(cpu_seconds)
echo "cpu: $a $b"
mark shutdown
xl shutdown $CASE
wait_guest 30
`}, app: cSource("sleeper", "#include <stdio.h>\n#include <unistd.h>\nint main(void){ printf(\"sleeping\\n\"); fflush(stdout); sleep(600); printf(\"woke\\n\"); return 0; }\n")})
	// A domain with less memory than the image needs (but enough for xl to
	// load it: the image's size and 2 MiB).
	add(&xcase{Case: lab.Case{Name: "small-memory"}, app: "apps/hello",
		xlImage: func(cfg string, image int64) string {
			return regexp.MustCompile(`(?m)^memory = \d+`).ReplaceAllString(cfg, "memory = "+strconv.Itoa(int(image>>20)+2))
		}})
	// Devices: the httpd on the bridge, checked with curl and ab from dom0.
	add(&xcase{Case: lab.Case{Name: "httpd", Timeout: 3 * time.Minute, Script: `
start_guest || exit 1
wait_console "httpd: listening" 120 || exit 1
curl -s -o /tmp/index.html -w "status %{http_code}\n" http://10.0.3.2/
curl -s "http://10.0.3.2/api/echo?msg=hello+xen"; echo
ab -q -n 300 -c 100 http://10.0.3.2/ > /tmp/ab.out 2>&1
grep -E "^(Complete requests|Failed requests|Non-2xx responses|Requests per second)" /tmp/ab.out
sleep 2; a=$(cpu_seconds); sleep 5; b=$(cpu_seconds); echo "cpu: $a $b"
xl shutdown $CASE
wait_guest 60
`}, app: "apps/httpd", flags: []string{"--net", "vif,ip=10.0.3.2/24,gw=10.0.3.1"}})
	add(&xcase{Case: lab.Case{Name: "echo", Timeout: 3 * time.Minute, Script: `
start_guest || exit 1
wait_console "echo: listening" 120 || exit 1
dom0tool echo 10.0.3.3 7 16777216
xl destroy $CASE
`}, app: "apps/echo", flags: []string{"--net", "vif,ip=10.0.3.3/24,gw=10.0.3.1"}})
	// kv: bursts of puts, the domain destroyed in the middle of each, then
	// every acknowledged key must be there.
	// A guest that never prints is retried once per run, with xl's view of
	// it printed (dom0's own processes crash now and then under QEMU's TCG:
	// see the "Segmentation fault" lines of any lab log); the Go test says so.
	add(&xcase{Case: lab.Case{Name: "kv", Timeout: 8 * time.Minute, DiskMB: 64, Script: `
: > /tmp/acked
boots=0 retried=0
# boot_kv: start the guest and wait until it listens (its console log keeps
# the lines of every earlier boot of the same name).
boot_kv() {
    start_guest || return 1
    local end=$((SECONDS + 90))
    until [ "$(console_log | grep -c 'kv: listening')" -ge $((boots + 1)) ] 2>/dev/null; do
        if [ $SECONDS -ge $end ]; then
            echo "kv did not listen within 90 s (boot $((boots + 1))); xl list and the end of xl's log:"
            xl list; tail -8 /tmp/xl-$CASE.log
            xl destroy $CASE 2>/dev/null; wait $XLPID
            [ $retried -eq 0 ] || return 1
            retried=1; echo "retry: the guest never printed"
            start_guest || return 1
            end=$((SECONDS + 90))
        fi
        sleep 0.05
    done
    boots=$((boots + 1))
}
for round in 1 2 3 4 5; do
    boot_kv || { echo "round $round: kv did not listen"; exit 1; }
    dom0tool kvput 10.0.3.4 r$round 3000 >> /tmp/acked &
    PUT=$!
    sleep 0.$((RANDOM % 9 + 1)); sleep 1
    xl destroy $CASE
    wait $PUT
    wait $XLPID
    echo "round $round: $(wc -l < /tmp/acked) acknowledged puts so far"
done
boot_kv || { echo "kv did not come back"; exit 1; }
dom0tool kvcheck 10.0.3.4 /tmp/acked
xl shutdown $CASE
wait_guest 60
`}, app: "apps/kv", flags: []string{"--net", "vif,ip=10.0.3.4/24,gw=10.0.3.1", "--disk"}})
	add(&xcase{Case: lab.Case{Name: "conformance-devices", DiskMB: 16}, app: filepath.Join(workDir, "conformance.wasm"),
		flags: []string{"--net", "vif,ip=10.0.3.5/24,gw=10.0.3.1", "--disk", "--env", "MWASM_CONF=1", "--", "a", "b"}})
	// DHCP: httpd without ip= gets its address from dom0's udhcpd.
	add(&xcase{Case: lab.Case{Name: "dhcp", Timeout: 3 * time.Minute, Script: `
start_guest || exit 1
wait_console "httpd: listening on" 120 || exit 1
ip=$(console_log | sed -n 's/.*listening on \(10\.0\.3\.[0-9]*\):80.*/\1/p' | head -1)
echo "leased: $ip"
curl -s -o /dev/null -w "status %{http_code}\n" http://$ip/
xl destroy $CASE
`}, app: "apps/httpd", flags: []string{"--net", "vif"}})
	// An image that declares a disk, started without one.
	add(&xcase{Case: lab.Case{Name: "missing-disk"}, app: cSource("diskless", "int main(void){ return 0; }\n"), flags: []string{"--disk"},
		xl: func(cfg string) string { return regexp.MustCompile(`(?m)^disk = .*\n`).ReplaceAllString(cfg, "") }})
	cs = append(cs, edgeXenCases()...)
	return append(cs, fileCases()...)
}

func TestHello(t *testing.T) {
	r := result(t, "hello")
	want := "Hello from mwasm! args: built in from xl two words\nmwasm: exit status 0\n"
	if r.Console != want || r.Shutdown != "poweroff" {
		t.Errorf("console %q, shutdown %q; want %q and poweroff", r.Console, r.Shutdown, want)
	}
}

var bootTraceRe = regexp.MustCompile(`^mwasm: boot: shim entered at (\d+) us, app entered at (\d+) us after the PVH entry\n`)

func TestHelloC(t *testing.T) {
	r := result(t, "hello-c")
	if !strings.Contains(r.Console, "clock ok") || !strings.HasSuffix(r.Console, "mwasm: exit status 0\n") || r.Shutdown != "poweroff" {
		t.Errorf("console %q, shutdown %q", r.Console, r.Shutdown)
	}
	// Built with --boot-trace: the boot's timings come first.
	m := bootTraceRe.FindStringSubmatch(r.Console)
	if m == nil {
		t.Fatalf("no boot trace at the start of %q", r.Console)
	}
	shimAt, _ := strconv.Atoi(m[1])
	appAt, _ := strconv.Atoi(m[2])
	if shimAt <= 0 || appAt <= shimAt || appAt > 30_000_000 {
		t.Errorf("boot trace: shim at %d us, app at %d us", shimAt, appAt)
	}
}

func TestExitStatus(t *testing.T) {
	r := result(t, "exit7")
	if r.Console != "bye\nto stderr\nmwasm: exit status 7\n" || r.Shutdown != "poweroff" {
		t.Errorf("console %q, shutdown %q; want the output, exit status 7 and poweroff", r.Console, r.Shutdown)
	}
}

func TestTraps(t *testing.T) {
	for _, tc := range []struct{ name, kind, fn string }{
		{"trap-unreachable", "unreachable", "app!boom"},
		{"trap-oob", "out of bounds memory access", "app!peek"},
		{"trap-recursion", "call stack exhausted", "app!down"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := result(t, tc.name)
			want := "mwasm: trap: " + tc.kind + " in " + tc.fn + "+0x"
			if !strings.HasPrefix(r.Console, want) || !strings.Contains(r.Console, "(wasm offset 0x") || !strings.Contains(r.Console, "    at app!") {
				t.Errorf("console %q: want a report beginning %q, with the Wasm offset and a backtrace", r.Console, want)
			}
			if r.Shutdown != "crash" {
				t.Errorf("shutdown %q, want crash", r.Shutdown)
			}
		})
	}
}

var jitterRe = regexp.MustCompile(`ticker: 50 ticks of 20ms in (\S+)\nticker: jitter us: min \d+ median (\d+) p99 (\d+) max (\d+)\nticker: done\n`)

func TestTicker(t *testing.T) {
	r := result(t, "ticker")
	m := jitterRe.FindStringSubmatch(r.Console)
	if m == nil || r.Shutdown != "poweroff" {
		t.Fatalf("console %q, shutdown %q", r.Console, r.Shutdown)
	}
	total, err := time.ParseDuration(m[1])
	median, _ := strconv.Atoi(m[2])
	// 50 ticks of 20 ms: 1 s, not much more. (The lateness is measured
	// against start+k*interval, so one stall of the emulated machine, when the
	// host is busy, makes every later tick as late: it is printed, not judged.)
	if err != nil || total < time.Second || total > 1500*time.Millisecond {
		t.Errorf("50 ticks of 20ms took %v (median lateness %d us): want about 1 s", total, median)
	}
	t.Logf("ticker on Xen: %s", strings.TrimSpace(m[0]))
}

func TestConformance(t *testing.T) {
	r := result(t, "conformance")
	if !strings.Contains(r.Console, "SUCCESS\n") || r.Shutdown != "poweroff" {
		t.Errorf("console %q, shutdown %q", tail(r.Console, 2000), r.Shutdown)
	}
}

var cpuRe = regexp.MustCompile(`cpu: ([0-9.]+) ([0-9.]+)`)

func TestIdleAndShutdown(t *testing.T) {
	r := result(t, "idle-shutdown")
	m := cpuRe.FindStringSubmatch(r.Output)
	if m == nil {
		t.Fatalf("no CPU times in %q", r.Output)
	}
	a, _ := strconv.ParseFloat(m[1], 64)
	b, _ := strconv.ParseFloat(m[2], 64)
	if b-a > 0.1 {
		t.Errorf("an idle guest used %.1f s of CPU in 5 s", b-a)
	}
	if !strings.Contains(r.Console, "mwasm: shutting down (control/shutdown = poweroff)") || r.Shutdown != "poweroff" {
		t.Errorf("xl shutdown: console %q, shutdown %q", r.Console, r.Shutdown)
	}
	if strings.Contains(r.Console, "woke") {
		t.Errorf("the app ran on past the shutdown")
	}
}

func TestSmallMemory(t *testing.T) {
	r := result(t, "small-memory")
	if !strings.Contains(r.Console, "mwasm: out of memory while starting: the domain has ") || !strings.Contains(r.Console, "raise memory= in its xl config") || r.Shutdown != "crash" {
		t.Errorf("console %q, shutdown %q: want the out-of-memory line and a crash", r.Console, r.Shutdown)
	}
}

// TestWithoutXen boots an image under plain QEMU (-kernel, PVH entry, no
// Xen): it must say on the serial port that it needs Xen and leave, through
// isa-debug-exit when the machine has it (QEMU exits with 3) and through ACPI
// S5 otherwise (pc and q35 machines: QEMU exits with 0), never hang.
func TestWithoutXen(t *testing.T) {
	if os.Getenv("MWASM_XEN_TEST") == "0" {
		t.Skip("MWASM_XEN_TEST=0: the real-Xen tests are skipped")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := lab.Install(ctx, nil, "qemu-system-x86"); err != nil {
		t.Fatal(err)
	}
	// Uncompressed: QEMU's -kernel loader reads no xz.
	c := &xcase{Case: lab.Case{Name: "noxen"}, app: cSource("noxen", "#include <stdio.h>\nint main(void){ printf(\"should not run\\n\"); return 0; }\n"), flags: []string{"--compress", "none"}}
	if err := build(c); err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct {
		machine string
		exit    bool
		status  int
	}{{"pc", true, 3}, {"pc", false, 0}, {"q35", false, 0}} {
		args := []string{"-M", m.machine, "-accel", "tcg", "-cpu", "max", "-m", "128", "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot", "-kernel", c.Image}
		if m.exit {
			args = append(args, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04")
		}
		tctx, tcancel := context.WithTimeout(ctx, 60*time.Second)
		out, err := exec.CommandContext(tctx, "qemu-system-x86_64", args...).CombinedOutput()
		timedOut := tctx.Err() == context.DeadlineExceeded
		tcancel()
		status := 0
		if ee, ok := err.(*exec.ExitError); ok {
			status = ee.ExitCode()
		} else if err != nil && !timedOut {
			t.Fatalf("%s: %v", m.machine, err)
		}
		if timedOut {
			t.Fatalf("%s (debug exit %v): QEMU still ran after 60 s; output %q", m.machine, m.exit, out)
		}
		if !strings.Contains(string(out), "mwasm: this image is a Xen PVH guest and needs Xen") || strings.Contains(string(out), "should not run") || status != m.status {
			t.Errorf("%s (debug exit %v): status %d, output %q; want %d and the needs-Xen line", m.machine, m.exit, status, out, m.status)
		}
	}
}

var abRe = regexp.MustCompile(`Complete requests:\s+(\d+)\nFailed requests:\s+(\d+)\n(?:Non-2xx responses:\s+(\d+)\n)?Requests per second:\s+([0-9.]+)`)

func TestHttpd(t *testing.T) {
	r := result(t, "httpd")
	if !strings.Contains(r.Output, "status 200\n") {
		t.Errorf("curl / did not get 200: %q", r.Output)
	}
	if !strings.Contains(r.Output, "hello xen") {
		t.Errorf("/api/echo did not echo: %q", r.Output)
	}
	m := abRe.FindStringSubmatch(r.Output)
	if m == nil || m[1] != "300" || m[2] != "0" || (m[3] != "" && m[3] != "0") {
		t.Errorf("ab -n 300 -c 100: %q", r.Output)
	} else {
		t.Logf("httpd on Xen: %s requests/s (ab -c 100, under TCG)", m[4])
	}
	c := cpuRe.FindStringSubmatch(r.Output)
	if c == nil {
		t.Fatalf("no CPU times: %q", r.Output)
	}
	a, _ := strconv.ParseFloat(c[1], 64)
	b, _ := strconv.ParseFloat(c[2], 64)
	if b-a > 0.2 {
		t.Errorf("an idle httpd used %.1f s of CPU in 5 s", b-a)
	}
	if r.Shutdown != "poweroff" || !strings.Contains(r.Console, "mwasm: shutting down (control/shutdown = poweroff)") {
		t.Errorf("xl shutdown: %q, console %q", r.Shutdown, tail(r.Console, 500))
	}
}

func TestEcho(t *testing.T) {
	r := result(t, "echo")
	if !strings.Contains(r.Output, "echo: 16777216 bytes back intact") {
		t.Errorf("16 MiB TCP echo: %q", r.Output)
	}
}

var kvRe = regexp.MustCompile(`kvcheck: (\d+) acknowledged keys intact, 0 lost`)

func TestKVSurvivesDestroy(t *testing.T) {
	r := result(t, "kv")
	m := kvRe.FindStringSubmatch(r.Output)
	if m == nil || r.Status != 0 {
		t.Fatalf("kvcheck: %q (status %d)", r.Output, r.Status)
	}
	if n, _ := strconv.Atoi(m[1]); n < 20 {
		t.Errorf("only %d puts acknowledged over 5 rounds", n)
	}
	if strings.Count(r.Output, "acknowledged puts so far") != 5 {
		t.Errorf("not 5 rounds: %q", r.Output)
	}
	if strings.Contains(r.Output, "retry: the guest never printed") {
		t.Logf("one boot of kv never printed and was retried: %s", r.Output)
	}
}

func TestConformanceDevices(t *testing.T) {
	r := result(t, "conformance-devices")
	if !strings.Contains(r.Console, "SUCCESS\n") || strings.Contains(r.Console, "skip disk0") || strings.Contains(r.Console, "skip net0") || !strings.Contains(r.Console, "ok   fd_write net0v\n") || r.Shutdown != "poweroff" {
		t.Errorf("console %q, shutdown %q", tail(r.Console, 3000), r.Shutdown)
	}
}

func TestMissingDisk(t *testing.T) {
	r := result(t, "missing-disk")
	if !strings.Contains(r.Console, "mwasm: this image declares disk0, but the domain has no disk") || r.Shutdown != "crash" {
		t.Errorf("console %q, shutdown %q", r.Console, r.Shutdown)
	}
}

var leaseRe = regexp.MustCompile(`leased: 10\.0\.3\.(\d+)\n`)

func TestDHCP(t *testing.T) {
	r := result(t, "dhcp")
	m := leaseRe.FindStringSubmatch(r.Output)
	if m == nil {
		t.Fatalf("no lease: %q, console %q", r.Output, tail(r.Console, 1000))
	}
	if n, _ := strconv.Atoi(m[1]); n < 100 || n > 199 {
		t.Errorf("address 10.0.3.%s is outside udhcpd's range", m[1])
	}
	if !strings.Contains(r.Output, "status 200\n") {
		t.Errorf("curl to the leased address: %q", r.Output)
	}
}
