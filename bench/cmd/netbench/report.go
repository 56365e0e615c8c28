package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// A workload is one row of the report.
type workload struct {
	key, title, unit string
	lowerBetter      bool
}

const (
	wlHTTP   = "http"
	wlWrk    = "wrk"
	wlStream = "stream"
	wlRTT    = "rtt"
)

type sample struct {
	values []float64
	cpu    []float64 // process CPU cores during each measurement (mwasm only)
	bad    int64     // wrong responses / non-2xx
	errs   int64     // connection errors
}

type report struct {
	cfg       config
	workloads []workload
	samples   map[string]map[string]*sample // workload key -> peer name -> samples
	p99       map[string][]float64          // peer -> per-round p99 RTTs
	startHTTP time.Duration
	startEcho time.Duration
	env       envInfo
}

var peerNames = []string{"mwasm", "native"}

func newReport(cfg config, useWrk bool) *report {
	r := &report{cfg: cfg, samples: map[string]map[string]*sample{}, p99: map[string][]float64{}}
	r.workloads = append(r.workloads, workload{wlHTTP, fmt.Sprintf("HTTP GET /api/echo, Go client, %d keep-alive conns", cfg.conc), "req/s", false})
	if useWrk {
		r.workloads = append(r.workloads, workload{wlWrk, fmt.Sprintf("HTTP GET /api/echo, wrk -t1 -c%d", cfg.conc), "req/s", false})
	}
	r.workloads = append(r.workloads,
		workload{wlStream, fmt.Sprintf("TCP echo, %d MiB streamed and read back", cfg.mib), "MB/s", false},
		workload{wlRTT, "TCP echo, 64-byte round trip (median)", "µs", true})
	return r
}

func (r *report) get(wl, peer string) *sample {
	m := r.samples[wl]
	if m == nil {
		m = map[string]*sample{}
		r.samples[wl] = m
	}
	s := m[peer]
	if s == nil {
		s = &sample{}
		m[peer] = s
	}
	return s
}

func (r *report) add(wl, peer string, v, cpu float64) {
	s := r.get(wl, peer)
	s.values = append(s.values, v)
	if cpu >= 0 {
		s.cpu = append(s.cpu, cpu)
	}
}

func (r *report) addErrors(wl, peer string, bad, errs int64) {
	s := r.get(wl, peer)
	s.bad += bad
	s.errs += errs
}

func (r *report) addP99(peer string, v float64) { r.p99[peer] = append(r.p99[peer], v) }

// envInfo is the machine and the versions the numbers belong to.
type envInfo struct {
	date        time.Time
	cpu         string
	cores       int
	mem         int64
	kernel      string
	os          string
	goNetbench  string
	goApps      string
	mwasm       string
	mwasmGo     string
	wazero      string
	commit      string
	wrk         string
	loadStart   string
	loadEnd     string
	mwasmBinary string
}

func readText(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(b)
}

func cmdOutput(ctx context.Context, dir, name string, args ...string) string {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	out, _ := cmd.CombinedOutput() // wrk -v exits 1 after printing its version
	return strings.TrimSpace(string(out))
}

func loadAvg() string {
	fs := strings.Fields(readText("/proc/loadavg"))
	if len(fs) < 3 {
		return "unknown"
	}
	return strings.Join(fs[:3], " ")
}

func gatherEnv(ctx context.Context, cfg config, useWrk bool) envInfo {
	e := envInfo{
		date:        time.Now().UTC(),
		cpu:         cpuModel(readText("/proc/cpuinfo")),
		cores:       runtime.NumCPU(),
		mem:         memTotal(readText("/proc/meminfo")),
		kernel:      strings.TrimSpace(readText("/proc/sys/kernel/osrelease")),
		goNetbench:  runtime.Version(),
		mwasmBinary: cfg.mwasm,
	}
	for _, line := range strings.Split(readText("/etc/os-release"), "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			e.os = strings.Trim(v, `"`)
		}
	}
	e.goApps = cmdOutput(ctx, cfg.repo, "go", "env", "GOVERSION")
	ver := cmdOutput(ctx, "", cfg.mwasm, "version")
	e.mwasm = versionLine(ver, "mwasm")
	e.mwasmGo = versionLine(ver, "go")
	e.wazero = versionLine(ver, "wazero")
	if e.wazero == "" || e.wazero == "unknown" {
		if v := requireVersion(readText(filepath.Join(cfg.repo, "go.mod")), "github.com/tetratelabs/wazero"); v != "" {
			e.wazero = v + " (from go.mod)"
		}
	}
	// --no-optional-locks: do not refresh the index, which another git process may hold.
	if c := cmdOutput(ctx, cfg.repo, "git", "rev-parse", "HEAD"); len(c) == 40 {
		e.commit = c
		if st := cmdOutput(ctx, cfg.repo, "git", "--no-optional-locks", "status", "--porcelain"); st != "" {
			e.commit += " + uncommitted changes in the working tree"
		}
	}
	if useWrk {
		e.wrk = firstLines(cmdOutput(ctx, "", cfg.wrk, "-v"), 1)
	}
	return e
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// markdown renders the report.
func (r *report) markdown() string {
	var b strings.Builder
	e := r.env
	fmt.Fprintf(&b, "# mwasm hosted network benchmark\n\n")
	fmt.Fprintf(&b, "`mwasm run --net user,hostfwd=tcp:127.0.0.1:PORT-:GUESTPORT` serving apps/httpd and apps/echo "+
		"(Go apps built with GOOS=wasip1, their own TCP/IP stack via mnet) against native Go servers with the same handlers on loopback. "+
		"%d rounds, peers alternating which goes first each round; each cell is the median over the rounds.\n\n", r.cfg.rounds)

	if r.cfg.note != "" {
		fmt.Fprintf(&b, "%s\n\n", r.cfg.note)
	}
	fmt.Fprintf(&b, "| Workload | Unit | mwasm | native | mwasm/native | mwasm CPU (cores) |\n")
	fmt.Fprintf(&b, "|---|---|--:|--:|--:|--:|\n")
	for _, wl := range r.workloads {
		mv, mok := median(r.get(wl.key, "mwasm").values)
		nv, nok := median(r.get(wl.key, "native").values)
		ratio := "n/a"
		if mok && nok {
			ratio = formatRatio(mv, nv)
		}
		cpu := "n/a"
		if c, ok := median(r.get(wl.key, "mwasm").cpu); ok {
			cpu = formatSig(c, 2)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", wl.title, wl.unit, cell(mv, mok), cell(nv, nok), ratio, cpu)
	}
	if mp, ok := median(r.p99["mwasm"]); ok {
		np, _ := median(r.p99["native"])
		fmt.Fprintf(&b, "| TCP echo, 64-byte round trip (p99) | µs | %s | %s | %s | |\n", formatSig(mp, 3), formatSig(np, 3), formatRatio(mp, np))
	}
	fmt.Fprintf(&b, "\nThroughput ratios below 1 and latency ratios above 1 mean mwasm is slower. "+
		"MB/s is 10^6 bytes per second of payload echoed (sent and received concurrently). "+
		"mwasm CPU is the mwasm process's user+system time over the measurement's wall time; the native servers run inside netbench, which also runs the clients.\n\n")

	fmt.Fprintf(&b, "Per-round values (in the order measured):\n\n")
	fmt.Fprintf(&b, "| Workload | mwasm | native |\n|---|---|---|\n")
	for _, wl := range r.workloads {
		fmt.Fprintf(&b, "| %s (%s) | %s | %s |\n", wl.title, wl.unit,
			formatSeries(r.get(wl.key, "mwasm").values), formatSeries(r.get(wl.key, "native").values))
	}
	var errNotes []string
	for _, wl := range r.workloads {
		for _, p := range peerNames {
			s := r.get(wl.key, p)
			if s.bad > 0 || s.errs > 0 {
				errNotes = append(errNotes, fmt.Sprintf("%s, %s: %d wrong/non-2xx responses, %d connection errors", wl.title, p, s.bad, s.errs))
			}
		}
	}
	if len(errNotes) > 0 {
		fmt.Fprintf(&b, "\nErrors (not counted in the rates):\n\n")
		for _, n := range errNotes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	} else {
		fmt.Fprintf(&b, "\nNo wrong responses, wrong bytes or connection errors in any round.\n")
	}

	fmt.Fprintf(&b, "\nStart-up (mwasm run of a prebuilt .wasm until the app printed \"listening\"): httpd %s, echo %s.\n",
		e2s(r.startHTTP), e2s(r.startEcho))

	fmt.Fprintf(&b, "\n## Machine and versions\n\n")
	fmt.Fprintf(&b, "- Date: %s\n", e.date.Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "- CPU: %s, %d logical cores\n", orUnknown(e.cpu), e.cores)
	mem := "unknown"
	if e.mem > 0 {
		mem = fmt.Sprintf("%.1f GiB", float64(e.mem)/(1<<30))
	}
	fmt.Fprintf(&b, "- Memory: %s\n", mem)
	fmt.Fprintf(&b, "- OS: %s, Linux %s\n", orUnknown(e.os), orUnknown(e.kernel))
	fmt.Fprintf(&b, "- Load average (1, 5, 15 min) at start: %s; at end: %s\n", e.loadStart, e.loadEnd)
	fmt.Fprintf(&b, "- mwasm: %s, built with %s\n", orUnknown(e.mwasm), orUnknown(e.mwasmGo))
	fmt.Fprintf(&b, "- mwasm git commit: %s\n", orUnknown(e.commit))
	fmt.Fprintf(&b, "- wazero: %s\n", orUnknown(e.wazero))
	fmt.Fprintf(&b, "- Apps (httpd.wasm, echo.wasm) built with: %s; netbench and native peers: %s\n", orUnknown(e.goApps), e.goNetbench)
	if e.wrk != "" {
		fmt.Fprintf(&b, "- wrk: %s\n", e.wrk)
	}
	fmt.Fprintf(&b, "- Settings: -rounds %d -duration %v -warmup %v -conc %d -mib %d -pings %d\n",
		r.cfg.rounds, r.cfg.duration, r.cfg.warmup, r.cfg.conc, r.cfg.mib, r.cfg.pings)

	fmt.Fprintf(&b, "\n## How to reproduce\n\n")
	fmt.Fprintf(&b, "From the repository root (Linux; Go, and optionally wrk: `apt-get install wrk`):\n\n")
	fmt.Fprintf(&b, "    %s\n\n", r.cfg.cmdline)
	fmt.Fprintf(&b, "netbench builds cmd/mwasm, apps/httpd and apps/echo from the working tree, "+
		"runs every workload above in one go (add `-o FILE` to write this report), and stops every process it started. "+
		"See `go run ./cmd/netbench -h` for the flags. Absolute numbers depend on the machine and on what else it runs; compare ratios from the same run.\n")
	return b.String()
}

func cell(v float64, ok bool) string {
	if !ok {
		return "n/a"
	}
	return formatSig(v, 3)
}

func e2s(d time.Duration) string {
	if d == 0 {
		return "n/a"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + " s"
}
