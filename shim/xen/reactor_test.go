package xen_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/mwasm/mwasm/shim"
	"github.com/mwasm/mwasm/shim/reactor"
	"github.com/mwasm/mwasm/shim/xen"
	"github.com/mwasm/mwasm/wasmc"
	"github.com/mwasm/mwasm/xenboot"
)

var built struct {
	once sync.Once
	wasm []byte
	err  error
}

func theShim(t *testing.T) []byte {
	t.Helper()
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "mwasm-xen-shim")
		if err != nil {
			built.err = err
			return
		}
		defer os.RemoveAll(dir)
		built.wasm, built.err = xen.BuildShim(context.Background(), dir)
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.wasm
}

// TestReactorInterface: the Xen reactor exports the whole ABI and imports
// from module "mwasm" only natives of xenboot.Natives and reactor.Natives,
// with their types: the declarations in natives_wasip1.go and the boot
// layer's table cannot drift apart.
func TestReactorInterface(t *testing.T) {
	m, err := wasmc.Decode(theShim(t))
	if err == nil {
		err = wasmc.Validate(m)
	}
	if err != nil {
		t.Fatal(err)
	}
	exports := map[string]bool{}
	for _, e := range m.Exports {
		if e.Kind == wasmc.KindFunc {
			exports[e.Name] = true
		}
	}
	for _, f := range shim.Provided {
		if !exports[f.Name] {
			t.Errorf("the Xen reactor does not export %s", f.Name)
		}
	}
	if !exports["_initialize"] {
		t.Error("no _initialize export")
	}
	want := map[string]string{}
	for _, n := range xenboot.Natives {
		want[n.Name] = shim.FormatSignature(vt(n.Params), vt(n.Results))
	}
	for _, n := range reactor.Natives {
		want[n.Name] = shim.FormatSignature(n.Params, n.Results)
	}
	for _, im := range m.Imports {
		if im.Kind != wasmc.KindFunc {
			t.Errorf("the reactor imports a non-function %s.%s", im.Module, im.Name)
			continue
		}
		ft := m.Types[im.Type]
		sig := shim.FormatSignature(vt(ft.Params), vt(ft.Results))
		switch im.Module {
		case reactor.NativeModule:
			w, ok := want[im.Name]
			switch {
			case !ok:
				t.Errorf("the reactor imports %s.%s%s, which xenboot.Natives does not have", im.Module, im.Name, sig)
			case w != sig:
				t.Errorf("the reactor imports %s.%s as %s, xenboot.Natives says %s", im.Module, im.Name, sig, w)
			}
			delete(want, im.Name)
		case reactor.RuntimeModule:
		default:
			t.Errorf("the reactor imports %s.%s from an unexpected module", im.Module, im.Name)
		}
	}
	// A native nothing in this build calls (one only device drivers use) is
	// left out by the Go linker: harmless, reported.
	for name := range want {
		t.Logf("native %s is in the contract but this reactor does not import it", name)
	}
}

// TestReactorSize: the Xen reactor's size is tracked (a budget, reported).
func TestReactorSize(t *testing.T) {
	w := theShim(t)
	t.Logf("the Xen reactor: %d bytes of Wasm", len(w))
	if len(w) > 3<<20 {
		t.Errorf("the Xen reactor is %d bytes, over its 3 MiB budget", len(w))
	}
}

// TestNoFmtNoReflect: the Xen shim keeps fmt and reflect out of its build.
func TestNoFmtNoReflect(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "./cmd/shim")
	cmd.Env = append(cmd.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 5 {
		t.Fatalf("unexpected go list output %q", deps)
	}
	for _, p := range deps {
		if p == "fmt" || p == "reflect" {
			t.Errorf("the Xen shim depends on %s: remove the import that pulls it in", p)
		}
	}
}

func vt(ts []wasmc.ValType) []shim.ValType {
	out := make([]shim.ValType, len(ts))
	for i, t := range ts {
		out[i] = shim.ValType(t)
	}
	return out
}
