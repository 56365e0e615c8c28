package main

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	odd := []time.Duration{5, 1, 3}
	if m, ok := median(odd); !ok || m != 3 {
		t.Errorf("median(5,1,3) = %v, %v; want 3, true", m, ok)
	}
	if odd[0] != 5 || odd[1] != 1 {
		t.Errorf("median reordered its input: %v", odd)
	}
	if m, _ := median([]time.Duration{10, 40, 20, 30}); m != 25 {
		t.Errorf("median(10,40,20,30) = %v, want 25", m)
	}
	if _, ok := median(nil); ok {
		t.Error("median of nothing reported ok")
	}
}

func TestRatioAndGeomean(t *testing.T) {
	if r, ok := ratio(300*time.Millisecond, 200*time.Millisecond); !ok || r != 1.5 {
		t.Errorf("ratio(300ms, 200ms) = %v, %v; want 1.5, true", r, ok)
	}
	if _, ok := ratio(time.Second, 0); ok {
		t.Error("ratio over zero reported ok")
	}
	if g, ok := geomean([]float64{2, 8}); !ok || math.Abs(g-4) > 1e-12 {
		t.Errorf("geomean(2,8) = %v, %v; want 4", g, ok)
	}
	if g, _ := geomean([]float64{0.5, 2, 3}); math.Abs(g-math.Cbrt(3)) > 1e-12 {
		t.Errorf("geomean(0.5,2,3) = %v, want %v", g, math.Cbrt(3))
	}
	big := make([]float64, 400)
	for i := range big {
		big[i] = 1e300
	}
	if g, ok := geomean(big); !ok || math.Abs(g/1e300-1) > 1e-9 {
		t.Errorf("geomean of 400 x 1e300 = %v, %v: the product must not overflow", g, ok)
	}
	for _, bad := range [][]float64{nil, {1, 0}, {1, -2}, {math.Inf(1)}, {math.NaN()}} {
		if _, ok := geomean(bad); ok {
			t.Errorf("geomean(%v) reported ok", bad)
		}
	}
}

func TestCompareOutput(t *testing.T) {
	if d := compareOutput("73196\nPfannkuchen(10) = 38\n", "73196 \r\nPfannkuchen(10) = 38"); d != "" {
		t.Errorf("outputs differing only in line ends and trailing blanks compared unequal: %s", d)
	}
	d := compareOutput("-0.169075164\n-0.169083134\n", "-0.169075164\n-0.169083135\n")
	if !strings.Contains(d, "line 2") || !strings.Contains(d, "-0.169083135") {
		t.Errorf("difference on line 2 described as %q", d)
	}
	if d := compareOutput("a\nb\n", "a\n"); !strings.Contains(d, "1 lines, want 2") {
		t.Errorf("missing line described as %q", d)
	}
	if d := compareOutput("abc\n", ""); d != "printed nothing" {
		t.Errorf("empty output described as %q", d)
	}
}

func TestCellAddRun(t *testing.T) {
	var c cell
	c.addRun(30*time.Millisecond, "42\n", "42\n", nil)
	c.addRun(10*time.Millisecond, "42", "42\n", nil)
	c.addRun(20*time.Millisecond, "42\n", "42\n", nil)
	if !c.ok() || c.median() != 20*time.Millisecond {
		t.Fatalf("three good runs: ok=%v median=%v, want true 20ms", c.ok(), c.median())
	}
	c.addRun(time.Millisecond, "41\n", "42\n", nil)
	if c.ok() || !strings.HasPrefix(c.Fail, "checksum:") || len(c.Times) != 3 {
		t.Errorf("after a wrong checksum: ok=%v Fail=%q runs=%d; want a checksum failure and the bad time not kept", c.ok(), c.Fail, len(c.Times))
	}
	if c.median() != 0 {
		t.Errorf("a failed cell has median %v, want 0", c.median())
	}
	var e cell
	e.addRun(time.Millisecond, "", "x", errors.New("exit status 3\nmore"))
	if e.Fail != "error: exit status 3 more" {
		t.Errorf("run error recorded as %q", e.Fail)
	}
	n := cell{NA: "no build command", Times: []time.Duration{1}}
	if n.ok() {
		t.Error("an n/a cell reported ok")
	}
}

// fakeResults builds results with fixed medians (one run each) in ms.
func fakeResults(rows map[string][numPeers]float64) *results {
	res := &results{Run: map[string]*[numPeers]cell{}, Compile: map[string]*[numPeers]cell{}, Rounds: 1, CRounds: 1}
	for _, id := range []string{"c/a", "c/b", "go/a", "go/empty"} {
		v, ok := rows[id]
		if !ok {
			continue
		}
		lang, name, _ := strings.Cut(id, "/")
		res.Workloads = append(res.Workloads, &workload{Lang: lang, Name: name, Startup: name == startupName, Bytes: make([]byte, 1000)})
		rc, cc := &[numPeers]cell{}, &[numPeers]cell{}
		for p, ms := range v {
			switch {
			case ms > 0:
				rc[p].Times = []time.Duration{time.Duration(ms * 1e6)}
				cc[p].Times = []time.Duration{time.Duration(ms * 1e6)}
			case ms < 0:
				rc[p].Fail, cc[p].Fail = "checksum: line 1", "error: boom"
			default:
				rc[p].NA, cc[p].NA = "mwasm build failed", "mwasm build failed"
			}
		}
		res.Run[id], res.Compile[id] = rc, cc
	}
	return res
}

func TestGeoRatioAndBar(t *testing.T) {
	// native, wasmtime, wazero, mwasm
	res := fakeResults(map[string][numPeers]float64{
		"c/a":      {100, 200, 400, 100},
		"c/b":      {100, 150, 100, 400},
		"go/a":     {100, 300, 900, 0}, // mwasm n/a
		"go/empty": {1, 1, 1, 1000},    // start-up: never in the means
	})
	if s := geoRatio(res, "", peerMwasm, peerWazero); s.n != 2 || s.total != 3 || math.Abs(s.mean-1) > 1e-12 {
		t.Errorf("mwasm/wazero = %+v, want mean 1 (0.25 and 4) over 2 of 3", s)
	}
	if s := geoRatio(res, "c", peerWazero, peerNative); s.n != 2 || math.Abs(s.mean-2) > 1e-12 {
		t.Errorf("C wazero/native = %+v, want 2 over 2", s)
	}
	md := render(res)
	for _, want := range []string{"over only 2 of 3 workloads: **not met**", "| go/a | 0.00 MB | 100 | 300 (3.00x) | 900 (9.00x) | n/a [1] | - | - |", "1. mwasm build failed"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}

	res = fakeResults(map[string][numPeers]float64{
		"c/a":  {100, 200, 400, 100},
		"go/a": {100, 300, 900, 450},
	})
	if md := render(res); !strings.Contains(md, "0.35x over all 2 workloads: **met**") {
		t.Errorf("mwasm at 0.25x and 0.5x of wazero is not reported as meeting the bar:\n%s", md)
	}
	res = fakeResults(map[string][numPeers]float64{"c/a": {100, 200, 400, -1}})
	if md := render(res); !strings.Contains(md, "**FAIL** [1]") || !strings.Contains(md, "**not measured**") {
		t.Errorf("a wrong mwasm checksum is not shown as FAIL with the bar unmeasured:\n%s", md)
	}
}

func TestDiscover(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"cpu/c/fib", "cpu/c/empty", "cpu/c/nbody", "cpu/go/fib", "cpu/go/big"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ws, err := discover(root, "")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, w := range ws {
		ids = append(ids, w.ID())
	}
	if got := strings.Join(ids, " "); got != "c/fib c/nbody go/big go/fib c/empty" {
		t.Errorf("workload order %q, want start-up last", got)
	}
	ws, err = discover(root, "fib, go/big")
	if err != nil || len(ws) != 3 {
		t.Errorf("-only fib,go/big gave %d workloads (%v), want c/fib go/big go/fib", len(ws), err)
	}
	if _, err := discover(root, "fib,sha1"); err == nil || !strings.Contains(err.Error(), "sha1") {
		t.Errorf("-only with an unknown name: err = %v, want one naming sha1", err)
	}
}

func TestParseAppCompile(t *testing.T) {
	log := "2026-11-27T02:18:08.424Z [INFO]  mwasm: build phases: load=4ms app_decode_validate=60ms app_compile=1.213s shim_build=120ms shim_compile=cached link=131ms total=1.875s\n" +
		"2026-11-27T02:18:08.432Z [INFO]  mwasm: built: out=x bytes=1\n"
	if d, ok := parseAppCompile(log); !ok || d != 1213*time.Millisecond {
		t.Errorf("parseAppCompile = %v, %v; want 1.213s", d, ok)
	}
	if d, ok := parseAppCompile("build phases: app_compile=850µs total=2s"); !ok || d != 850*time.Microsecond {
		t.Errorf("microseconds: %v, %v", d, ok)
	}
	if _, ok := parseAppCompile("[INFO]  mwasm: built: out=x app_code=5"); ok {
		t.Error("a log without the phase line parsed")
	}
}
