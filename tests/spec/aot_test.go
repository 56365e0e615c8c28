//go:build linux && amd64

package spec

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mwasm/mwasm/wasmc"
)

// AOTExclusions lists commands mwasm's compiler is not expected to pass, with
// the reason (none: the spec is the spec).
var AOTExclusions = map[string]string{}

// TestSpecAOT runs every command of v1 and of non-SIMD v2 through mwasm's
// own compiler (aot.Compile with explicit bounds checks) and runtime
// (aot/runtime), and requires zero failures. It is the bar of issue 3.
func TestSpecAOT(t *testing.T) {
	dir, err := suiteDir("")
	if err != nil {
		t.Fatal(err)
	}
	e := NewAOTEngine()
	defer e.Close()
	// Compile every module of the suite on all CPUs first; the run then
	// finds them in the cache.
	for _, s := range []Suite{SuiteV1, SuiteV2} {
		names, _ := filepath.Glob(filepath.Join(dir, string(s), "testdata", "*.wasm"))
		var wasms [][]byte
		for _, n := range names {
			if strings.HasPrefix(filepath.Base(n), "simd_") {
				continue
			}
			b, err := os.ReadFile(n)
			if err != nil {
				t.Fatal(err)
			}
			wasms = append(wasms, b)
		}
		e.Precompile(s, wasms)
	}
	var out bytes.Buffer
	res, err := RunSuite(e, Options{Dir: dir, Exclude: AOTExclusions, Out: &out, Quiet: true, MaxListed: 2000})
	if err != nil {
		t.Fatalf("spec: %v", err)
	}
	fmt.Println(res.Summary())
	fmt.Println(res.SkippedLine())
	t.Log(res.Summary())
	t.Log(res.SkippedLine())
	for _, s := range []Suite{SuiteV1, SuiteV2} {
		if c := res.BySuite[s]; c == nil || c.Passed+c.Failed < 10000 {
			t.Errorf("suite %s: counts %+v, want more than 10000 commands run", s, c)
		}
	}
	if len(res.Stale) > 0 {
		t.Errorf("exclusions that now pass (remove them): %v", res.Stale)
	}
	if res.Failed > 0 {
		t.Errorf("%s\n%s", res.Summary(), out.String())
	}
}

// recorder keeps the traps an engine's instances return.
type recorder struct {
	Engine
	traps []*Trap
}

type recInst struct {
	Instance
	r *recorder
}

func (r *recorder) Instantiate(wasm []byte, as string) (Instance, error) {
	inst, err := r.Engine.Instantiate(wasm, as)
	if err != nil {
		return nil, err
	}
	return &recInst{inst, r}, nil
}

func (r *recorder) Register(name string, inst Instance) error {
	return r.Engine.Register(name, inst.(*recInst).Instance)
}

func (i *recInst) Invoke(name string, args []Value) ([]Value, error) {
	res, err := i.Instance.Invoke(name, args)
	var tr *Trap
	if errors.As(err, &tr) {
		i.r.traps = append(i.r.traps, tr)
	}
	return res, err
}

// TestAOTEngineTraps: the AOT engine reports each call_indirect failure with
// its own kind, in the spec's words, with the trapping function and Wasm
// offset, and call stack exhaustion as TrapStackExhausted.
func TestAOTEngineTraps(t *testing.T) {
	e := NewAOTEngine()
	defer e.Close()
	rec := &recorder{Engine: e}
	res, out := runFiles(t, rec, SuiteV2, "call_indirect.json")
	if res.Failed != 0 || res.Passed < 100 {
		t.Fatalf("%s\n%s", res.Summary(), out)
	}
	seen := map[TrapKind]string{}
	for _, tr := range rec.traps {
		seen[tr.Kind] = tr.Message
		if !strings.Contains(tr.Message, " in ") || !strings.Contains(tr.Message, " at offset 0x") {
			t.Errorf("trap %q names no function and offset", tr.Message)
		}
	}
	for k, text := range map[TrapKind]string{
		TrapUndefinedElement:         "undefined element",
		TrapUninitializedElement:     "uninitialized element",
		TrapIndirectCallTypeMismatch: "indirect call type mismatch",
		TrapStackExhausted:           "call stack exhausted",
	} {
		if msg, ok := seen[k]; !ok || !strings.HasPrefix(msg, text) {
			t.Errorf("trap kind %v: message %q (seen %v), want it to start with %q", k, msg, ok, text)
		}
	}
}

// TestAOTValues: references cross the engine boundary with 0 as null, so
// the script's externref 0 must survive a round trip as non-null 0.
func TestAOTValues(t *testing.T) {
	for _, v := range []Value{ValueExtern(0), ValueExtern(41), ValueNull(ExternRef), ValueNull(FuncRef), ValueI32(-1), ValueF32(-0.0), ValueI64(-5)} {
		wt := map[ValType]wasmc.ValType{I32: wasmc.I32, I64: wasmc.I64, F32: wasmc.F32, ExternRef: wasmc.ExternRef, FuncRef: wasmc.FuncRef}[v.Type]
		if got := fromAOT(wt, toAOT(v)); got != v {
			t.Errorf("%v -> %#x -> %v", v, toAOT(v), got)
		}
	}
	if toAOT(ValueExtern(0)) == 0 {
		t.Error("externref 0 encodes as null")
	}
}
