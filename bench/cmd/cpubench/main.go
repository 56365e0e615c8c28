// Command cpubench compares the run time of CPU-bound programs natively
// (gcc -O2, go build), under wasmtime (Cranelift, via wasmtime-go), under
// wazero's compiler, and as mwasm native code ("mwasm build --target linux"),
// and the compile time of each Wasm module by each of the three compilers.
//
// How it works: the workloads are the C files and Go main packages under
// bench/cpu/{c,go}/NAME. Each is built natively and to Wasm (clang
// --target=wasm32-wasi -O2; GOOS=wasip1 GOARCH=wasm), compiled once by
// wasmtime and by wazero in this process, and turned into an executable by
// mwasm build when the mwasm CLI has that command (otherwise the mwasm
// cells read "n/a (reason)"). One untimed native run gives the reference
// output; every program prints a checksum, and a peer whose output differs
// is marked FAIL. Then, for each round and workload, the four peers run
// one after another in an order that rotates from run to run (so no peer
// always runs first or last on a shared, noisy machine). Native and mwasm
// times are whole-process wall times; wasmtime and wazero times cover only
// the call of _start on a fresh instance (compile and instantiation
// excluded). The "empty" workloads measure that start-up cost the same way
// for every peer, so readers can judge the difference; they are reported
// apart and left out of the means. Results are medians; ratios are to
// native, and the summary is the geometric mean of the ratios.
//
// Compile time is measured on a fresh engine or runtime each time for
// wasmtime and wazero, and for mwasm both as the whole "mwasm build"
// process and as its app-compile phase (the app_compile field of the
// "build phases" line that mwasm build --log-level info prints), which is
// what the compile-time bar is read on.
//
//	cd bench && go run ./cmd/cpubench -o CPU-REPORT.md
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/tetratelabs/wazero"
)

func main() {
	rounds := flag.Int("rounds", 5, "timed runs of every workload on every peer")
	crounds := flag.Int("crounds", 3, "compile-time samples per module and compiler")
	only := flag.String("only", "", "comma-separated workloads to run: IDs (c/fib) or names (fib = c/fib and go/fib)")
	outPath := flag.String("o", "", "also write the markdown report to this file")
	mwasmPath := flag.String("mwasm", "", "mwasm CLI to use (default: build ./cmd/mwasm of the main module)")
	rootFlag := flag.String("root", "", "the bench module directory (default: found from the working directory)")
	keep := flag.Bool("keep", false, "keep the work directory with the built programs")
	flag.Parse()
	if *rounds < 1 || *crounds < 1 {
		fatalf("-rounds and -crounds must be at least 1")
	}
	if flag.NArg() > 0 {
		fatalf("unexpected arguments %q: cpubench takes only flags (see -help)", flag.Args())
	}
	res, err := run(config{rounds: *rounds, crounds: *crounds, only: *only, mwasm: *mwasmPath, root: *rootFlag, keep: *keep})
	if err != nil {
		fatalf("%v", err)
	}
	res.Command = commandLine()
	md := render(res)
	fmt.Print(md)
	if *outPath != "" {
		if err := os.WriteFile(*outPath, []byte(md), 0o644); err != nil {
			fatalf("writing the report: %v", err)
		}
		fmt.Fprintf(os.Stderr, "cpubench: wrote %s\n", *outPath)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "cpubench: "+format+"\n", args...)
	os.Exit(1)
}

func commandLine() string {
	args := []string{"go", "run", "./cmd/cpubench"}
	for _, a := range os.Args[1:] {
		if strings.ContainsAny(a, " \t'\"") {
			a = "'" + a + "'"
		}
		args = append(args, a)
	}
	return "cd bench && " + strings.Join(args, " ")
}

type config struct {
	rounds, crounds int
	only, mwasm     string
	root            string
	keep            bool
}

// results is everything the report shows.
type results struct {
	Env       environment
	Command   string
	Rounds    int
	CRounds   int
	Date      time.Time
	Elapsed   time.Duration
	Workloads []*workload
	Run       map[string]*[numPeers]cell // by workload ID
	Compile   map[string]*[numPeers]cell // by workload ID; native unused
	// AppCompile is mwasm's compile time of the app alone (from mwasm build's
	// phase log), by workload ID.
	AppCompile map[string]*cell
	MwasmNA    string
}

// addAppCompile records one app-compile sample (-1: the log had none).
func addAppCompile(c *cell, d time.Duration) {
	if d < 0 {
		if c.NA == "" {
			c.NA = "this mwasm build logs no app_compile phase time"
		}
		return
	}
	c.Times = append(c.Times, d)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "cpubench: "+format+"\n", args...)
}

func run(cfg config) (*results, error) {
	ctx := context.Background()
	t0 := time.Now()
	root, err := findRoot(cfg.root)
	if err != nil {
		return nil, err
	}
	ws, err := discover(root, cfg.only)
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "cpubench-")
	if err != nil {
		return nil, err
	}
	if cfg.keep {
		logf("work directory %s (kept)", work)
	} else {
		defer os.RemoveAll(work)
	}

	for _, w := range ws {
		logf("building %s", w.ID())
		if err := buildWorkload(root, work, w); err != nil {
			return nil, fmt.Errorf("building workload %s: %v", w.ID(), err)
		}
	}
	mw := findMwasm(root, work, cfg.mwasm)
	if mw.NA != "" {
		logf("mwasm: n/a: %s", mw.NA)
	}
	res := &results{Env: readEnvironment(mw), Rounds: cfg.rounds, CRounds: cfg.crounds, Date: t0,
		Workloads: ws, Run: map[string]*[numPeers]cell{}, Compile: map[string]*[numPeers]cell{}, AppCompile: map[string]*cell{}, MwasmNA: mw.NA}

	wt := newWasmtimePeer(work)
	wz := newWazeroPeer(ctx)
	defer wz.rt.Close(ctx)
	wtMods := map[string]*wasmtime.Module{}
	wzMods := map[string]wazero.CompiledModule{}

	// Compile once for the runs; that compile is the first compile-time sample.
	for _, w := range ws {
		rc, cc, ac := &[numPeers]cell{}, &[numPeers]cell{}, &cell{}
		res.Run[w.ID()], res.Compile[w.ID()], res.AppCompile[w.ID()] = rc, cc, ac
		cc[peerNative].NA = "not compiled"
		logf("compiling %s (%.1f MB)", w.ID(), float64(len(w.Bytes))/1e6)
		if m, d, err := wt.compile(w.Bytes); err != nil {
			rc[peerWasmtime].NA, cc[peerWasmtime].Fail = "compile failed", "error: "+oneLine(err.Error())
		} else {
			wtMods[w.ID()] = m
			cc[peerWasmtime].Times = append(cc[peerWasmtime].Times, d)
		}
		if m, d, err := wz.compile(ctx, w.Bytes); err != nil {
			rc[peerWazero].NA, cc[peerWazero].Fail = "compile failed", "error: "+oneLine(err.Error())
		} else {
			wzMods[w.ID()] = m
			cc[peerWazero].Times = append(cc[peerWazero].Times, d)
		}
		switch {
		case mw.NA != "":
			rc[peerMwasm].NA, cc[peerMwasm].NA, ac.NA = mw.NA, mw.NA, mw.NA
		default:
			exe := strings.TrimSuffix(w.Wasm, ".wasm") + ".mwasm"
			if d, app, err := mw.build(w.Wasm, exe); err != nil {
				w.NoMw = oneLine(err.Error())
				rc[peerMwasm].NA, cc[peerMwasm].Fail, ac.Fail = "build failed: "+w.NoMw, "error: "+w.NoMw, "error: "+w.NoMw
			} else {
				w.Mwasm = exe
				cc[peerMwasm].Times = append(cc[peerMwasm].Times, d)
				addAppCompile(ac, app)
			}
		}
	}

	// The reference output: one untimed native run (also warms the caches).
	want := map[string]string{}
	for _, w := range ws {
		_, out, err := runProcess(w.Native)
		if err != nil {
			return nil, fmt.Errorf("native run of %s: %v", w.ID(), err)
		}
		want[w.ID()] = out
	}

	runOne := func(p peer, w *workload) (time.Duration, string, error) {
		switch p {
		case peerNative:
			return runProcess(w.Native)
		case peerWasmtime:
			return wt.run(wtMods[w.ID()], w.Name)
		case peerWazero:
			return wz.run(ctx, wzMods[w.ID()], w.Name)
		default:
			return runProcess(w.Mwasm)
		}
	}
	for r := 0; r < cfg.rounds; r++ {
		logf("round %d of %d (load %s)", r+1, cfg.rounds, loadavg())
		for wi, w := range ws {
			rc := res.Run[w.ID()]
			for k := 0; k < int(numPeers); k++ {
				p := peer((r + wi + k) % int(numPeers))
				if rc[p].NA != "" {
					continue
				}
				d, out, err := runOne(p, w)
				rc[p].addRun(d, out, want[w.ID()], err)
			}
		}
	}

	// The remaining compile-time samples, alternating the compilers.
	for r := 1; r < cfg.crounds; r++ {
		logf("compile round %d of %d", r+1, cfg.crounds)
		for wi, w := range ws {
			cc := res.Compile[w.ID()]
			for k := 0; k < 3; k++ {
				p := peer(1 + (r+wi+k)%3)
				if !cc[p].ok() {
					continue
				}
				var d, app time.Duration
				var err error
				switch p {
				case peerWasmtime:
					d, err = wt.compileFresh(w.Bytes)
				case peerWazero:
					d, err = wz.compileFresh(ctx, w.Bytes)
				case peerMwasm:
					d, app, err = mw.build(w.Wasm, filepath.Join(work, "compile-sample.mwasm"))
					if err == nil {
						addAppCompile(res.AppCompile[w.ID()], app)
					}
				}
				cc[p].addRun(d, "", "", err)
			}
		}
	}
	res.Env.LoadEnd = loadavg()
	res.Elapsed = time.Since(t0)
	return res, nil
}
