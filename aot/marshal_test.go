package aot

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mwasm/mwasm/aot/frontend"
	"github.com/mwasm/mwasm/internal/specsuite"
	"github.com/mwasm/mwasm/wasmc"
)

// normalized makes empty slices nil, so that DeepEqual compares contents.
func normalized(o *Object) *Object {
	c := *o
	c.Funcs = append([]FuncInfo(nil), o.Funcs...)
	for i := range c.Funcs {
		if len(c.Funcs[i].TrapSites) == 0 {
			c.Funcs[i].TrapSites = nil
		}
		if len(c.Funcs[i].PCTable) == 0 {
			c.Funcs[i].PCTable = nil
		}
	}
	if len(c.Funcs) == 0 {
		c.Funcs = nil
	}
	if len(c.Trampolines) == 0 {
		c.Trampolines = nil
	}
	return &c
}

// TestObjectRoundTrip compiles spec modules (with trap sites, PC tables, many
// types) in both bounds modes and checks that UnmarshalBinary(MarshalBinary(o))
// equals o field for field, including fields added to Object later (DeepEqual).
func TestObjectRoundTrip(t *testing.T) {
	suite, err := specsuite.Dir()
	if err != nil {
		t.Skipf("spec suite not found: %v", err)
	}
	dir := filepath.Join(suite, "v1", "testdata")
	var mods []*wasmc.Module
	for _, name := range []string{"address.0.wasm", "call_indirect.0.wasm", "memory_trap.0.wasm", "conversions.0.wasm", "br_table.0.wasm"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Skipf("spec module: %v", err)
		}
		m, err := wasmc.Decode(b)
		if err == nil {
			err = wasmc.Validate(m)
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		mods = append(mods, m)
	}
	sawTraps, sawPCs := false, false
	for i, m := range mods {
		for _, mode := range []frontend.BoundsMode{frontend.BoundsGuard, frontend.BoundsExplicit} {
			obj, err := Compile(m, Options{BoundsChecks: mode})
			if err != nil {
				t.Fatal(err)
			}
			data, err := obj.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			var back Object
			if err := back.UnmarshalBinary(data); err != nil {
				t.Fatalf("module %d mode %d: %v", i, mode, err)
			}
			if !reflect.DeepEqual(normalized(obj), normalized(&back)) {
				t.Fatalf("module %d mode %d: round trip differs", i, mode)
			}
			again, _ := back.MarshalBinary()
			if !bytes.Equal(data, again) {
				t.Errorf("module %d mode %d: re-encoding differs", i, mode)
			}
			for _, f := range obj.Funcs {
				sawTraps = sawTraps || len(f.TrapSites) > 0
				sawPCs = sawPCs || len(f.PCTable) > 0
			}
		}
	}
	if !sawTraps || !sawPCs {
		t.Errorf("the test modules exercised trap sites %v, PC tables %v: pick others", sawTraps, sawPCs)
	}
}

// TestObjectUnmarshalCorrupt: every truncation and many single-byte changes of
// a serialized object are rejected or decode without panicking, and a rejected
// decode leaves the Object as it was.
func TestObjectUnmarshalCorrupt(t *testing.T) {
	wasm := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
		0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f,
		0x03, 0x02, 0x01, 0x00,
		0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6e, 0x0b}
	m, err := wasmc.Decode(wasm)
	if err == nil {
		err = wasmc.Validate(m)
	}
	if err != nil {
		t.Fatal(err)
	}
	obj, err := Compile(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := obj.MarshalBinary()
	sentinel := Object{Code: []byte{1, 2, 3}}
	for n := 0; n < len(data); n++ {
		o := sentinel
		if err := o.UnmarshalBinary(data[:n]); err == nil {
			t.Fatalf("truncated to %d of %d bytes: accepted", n, len(data))
		}
		if !reflect.DeepEqual(o, sentinel) {
			t.Fatalf("failed decode of %d bytes changed the object", n)
		}
	}
	if err := new(Object).UnmarshalBinary(append(append([]byte(nil), data...), 0)); err == nil {
		t.Error("trailing byte accepted")
	}
	bad := append([]byte(nil), data...)
	bad[len(objectMagic)-1]++
	if err := new(Object).UnmarshalBinary(bad); err == nil || !strings.Contains(err.Error(), "format version") {
		t.Errorf("other format version: %v", err)
	}
	for i := len(objectMagic); i < len(data); i++ {
		for _, x := range []byte{0x01, 0x80, 0xff} {
			c := append([]byte(nil), data...)
			c[i] ^= x
			var o Object
			_ = o.UnmarshalBinary(c) // must not panic
		}
	}
}
