package e2e

// The native side of the end-to-end tests: every app is built with
// `mwasm build --target linux` and run with `mwasm exec` (user-mode network over
// a SOCK_SEQPACKET socket pair, disk images), and compared with `mwasm run`
// (wazero) where the output is deterministic.

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mwasm/mwasm/abi"
)

// nativeBuild runs mwasm build --target linux FLAGS APP and returns the executable.
func nativeBuild(t *testing.T, app string, flags ...string) string {
	t.Helper()
	return nativeBuildIn(t, t.TempDir(), app, flags...)
}

// nativeBuildIn is nativeBuild writing the executable in dir.
func nativeBuildIn(t *testing.T, dir, app string, flags ...string) string {
	t.Helper()
	exe := filepath.Join(dir, filepath.Base(strings.TrimSuffix(app, "/")))
	args := append([]string{"build", "--target", "linux"}, flags...)
	args = append(args, app, "-o", exe)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, mwasmBin, args...)
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mwasm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return exe
}

// corpusCApp copies tests/corpus/c/NAME.c into an app directory of its own
// (what mwasm build and run take) and returns the directory; without clang the
// test is skipped.
func corpusCApp(t *testing.T, name string) string {
	t.Helper()
	if _, err := exec.LookPath("clang"); err != nil {
		t.Skip("clang not found (scripts/setup.sh installs it)")
	}
	src, err := os.ReadFile(filepath.Join(repoRoot, "tests/corpus/c", name+".c"))
	if err != nil {
		t.Fatal(err)
	}
	app := filepath.Join(t.TempDir(), name)
	os.Mkdir(app, 0o755)
	if err := os.WriteFile(filepath.Join(app, name+".c"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	return app
}

// runMwasm runs `mwasm SUB ARGS...` to completion with stdin and returns stdout,
// stderr and the exit status.
func runMwasm(t *testing.T, stdin string, sub string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, mwasmBin, append([]string{sub}, args...)...)
	cmd.Dir = repoRoot
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("mwasm %s %v: did not finish in time\nstdout:\n%s\nstderr:\n%s", sub, args, &stdout, &stderr)
	}
	status := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("mwasm %s %v: %v", sub, args, err)
		}
		status = ee.ExitCode()
	}
	return stdout.String(), stderr.String(), status
}

// diffCase is one program run under mwasm run and natively, expected identical.
type diffCase struct {
	name  string
	app   string   // source directory, relative to the repository
	env   []string // --env entries (mwasm run) = build-time environment (native)
	args  []string
	stdin string
	want  string // a substring stdout must hold (the program really ran)
}

func TestNativeMatchesRun(t *testing.T) {
	cdir := func(file string) string {
		// Each C corpus file is its own program: give it its own directory.
		src, err := os.ReadFile(filepath.Join(repoRoot, "tests/corpus/c", file))
		if err != nil {
			t.Fatal(err)
		}
		d := filepath.Join(t.TempDir(), strings.TrimSuffix(file, ".c"))
		os.Mkdir(d, 0o755)
		if err := os.WriteFile(filepath.Join(d, file), src, 0o644); err != nil {
			t.Fatal(err)
		}
		return d
	}
	cases := []diffCase{
		{name: "hello", app: "apps/hello", args: []string{"world", "two words"}, want: "Hello from mwasm!"},
		{name: "workers", app: "tests/corpus/go/workers", want: "worker 7"},
		{name: "workers-exit", app: "tests/corpus/go/workers", args: []string{"fail"}, want: "worker 0"},
	}
	if _, err := exec.LookPath("clang"); err == nil {
		cases = append(cases,
			diffCase{name: "hello-c", app: "apps/hello-c", args: []string{"x"}, want: "clock ok"},
			diffCase{name: "c-stdio", app: cdir("stdio.c")},
			diffCase{name: "c-clock", app: cdir("clock.c")},
			diffCase{name: "c-args", app: cdir("args.c"), args: []string{"one", "two words", "3"}, env: []string{"GREETING=hello there"}},
			diffCase{name: "c-stdin", app: cdir("stdin.c"), stdin: "alpha\nbeta\n\ngamma without newline", want: "lines=4"},
		)
	} else {
		t.Log("clang not found: the C programs are left out (scripts/setup.sh installs it)")
	}
	built := map[string]string{}
	exeDir := t.TempDir() // outlives the subtests: executables are shared by cases
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var envFlags []string
			for _, e := range c.env {
				envFlags = append(envFlags, "--env", e)
			}
			key := c.app + "\x00" + strings.Join(c.env, "\x00")
			exe, ok := built[key]
			if !ok {
				d := filepath.Join(exeDir, strconv.Itoa(i))
				os.Mkdir(d, 0o755)
				exe = nativeBuildIn(t, d, c.app, envFlags...)
				built[key] = exe
			}
			runArgs := append(append(envFlags, c.app, "--"), c.args...)
			wOut, wErr, wStatus := runMwasm(t, c.stdin, "run", runArgs...)
			nOut, nErr, nStatus := runMwasm(t, c.stdin, "exec", append([]string{exe, "--"}, c.args...)...)
			if nOut != wOut {
				t.Errorf("stdout differs\nnative:\n%s\nmwasm run:\n%s", nOut, wOut)
			}
			if nErr != wErr {
				t.Errorf("stderr differs\nnative:\n%s\nmwasm run:\n%s", nErr, wErr)
			}
			if nStatus != wStatus {
				t.Errorf("exit status: native %d, mwasm run %d", nStatus, wStatus)
			}
			if wOut == "" || !strings.Contains(wOut, c.want) {
				t.Errorf("mwasm run printed %q, want it to contain %q: the program did not run", wOut, c.want)
			}
		})
	}
}

// TestNativeExecRefusesMismatch checks mwasm exec's one-line refusals.
func TestNativeExecRefusesMismatch(t *testing.T) {
	exe := nativeBuild(t, "apps/hello")
	notMwasm := filepath.Join(t.TempDir(), "true")
	if b, err := os.ReadFile("/bin/true"); err == nil {
		os.WriteFile(notMwasm, b, 0o755)
	}
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--net", "user", exe}, "was built without /dev/net0 but --net was given"},
		{[]string{"--disk", newDisk(t, 1<<20), exe}, "was built without /dev/disk0 but --disk was given"},
		{[]string{notMwasm}, "no mwasm note"},
		{[]string{filepath.Join(repoRoot, "go.mod")}, "not an ELF file"},
	} {
		out, errOut, status := runMwasm(t, "", "exec", tc.args...)
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		if status != 2 || len(lines) != 1 || !strings.Contains(errOut, tc.msg) || out != "" {
			t.Errorf("mwasm exec %v: status %d, stderr %q; want 2 and one line with %q", tc.args, status, errOut, tc.msg)
		}
	}
}

// nativeServer is `mwasm exec --log-level debug ARGS...` in the background.
type nativeServer struct {
	cmd    *exec.Cmd
	out    *lockedBuffer
	exited chan struct{}
	status int
	child  int // the executable's PID, from exec's debug log
}

var pidRE = regexp.MustCompile(`started: exe=\S+ pid=(\d+)`)

// startNative starts mwasm exec and waits until the output holds ready.
func startNative(t *testing.T, ready string, args ...string) *nativeServer {
	t.Helper()
	cmd := exec.Command(mwasmBin, append([]string{"exec", "--log-level", "debug"}, args...)...)
	cmd.Dir = repoRoot
	s := &nativeServer{cmd: cmd, out: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := cmd.Wait()
		if ee, ok := err.(*exec.ExitError); ok {
			s.status = ee.ExitCode()
		}
		close(s.exited)
	}()
	t.Cleanup(func() { s.kill() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		o := s.out.String()
		if m := pidRE.FindStringSubmatch(o); m != nil && strings.Contains(o, ready) {
			s.child, _ = strconv.Atoi(m[1])
			return s
		}
		select {
		case <-s.exited:
			t.Fatalf("mwasm exec %v exited (status %d) before printing %q:\n%s", args, s.status, ready, o)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("mwasm exec %v: no %q within 60s:\n%s", args, ready, o)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *nativeServer) kill() {
	select {
	case <-s.exited:
		return
	default:
	}
	s.cmd.Process.Kill() // the child dies with it (PR_SET_PDEATHSIG)
	<-s.exited
}

// procStat returns the fields of /proc/PID/stat after the command name: [0] is
// the state, [1] the parent's PID, [11] and [12] utime and stime.
func procStat(t *testing.T, pid int) []string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
}

// procCPU is the user+system CPU time of a process so far.
func procCPU(t *testing.T, pid int) time.Duration {
	t.Helper()
	f := procStat(t, pid)
	var utime, stime int64
	fmt.Sscan(f[11], &utime)
	fmt.Sscan(f[12], &stime)
	return time.Duration(utime+stime) * time.Second / 100
}

func userNet(port, guestPort int) string {
	return fmt.Sprintf("user,hostfwd=tcp:127.0.0.1:%d-:%d", port, guestPort)
}

func TestNativeHttpd(t *testing.T) {
	exe := nativeBuild(t, "apps/httpd", "--net", "user")
	port := freePort(t)
	srv := startNative(t, "listening", "--net", userNet(port, 80), exe)
	// The child really is the native executable, and the exec process its parent.
	if pp := procStat(t, srv.child)[1]; pp != strconv.Itoa(srv.cmd.Process.Pid) {
		t.Fatalf("pid %d (parent %s) is not a child of mwasm exec %d", srv.child, pp, srv.cmd.Process.Pid)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	curlRoot(t, base, srv.out)
	if body := get(t, base+"/api/echo?msg=native-77", 200); !strings.Contains(body, "native-77") {
		t.Errorf("/api/echo did not echo: %q", body)
	}
	get(t, base+"/no/such/page", 404)

	concurrentEcho(t, base, "n")

	// Idle: the executable sleeps in ppoll, and the bridge in mwasm exec does not poll.
	time.Sleep(500 * time.Millisecond)
	childBefore, execBefore := procCPU(t, srv.child), procCPU(t, srv.cmd.Process.Pid)
	time.Sleep(3 * time.Second)
	childUsed, execUsed := procCPU(t, srv.child)-childBefore, procCPU(t, srv.cmd.Process.Pid)-execBefore
	t.Logf("idle: native httpd used %v, mwasm exec %v of CPU in 3s", childUsed, execUsed)
	if childUsed > 150*time.Millisecond {
		t.Errorf("idle native httpd used %v of CPU in 3s: it busy-waits", childUsed)
	}
	if execUsed > 150*time.Millisecond {
		t.Errorf("idle mwasm exec used %v of CPU in 3s: the bridge busy-waits", execUsed)
	}

	// SIGTERM to mwasm exec reaches the executable; exec exits with its status.
	srv.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-srv.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("mwasm exec did not end after SIGTERM")
	}
	if srv.status != 128+int(syscall.SIGTERM) {
		t.Errorf("after SIGTERM mwasm exec exited %d, want %d\n%s", srv.status, 128+int(syscall.SIGTERM), srv.out)
	}
	if err := syscall.Kill(srv.child, 0); err == nil {
		t.Errorf("the executable (pid %d) outlived mwasm exec", srv.child)
	}
}

// TestNativeKVSurvivesKill: puts from several clients, SIGKILL of the native
// executable mid-burst, restart on the same disk, every acknowledged put present.
func TestNativeKVSurvivesKill(t *testing.T) {
	exe := nativeBuild(t, "apps/kv", "--net", "user", "--disk")
	disk := newDisk(t, 16<<20)
	acked := map[string]string{}
	var mu sync.Mutex
	for round := 0; round < 3; round++ {
		port := freePort(t)
		srv := startNative(t, "listening", "--net", userNet(port, 80), "--disk", disk, exe)
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		checkAcked(t, base, acked, srv.out)

		stop := putBurst(base, fmt.Sprintf("n%d", round), acked, &mu)
		r, _ := rand.Int(rand.Reader, big.NewInt(700))
		time.Sleep(time.Duration(300+r.Int64()) * time.Millisecond)
		syscall.Kill(srv.child, syscall.SIGKILL) // the executable itself, mid-burst
		select {
		case <-srv.exited:
		case <-time.After(10 * time.Second):
			t.Fatal("mwasm exec did not end after its executable was killed")
		}
		stop()
		if srv.status != 128+int(syscall.SIGKILL) {
			t.Errorf("mwasm exec exited %d after its executable was killed, want %d", srv.status, 128+int(syscall.SIGKILL))
		}
		t.Logf("round %d: %d acknowledged puts so far", round, len(acked))
	}
	if len(acked) == 0 {
		t.Fatal("no put was acknowledged")
	}
	port := freePort(t)
	srv := startNative(t, "listening", "--net", userNet(port, 80), "--disk", disk, exe)
	checkAcked(t, fmt.Sprintf("http://127.0.0.1:%d", port), acked, srv.out)
}

func TestNativeTicker(t *testing.T) {
	exe := nativeBuild(t, "apps/ticker")
	out, errOut, status := runMwasm(t, "", "exec", exe, "--", "-interval", "5ms", "-count", "40")
	if status != 0 || !strings.Contains(out, "ticker: done") || !strings.Contains(out, "p99") {
		t.Fatalf("status %d\nstdout:\n%s\nstderr:\n%s", status, out, errOut)
	}
}

// TestNativeEcho sends 1 MiB through hostfwd to the native echo app and back.
func TestNativeEcho(t *testing.T) {
	exe := nativeBuild(t, "apps/echo", "--net", "user")
	port := freePort(t)
	srv := startNative(t, "echo: listening", "--net", userNet(port, 7), exe)
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	data := make([]byte, 1<<20)
	rand.Read(data)
	go func() {
		c.Write(data)
		c.(*net.TCPConn).CloseWrite()
	}()
	start := time.Now()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading the echo after %d bytes: %v\nserver:\n%s", len(got), err, srv.out)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("echo of 1 MiB came back as %d bytes, not the same", len(got))
	}
	t.Logf("1 MiB echoed in %v", time.Since(start))
}

// TestNativeConformance runs the ABI conformance app natively with a user-mode
// network and a disk, and with no devices.
func TestNativeConformance(t *testing.T) {
	for _, tc := range []struct {
		name     string
		build    []string
		exec     []string
		required []string
	}{
		{"no-devices", nil, nil, nil},
		{"all-devices", []string{"--net", "user", "--disk"}, []string{"--net", "user", "--disk", newDisk(t, 1<<20)}, []string{"net0 ARP reply", "fd_write disk0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var envFlags []string
			for _, e := range abi.ConformanceEnv {
				envFlags = append(envFlags, "--env", e)
			}
			exe := nativeBuild(t, "abi/conformance", append(envFlags, tc.build...)...)
			args := append(append(tc.exec, exe, "--"), abi.ConformanceArgs...)
			out, errOut, status := runMwasm(t, "", "exec", args...)
			if err := abi.CheckConformanceOutput(out, uint32(status), tc.required...); err != nil {
				t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
			}
		})
	}
}
