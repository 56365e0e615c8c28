//go:build linux && amd64

package difffuzz

import (
	"context"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/mwasm/mwasm/aot"
	"github.com/mwasm/mwasm/aot/frontend"
	aotrt "github.com/mwasm/mwasm/aot/runtime"
	"github.com/mwasm/mwasm/wasmc"
)

// oneFunc is a module exporting "f": (params) -> i32 with the given body.
func oneFunc(params, body []byte) []byte {
	m := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	m = section(m, 1, append(append([]byte{1, 0x60, byte(len(params))}, params...), 1, 0x7f))
	m = section(m, 3, []byte{1, 0})
	m = section(m, 7, append(appendName([]byte{1}, "f"), 0, 0))
	return section(m, 10, append([]byte{1, byte(len(body))}, body...))
}

func aotCall(t *testing.T, wasm []byte, args ...uint64) uint64 {
	t.Helper()
	m, err := wasmc.Decode(wasm)
	if err == nil {
		err = wasmc.Validate(m)
	}
	if err != nil {
		t.Fatal(err)
	}
	obj, err := aot.Compile(m, aot.Options{BoundsChecks: frontend.BoundsExplicit, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	inst, err := aotrt.Instantiate(obj.Loadable(), m, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	r, err := inst.Call("f", args...)
	if err != nil {
		t.Fatal(err)
	}
	return r[0]
}

func wazeroCall(t *testing.T, wasm []byte, compiler bool, args ...uint64) uint64 {
	t.Helper()
	ctx := context.Background()
	cfg := wazero.NewRuntimeConfigInterpreter()
	if compiler {
		cfg = wazero.NewRuntimeConfigCompiler()
	}
	rt := wazero.NewRuntimeWithConfig(ctx, cfg.WithCoreFeatures(api.CoreFeaturesV2))
	defer rt.Close(ctx)
	mod, err := rt.Instantiate(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	r, err := mod.ExportedFunction("f").Call(ctx, args...)
	if err != nil {
		t.Fatal(err)
	}
	return r[0]
}

// TestWazeroCompilerBranchOnZeroCmpAnd documents the first divergence the
// fuzzer found, which is wazero's, not ours: wazero v1.12.0's optimizing
// compiler (amd64) miscompiles a branch (if / br_if) on an ordered integer
// comparison whose LEFT operand is the constant 0 and whose right operand
// is an `and`: `if (i64.ge_u (i64.const 0) (i64.and x y))` takes the then
// arm when x&y != 0. It evaluates `and(x,y) <op> 0` (a `test` without
// swapping the operands): ge_u/ge_s/gt_u come out true, lt_u false. The same
// comparison as a value, with eq, or with the operands the other way round
// is right, and wazero's interpreter is right. The spec
// (numerics: ige_u(i1, i2) = 1 iff i1 >= i2) gives 0 for ge_u(0, 1).
//
// Check excludes it (and any such compiler-only divergence) by running
// wazero's interpreter as the tie-breaker: when it agrees with aot on the
// whole trace the module is reported as a *WazeroCompilerBug, not a
// divergence. The fuzzer's input is kept as the seed
// testdata/fuzz/FuzzDiffWazero/wazero_compiler_branch_on_zero_cmp_and.
func TestWazeroCompilerBranchOnZeroCmpAnd(t *testing.T) {
	ifte := []byte{0x04, 0x7f, 0x41, 1, 0x05, 0x41, 0, 0x0b, 0x0b}
	cases := []struct {
		name string
		cond []byte // pushes an i32 condition, p = local 0 (i64)
		want uint64 // per the spec, with p = 3
	}{
		{"i64.ge_u(0, and(p, 1))", []byte{0x42, 0, 0x20, 0, 0x42, 1, 0x83, 0x5a}, 0},
		{"i64.ge_s(0, and(p, 2))", []byte{0x42, 0, 0x20, 0, 0x42, 2, 0x83, 0x59}, 0},
		{"i64.gt_u(0, and(p, 1))", []byte{0x42, 0, 0x20, 0, 0x42, 1, 0x83, 0x56}, 0},
		{"i64.lt_u(0, and(p, 1))", []byte{0x42, 0, 0x20, 0, 0x42, 1, 0x83, 0x54}, 1},
		{"i32.ge_u(0, and(wrap p, 1))", []byte{0x41, 0, 0x20, 0, 0xa7, 0x41, 1, 0x71, 0x4f}, 0},
	}
	for _, c := range cases {
		wasm := oneFunc([]byte{tI64}, append(append([]byte{0}, c.cond...), ifte...))
		if got := aotCall(t, wasm, 3); got != c.want {
			t.Errorf("aot: if %s with p=3 took the wrong arm: got %d, want %d", c.name, got, c.want)
		}
		if got := wazeroCall(t, wasm, false, 3); got != c.want {
			t.Errorf("wazero interpreter: if %s: got %d, want %d", c.name, got, c.want)
		}
		if got := wazeroCall(t, wasm, true, 3); got != c.want {
			t.Logf("wazero compiler still miscompiles if %s: got %d, want %d", c.name, got, c.want)
		}
	}
	// The fuzzer's module is classified as wazero's bug, not a divergence.
	data, _ := hex.DecodeString("1d000041")
	var st Stats
	err := Check(Generate(data), &st)
	var wb *WazeroCompilerBug
	var d *Divergence
	if errors.As(err, &d) {
		t.Fatalf("the fuzzer's module is reported as a divergence: %v", err)
	}
	if err != nil && !errors.As(err, &wb) {
		t.Fatal(err)
	}
}

// TestWazeroPassiveExternrefSegment documents a wazero v1.12.0 bug the
// fuzzer found: a passive element segment of type externref gets no element
// instance (internal/wasm/store.go, buildElementInstances, only fills
// passive funcref segments), so `table.init` from it with n > 0 traps with
// "invalid table access" in both wazero engines. Per the spec (Wasm 2.0,
// 4.5.3 "Allocation": every element segment becomes an element instance
// holding its evaluated references; 4.4.6 table.init traps only when s+n
// exceeds the element instance's length or d+n the table's), copying the 2
// ref.null of such a segment into a table of length 2 succeeds.
//
// The generator excludes it narrowly: its passive externref segment is
// empty, so table.init from it still runs (n = 0 succeeds, n > 0 traps in
// both engines) but never depends on the missing contents.
func TestWazeroPassiveExternrefSegment(t *testing.T) {
	m := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	m = section(m, 1, []byte{1, 0x60, 0, 1, tI32})
	m = section(m, 3, []byte{1, 0})
	m = section(m, 4, []byte{1, tExternref, 0, 2})
	m = section(m, 7, append(appendName([]byte{1}, "f"), 0, 0))
	m = section(m, 9, []byte{1, 5, tExternref, 2, 0xd0, tExternref, 0x0b, 0xd0, tExternref, 0x0b})
	// table.init 0 0 (d=0, s=0, n=2); i32.const 7
	body := []byte{0, 0x41, 0, 0x41, 0, 0x41, 2, 0xfc, 12, 0, 0, 0x41, 7, 0x0b}
	m = section(m, 10, append([]byte{1, byte(len(body))}, body...))
	if got := aotCall(t, m); got != 7 {
		t.Errorf("aot: got %d, want 7", got)
	}
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(api.CoreFeaturesV2))
	defer rt.Close(ctx)
	mod, err := rt.Instantiate(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mod.ExportedFunction("f").Call(ctx); err == nil {
		t.Log("wazero now initializes passive externref segments: give the generator's externref segment elements again (gen.go, nExtern)")
	} else if wazeroClass(err) != TrapTable {
		t.Errorf("wazero: %v", err)
	}
}
