package linuxexe_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mwasm/mwasm/aot/image"
	"github.com/mwasm/mwasm/aot/image/linuxexe"
)

// tinyCommand is (memory 1) (func (export "_start")) (export "memory").
var tinyCommand = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
	0x03, 0x02, 0x01, 0x00,
	0x05, 0x03, 0x01, 0x00, 0x01,
	0x07, 0x13, 0x02,
	0x06, '_', 's', 't', 'a', 'r', 't', 0x00, 0x00,
	0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00,
	0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
}

// TestBuildUsesCache: the first build compiles and stores the shim, the second
// loads it, a corrupted entry is recompiled; the executables are identical.
func TestBuildUsesCache(t *testing.T) {
	c := &image.Cache{Dir: t.TempDir(), Compiler: "test"}
	o := linuxexe.Options{Name: "tiny", App: tinyCommand, Shim: shimWasm(t), Cache: c}
	build := func(want string) []byte {
		t.Helper()
		res, err := linuxexe.Build(o)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(res.Timings.ShimCache, want) {
			t.Errorf("ShimCache %q, want %q", res.Timings.ShimCache, want)
		}
		if res.Timings.AppCompile <= 0 || res.Timings.ShimDecode <= 0 || res.Timings.Link <= 0 {
			t.Errorf("timings %+v", res.Timings)
		}
		return res.ELF
	}
	first := build("miss")
	second := build("hit")
	ents, _ := os.ReadDir(c.Dir)
	if len(ents) != 1 {
		t.Fatalf("cache holds %d entries", len(ents))
	}
	p := filepath.Join(c.Dir, ents[0].Name())
	data, _ := os.ReadFile(p)
	os.WriteFile(p, data[:len(data)/2], 0o644)
	third := build("miss (cache entry")
	if !bytes.Equal(first, second) || !bytes.Equal(first, third) {
		t.Error("cached and uncached builds differ")
	}
	if res, err := linuxexe.Build(linuxexe.Options{Name: "tiny", App: tinyCommand, Shim: o.Shim}); err != nil || res.Timings.ShimCache != "off" || !bytes.Equal(res.ELF, first) {
		t.Errorf("build without a cache: %v, %q", err, res.Timings.ShimCache)
	}
	exe := filepath.Join(t.TempDir(), "tiny")
	os.WriteFile(exe, second, 0o755)
	if r := runExe(t, exe, nil, nil); r.code != 0 {
		t.Errorf("the build from the cache exits %d, stderr %q", r.code, r.stderr)
	}
}
