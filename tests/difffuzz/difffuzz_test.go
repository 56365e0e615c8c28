//go:build linux && amd64

package difffuzz

import (
	"encoding/binary"
	"errors"
	"os"
	"strconv"
	"testing"
	"time"
)

func check(t *testing.T, data []byte, st *Stats) {
	t.Helper()
	m := Generate(data)
	err := Check(m, st)
	var wb *WazeroCompilerBug
	if errors.As(err, &wb) {
		st.WazeroBugs++
		t.Logf("input %x: %v", data, err)
		return
	}
	if err != nil {
		if errors.Is(err, ErrGenerator) {
			os.WriteFile(t.TempDir()+"/bad.wasm", m.Wasm, 0o644)
		}
		t.Fatalf("input %x (module of %d bytes): %v", data, len(m.Wasm), err)
	}
}

// FuzzDiffWazero generates a module from the input and requires wazero and
// aot to agree on it (see the package comment).
func FuzzDiffWazero(f *testing.F) {
	for _, s := range []string{"", "\x00", "\x01\x02\x03", "mwasm", "\xff\xff\xff\xff", "loops and calls", "\x05\x10\x20\x30\x40\x50\x60\x70"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var st Stats
		check(t, data, &st)
	})
}

// TestSweep checks a deterministic sweep of generated modules (DIFFFUZZ_SWEEP
// sets the count; default 300).
func TestSweep(t *testing.T) {
	n := 300
	if s := os.Getenv("DIFFFUZZ_SWEEP"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	if testing.Short() {
		n = 50
	}
	var st Stats
	start := time.Now()
	for i := 0; i < n; i++ {
		data := binary.LittleEndian.AppendUint64(nil, uint64(i+1)*0x9e3779b97f4a7c15)
		check(t, data, &st)
	}
	// The sweep must actually exercise calls and traps; a generator that
	// degenerated into trivial modules would pass the comparison vacuously.
	if st.Calls < 3*n || st.Traps == 0 || st.Traps == st.Calls {
		t.Fatalf("sweep exercised %d calls and %d traps over %d modules: the generator is degenerate", st.Calls, st.Traps, n)
	}
	// ... and the features added later: linked library modules, reference
	// and table instructions, stack exhaustion.
	if st.Libs < n/10 || st.RefOps < n || st.ByClass[TrapStack] < n/40 {
		t.Fatalf("sweep linked %d library modules, generated %d reference/table instructions and %d stack exhaustions over %d modules: the generator is degenerate",
			st.Libs, st.RefOps, st.ByClass[TrapStack], n)
	}
	t.Logf("%d modules (%d with a library), %d calls, %d traps, %d reference/table instructions in %v; %d modules skipped as wazero compiler bugs",
		n, st.Libs, st.Calls, st.Traps, st.RefOps, time.Since(start), st.WazeroBugs)
	for c, k := range st.ByClass {
		t.Logf("  %-30s %d", TrapClass(c), k)
	}
}
