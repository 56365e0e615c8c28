// Command stdiobench measures the cost of an app's output to a file in every
// home, side by side in one run: tests/corpus/c/stdiotype.c prints N lines to
// stdout (a regular file), with wasi-libc's default buffering (by block on a
// file, now that mwasm reports the file's type) and line-buffered (setvbuf:
// one fd_write per line, which is what every run did when stdout always said
// CHARACTER_DEVICE). Peers: mwasm run, the native executable of mwasm build
// --target linux, wazero's own CLI, and package hosted in this process with and
// without wazero's loop check (hosted.Config.CheckLoops). Rounds alternate the
// peers; the report gives medians and ratios to wazero's CLI.
//
//	cd bench && go run ./cmd/stdiobench [-lines N] [-rounds R] [-o STDIO-REPORT.md]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/mwasm/mwasm/bench/internal/report"
	"github.com/mwasm/mwasm/shim/hosted"
	"github.com/mwasm/mwasm/wasmc/driver"
)

func main() {
	lines := flag.Int("lines", 1000000, "lines the app prints per run")
	rounds := flag.Int("rounds", 5, "runs of each peer and mode")
	out := flag.String("o", "", "also write the markdown report to this file")
	flag.Parse()
	if err := run(*lines, *rounds, *out); err != nil {
		fmt.Fprintln(os.Stderr, "stdiobench:", err)
		os.Exit(1)
	}
}

type peer struct {
	name string
	run  func(out *os.File, args []string) error
}

func run(lines, rounds int, outPath string) error {
	bench, _ := os.Getwd()
	root := filepath.Dir(bench)
	work, err := os.MkdirTemp("", "stdiobench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	mw, wz := filepath.Join(work, "mwasm"), filepath.Join(work, "wazero")
	if _, err := report.Sh(root, "go", "build", "-o", mw, "./cmd/mwasm"); err != nil {
		return err
	}
	if _, err := report.Sh(bench, "go", "build", "-o", wz, "github.com/tetratelabs/wazero/cmd/wazero"); err != nil {
		return err
	}
	src := filepath.Join(work, "stdiotype")
	os.Mkdir(src, 0o755)
	if _, err := report.Sh(root, "cp", "tests/corpus/c/stdiotype.c", src); err != nil {
		return err
	}
	wasmPath := filepath.Join(work, "stdiotype.wasm")
	if _, err := driver.Build(context.Background(), src, driver.Options{Output: wasmPath}); err != nil {
		return err
	}
	wasm, err := os.ReadFile(wasmPath)
	if err != nil {
		return err
	}
	exe := filepath.Join(work, "stdiotype.exe")
	if _, err := report.Sh(root, mw, "build", "--target", "linux", wasmPath, "-o", exe); err != nil {
		return err
	}
	child := func(argv ...string) func(*os.File, []string) error {
		return func(out *os.File, args []string) error {
			cmd := exec.Command(argv[0], append(argv[1:], args...)...)
			cmd.Stdout, cmd.Stderr = out, os.Stderr
			return cmd.Run()
		}
	}
	inProcess := func(check bool) func(*os.File, []string) error {
		return func(out *os.File, args []string) error {
			code, err := hosted.Run(context.Background(), wasm, hosted.Config{Name: "stdiotype", Args: args, Stdout: out, Stderr: os.Stderr, CheckLoops: check})
			if err == nil && code != 0 {
				err = fmt.Errorf("exit status %d", code)
			}
			return err
		}
	}
	peers := []peer{
		{"mwasm run", child(mw, "run", wasmPath, "--")},
		{"native (mwasm build --target linux)", child(exe)},
		{"wazero CLI", child(wz, "run", wasmPath)},
		{"hosted.Run, no loop check (as mwasm run)", inProcess(false)},
		{"hosted.Run, CheckLoops", inProcess(true)},
	}
	modes := []string{"block", "line"}
	times := map[string][]float64{} // peer + mode
	outFile := filepath.Join(work, "out")
	n := fmt.Sprint(lines)
	for r := 0; r < rounds; r++ {
		for k := range peers {
			p := peers[(k+r)%len(peers)]
			for _, m := range modes {
				f, err := os.Create(outFile)
				if err != nil {
					return err
				}
				args := []string{n}
				if m == "line" {
					args = append(args, "line")
				}
				t0 := time.Now()
				err = p.run(f, args)
				d := time.Since(t0).Seconds()
				st, _ := f.Stat()
				f.Close()
				if err != nil {
					return fmt.Errorf("%s (%s): %v", p.name, m, err)
				}
				if st.Size() < int64(lines)*7 {
					return fmt.Errorf("%s (%s): only %d bytes out", p.name, m, st.Size())
				}
				times[p.name+"/"+m] = append(times[p.name+"/"+m], d)
			}
		}
	}

	var b strings.Builder
	pr := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	pr("# Output to a file: the cost of a line\n\n")
	pr("Written by `cd bench && go run ./cmd/stdiobench -o STDIO-REPORT.md` on %s: tests/corpus/c/stdiotype.c printing %d lines\n", time.Now().UTC().Format("2006-01-02"), lines)
	pr("to stdout, a regular file; %d rounds, peers alternating; medians in seconds, ratios to wazero's CLI in the same mode.\n\n", rounds)
	pr("Machine: %s, %d cores; %s; wazero v1.12.0 (bench/go.mod); %s.\n", report.Field("/proc/cpuinfo", "model name"), runtime.NumCPU(), runtime.Version(), report.FirstLine("clang", "--version"))
	pr("mwasm: %s.\n\n", report.FirstLine("git", "-C", root, "log", "-1", "--format=%h %s"))
	pr("- block: wasi-libc's default, which buffers by block because stdout reports REGULAR_FILE.\n")
	pr("- line: the app line-buffers (setvbuf): one fd_write per line, as every home made when stdout always reported\n  CHARACTER_DEVICE, whatever it was.\n\n")
	pr("| peer | block (s) | ratio | line (s) | ratio |\n|---|--:|--:|--:|--:|\n")
	wb, wl := report.Median(times["wazero CLI/block"]), report.Median(times["wazero CLI/line"])
	for _, p := range peers {
		mb, ml := report.Median(times[p.name+"/block"]), report.Median(times[p.name+"/line"])
		pr("| %s | %.3f | %.2fx | %.3f | %.2fx |\n", p.name, mb, mb/wb, ml, ml/wl)
	}
	md := b.String()
	fmt.Print(md)
	if outPath != "" {
		return os.WriteFile(outPath, []byte(md), 0o644)
	}
	return nil
}
