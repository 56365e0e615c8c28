// Command netbench benchmarks the hosted network path of `mwasm run`: apps that
// bring their own TCP/IP stack (mnet, gVisor tcpip inside the Wasm module) reached
// from the host through the user-mode network's hostfwd.
//
// It measures, in one run, two peers round by round, alternating which goes
// first, and reports medians and the ratio mwasm/native:
//
//   - HTTP: apps/httpd under `mwasm run --net user,hostfwd=...` against a native
//     net/http server in this process with the same handler (native Go on
//     loopback: no Wasm, no user-mode stack). Load comes from a Go client of
//     -conc keep-alive connections issuing GET /api/echo?msg=... back to back for
//     -duration; only 200 responses with the right body count. If wrk is on
//     PATH it is run the same way as a second client.
//   - TCP echo: -mib MiB streamed to apps/echo (port 7) and read back
//     concurrently, every byte checked, against a native io.Copy echo server;
//     and the median round trip of a 64-byte message (ping-pong).
//
// netbench is a benchmark, not a test: it asserts only correctness (bodies,
// echoed bytes), never speed. It builds mwasm and the two apps from the mwasm
// repository (found upward from the working directory, or -repo) unless -mwasm
// is given, drives the mwasm binary as a user would, and stops every process it
// started (process group, SIGTERM then SIGKILL) on exit, error or interrupt.
// Everything listens on 127.0.0.1 only. It runs on Linux (it reads /proc).
//
//	cd bench && go run ./cmd/netbench -o REPORT.md
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

type config struct {
	rounds       int
	duration     time.Duration
	warmup       time.Duration
	conc         int
	mib          int
	pings        int
	out          string
	mwasm        string
	repo         string
	wrk          string
	startTimeout time.Duration
	timeout      time.Duration
	note         string
	cmdline      string // how to rerun: the flags given, for the report
}

func main() {
	var cfg config
	flag.IntVar(&cfg.rounds, "rounds", 5, "measurement rounds per workload and peer (the report gives medians)")
	flag.DurationVar(&cfg.duration, "duration", 5*time.Second, "length of each HTTP measurement, and the cap of each ping-pong")
	flag.DurationVar(&cfg.warmup, "warmup", time.Second, "HTTP load per peer before the first round (not measured)")
	flag.IntVar(&cfg.conc, "conc", 8, "concurrent keep-alive HTTP connections")
	flag.IntVar(&cfg.mib, "mib", 16, "MiB streamed through each echo server per round")
	flag.IntVar(&cfg.pings, "pings", 2000, "64-byte round trips per ping-pong round")
	flag.StringVar(&cfg.out, "o", "", "also write the report as markdown to this `file`")
	flag.StringVar(&cfg.mwasm, "mwasm", "", "mwasm binary to benchmark (default: build ./cmd/mwasm of the repository)")
	flag.StringVar(&cfg.repo, "repo", "", "mwasm repository root (default: found upward from the working directory)")
	flag.StringVar(&cfg.wrk, "wrk", "wrk", "wrk binary for the second HTTP client; empty to skip wrk")
	flag.DurationVar(&cfg.startTimeout, "start-timeout", 2*time.Minute, "how long an app may take under mwasm to print \"listening\"")
	flag.DurationVar(&cfg.timeout, "timeout", 30*time.Minute, "bound on the whole run")
	flag.StringVar(&cfg.note, "note", "", "a paragraph to add to the report (e.g. what else the machine was doing)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: netbench [flags]\n\nBenchmark mwasm run's hosted network path (apps/httpd, apps/echo through hostfwd)\nagainst native Go servers on loopback, and print medians and ratios.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		fail(fmt.Errorf("unexpected argument %q: netbench takes only flags (see -h)", flag.Arg(0)))
	}
	cfg.cmdline = commandLine()
	if err := cfg.check(); err != nil {
		fail(err)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, cfg.timeout)
	defer cancelT()
	if err := run(ctx, cfg); err != nil {
		cancelT()
		cancel()
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			err = fmt.Errorf("%w (the run took longer than -timeout %v)", err, cfg.timeout)
		case errors.Is(err, context.Canceled):
			err = errors.New("interrupted; the processes netbench started have been stopped")
		}
		fail(err)
	}
}

// commandLine is the command that reruns this benchmark with the same flags.
func commandLine() string {
	parts := []string{"cd bench && go run ./cmd/netbench"}
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "note" {
			return // prose for the report, not a setting
		}
		v := f.Value.String()
		if strings.ContainsAny(v, " \t'\"$`\\") || v == "" {
			v = "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
		}
		parts = append(parts, "-"+f.Name+" "+v)
	})
	return strings.Join(parts, " ")
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "netbench:", err)
	os.Exit(1)
}

func (c *config) check() error {
	switch {
	case c.rounds < 1:
		return fmt.Errorf("-rounds %d: give at least 1", c.rounds)
	case c.duration < 100*time.Millisecond:
		return fmt.Errorf("-duration %v: give at least 100ms", c.duration)
	case c.warmup < 0:
		return fmt.Errorf("-warmup %v: give 0 or more", c.warmup)
	case c.conc < 1 || c.conc > 1000:
		return fmt.Errorf("-conc %d: give 1 to 1000 connections", c.conc)
	case c.mib < 1 || c.mib > 1<<14:
		return fmt.Errorf("-mib %d: give 1 to 16384", c.mib)
	case c.pings < 1:
		return fmt.Errorf("-pings %d: give at least 1", c.pings)
	}
	return nil
}

// findRepo returns the directory at or above dir whose go.mod declares the
// module github.com/mwasm/mwasm.
func findRepo(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/mwasm/mwasm\n") {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no mwasm repository (go.mod with module github.com/mwasm/mwasm) at or above %s: run netbench inside the repository or give -repo", dir)
		}
		d = parent
	}
}

// build runs `go build` in the repository with extra environment.
func build(ctx context.Context, repo string, env []string, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", append([]string{"build"}, args...)...)
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build %s (in %s): %v\n%s", strings.Join(args, " "), repo, err, out)
	}
	return nil
}

func run(ctx context.Context, cfg config) error {
	var err error
	if cfg.repo == "" {
		if cfg.repo, err = findRepo("."); err != nil {
			return err
		}
	}
	tmp, err := os.MkdirTemp("", "netbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	logf("building in %s", cfg.repo)
	if cfg.mwasm == "" {
		cfg.mwasm = filepath.Join(tmp, "mwasm")
		if err := build(ctx, cfg.repo, nil, "-o", cfg.mwasm, "./cmd/mwasm"); err != nil {
			return err
		}
	}
	wasmEnv := []string{"GOOS=wasip1", "GOARCH=wasm"}
	httpdWasm, echoWasm := filepath.Join(tmp, "httpd.wasm"), filepath.Join(tmp, "echo.wasm")
	if err := build(ctx, cfg.repo, wasmEnv, "-o", httpdWasm, "./apps/httpd"); err != nil {
		return err
	}
	if err := build(ctx, cfg.repo, wasmEnv, "-o", echoWasm, "./apps/echo"); err != nil {
		return err
	}
	useWrk := false
	if cfg.wrk != "" {
		if p, err := exec.LookPath(cfg.wrk); err == nil {
			cfg.wrk, useWrk = p, true
		} else {
			logf("wrk not found (%v): skipping the wrk client", err)
		}
	}

	rep := newReport(cfg, useWrk)
	rep.env = gatherEnv(ctx, cfg, useWrk)
	rep.env.loadStart = loadAvg()

	if err := httpPhase(ctx, cfg, httpdWasm, useWrk, rep); err != nil {
		return err
	}
	if err := echoPhase(ctx, cfg, echoWasm, rep); err != nil {
		return err
	}
	rep.env.loadEnd = loadAvg()

	md := rep.markdown()
	fmt.Print(md)
	if cfg.out != "" {
		if err := os.WriteFile(cfg.out, []byte(md), 0o644); err != nil {
			return fmt.Errorf("writing the report: %w", err)
		}
		logf("report written to %s", cfg.out)
	}
	return nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "netbench: "+format+"\n", args...)
}

// orders alternates which peer goes first, round by round.
func order(round int, a, b *peer) []*peer {
	if round%2 == 0 {
		return []*peer{a, b}
	}
	return []*peer{b, a}
}

// stopAll stops the peers and checks their ports are free again.
func stopAll(peers ...*peer) {
	for _, p := range peers {
		if p == nil {
			continue
		}
		p.stop()
		if !portFree(p.addr) {
			logf("warning: %s's port %s is still in use after stopping it", p.name, p.addr)
		}
	}
}

// alive fails if the mwasm process of p died.
func alive(p *peer) error {
	if p.proc == nil {
		return nil
	}
	if dead, why := p.proc.exited(); dead {
		return fmt.Errorf("mwasm exited during the benchmark: %s", why)
	}
	return nil
}

func httpPhase(ctx context.Context, cfg config, wasm string, useWrk bool, rep *report) (err error) {
	native, err := startNativeHTTP()
	if err != nil {
		return err
	}
	var mw *peer
	defer func() { stopAll(mw, native) }()
	logf("starting mwasm run apps/httpd")
	t0 := time.Now()
	if mw, err = startMwasm(ctx, cfg.mwasm, wasm, 80, cfg.startTimeout); err != nil {
		return err
	}
	rep.startHTTP = time.Since(t0)
	for _, p := range []*peer{mw, native} {
		if err := probeHTTP(ctx, p.addr, 30*time.Second); err != nil {
			return fmt.Errorf("%s httpd: %w", p.name, err)
		}
		if cfg.warmup > 0 {
			httpLoad(ctx, p.addr, cfg.conc, cfg.warmup)
		}
	}
	for r := range cfg.rounds {
		for _, p := range order(r, mw, native) {
			cpu0 := p.cpuSeconds()
			res := httpLoad(ctx, p.addr, cfg.conc, cfg.duration)
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := alive(p); err != nil {
				return err
			}
			rep.add(wlHTTP, p.name, res.reqPerSec(), cpuCores(cpu0, p.cpuSeconds(), res.Elapsed))
			rep.addErrors(wlHTTP, p.name, res.Bad, res.Errors)
			if res.OK == 0 {
				return fmt.Errorf("%s httpd: no correct response in %v (%d wrong, %d connection errors)", p.name, cfg.duration, res.Bad, res.Errors)
			}
			logf("round %d http  %-6s %8.0f req/s  (%d bad, %d errors)", r+1, p.name, res.reqPerSec(), res.Bad, res.Errors)
		}
		if !useWrk {
			continue
		}
		for _, p := range order(r, mw, native) {
			cpu0 := p.cpuSeconds()
			t := time.Now()
			w, err := runWrk(ctx, cfg.wrk, "http://"+p.addr+"/api/echo?msg=wrk", cfg.conc, cfg.duration)
			if err != nil {
				return err
			}
			if err := alive(p); err != nil {
				return err
			}
			rep.add(wlWrk, p.name, w.ReqPerSec, cpuCores(cpu0, p.cpuSeconds(), time.Since(t)))
			rep.addErrors(wlWrk, p.name, w.Non2xx, w.SocketErrors)
			logf("round %d wrk   %-6s %8.0f req/s  (%d non-2xx, %d socket errors)", r+1, p.name, w.ReqPerSec, w.Non2xx, w.SocketErrors)
		}
	}
	return nil
}

func echoPhase(ctx context.Context, cfg config, wasm string, rep *report) (err error) {
	native, err := startNativeEcho()
	if err != nil {
		return err
	}
	var mw *peer
	defer func() { stopAll(mw, native) }()
	logf("starting mwasm run apps/echo")
	t0 := time.Now()
	if mw, err = startMwasm(ctx, cfg.mwasm, wasm, 7, cfg.startTimeout); err != nil {
		return err
	}
	rep.startEcho = time.Since(t0)
	n := int64(cfg.mib) << 20
	streamTimeout := 2*time.Minute + time.Duration(cfg.mib)*time.Second
	for _, p := range []*peer{mw, native} { // warm-up, and a first check that echo works
		if _, err := streamEcho(ctx, p.addr, min(n, 4<<20), streamTimeout); err != nil {
			return fmt.Errorf("%s %w", p.name, err)
		}
		if _, err := pingPong(ctx, p.addr, 100, cfg.duration); err != nil {
			return fmt.Errorf("%s %w", p.name, err)
		}
	}
	for r := range cfg.rounds {
		for _, p := range order(r, mw, native) {
			cpu0 := p.cpuSeconds()
			el, err := streamEcho(ctx, p.addr, n, streamTimeout)
			if err != nil {
				return fmt.Errorf("%s %w", p.name, err)
			}
			if err := alive(p); err != nil {
				return err
			}
			mbps := float64(n) / 1e6 / el.Seconds()
			rep.add(wlStream, p.name, mbps, cpuCores(cpu0, p.cpuSeconds(), el))
			logf("round %d echo  %-6s %8.1f MB/s", r+1, p.name, mbps)
		}
		for _, p := range order(r, mw, native) {
			cpu0 := p.cpuSeconds()
			t := time.Now()
			rtts, err := pingPong(ctx, p.addr, cfg.pings, cfg.duration)
			if err != nil {
				return fmt.Errorf("%s %w", p.name, err)
			}
			if err := alive(p); err != nil {
				return err
			}
			med, _ := median(rtts)
			p99, _ := percentile(rtts, 99)
			rep.add(wlRTT, p.name, med, cpuCores(cpu0, p.cpuSeconds(), time.Since(t)))
			rep.addP99(p.name, p99)
			logf("round %d rtt   %-6s %8.1f µs median, %.1f µs p99 (%d round trips)", r+1, p.name, med, p99, len(rtts))
		}
	}
	return nil
}

// cpuCores is the CPU time a process used over a wall-clock interval, in cores;
// -1 if unknown.
func cpuCores(before, after float64, wall time.Duration) float64 {
	if before < 0 || after < 0 || wall <= 0 {
		return -1
	}
	return (after - before) / wall.Seconds()
}
