package image_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mwasm/mwasm/aot"
	"github.com/mwasm/mwasm/aot/backend"
	"github.com/mwasm/mwasm/aot/frontend"
	"github.com/mwasm/mwasm/aot/image"
	"github.com/mwasm/mwasm/wasmc"
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

func compileTiny(t *testing.T) *aot.Object {
	t.Helper()
	m, err := wasmc.Decode(tinyCommand)
	if err == nil {
		err = wasmc.Validate(m)
	}
	if err != nil {
		t.Fatal(err)
	}
	obj, err := aot.Compile(m, aot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

func TestCacheKey(t *testing.T) {
	c := &image.Cache{Dir: t.TempDir(), Compiler: "mwasm test exe-sha256:1"}
	base := c.Key(tinyCommand, aot.Options{})
	if base != c.Key(append([]byte(nil), tinyCommand...), aot.Options{}) {
		t.Error("the key is not a function of the module's bytes")
	}
	other := append(append([]byte(nil), tinyCommand...), 0)
	noLZ := backend.HostCPU()
	noLZ.LZCNT = !noLZ.LZCNT
	c2 := &image.Cache{Dir: c.Dir, Compiler: "mwasm test exe-sha256:2"}
	for what, k := range map[string]string{
		"another module":   c.Key(other, aot.Options{}),
		"another compiler": c2.Key(tinyCommand, aot.Options{}),
		"explicit bounds":  c.Key(tinyCommand, aot.Options{BoundsChecks: frontend.BoundsExplicit}),
		"other CPU":        c.Key(tinyCommand, aot.Options{CPU: &noLZ}),
	} {
		if k == base {
			t.Errorf("%s gives the same key", what)
		}
	}
	id, err := image.CompilerIdentity("mwasm v9")
	if err != nil {
		t.Fatal(err)
	}
	if id2, _ := image.CompilerIdentity("mwasm v9"); id2 != id || !strings.HasPrefix(id, "mwasm v9 exe-sha256:") || len(id) != len("mwasm v9 exe-sha256:")+64 {
		t.Errorf("identity %q (again %q)", id, id2)
	}
}

// TestCacheCorruption: a stored object loads back equal; a truncated entry, one
// with a flipped payload byte, one with a bad header and garbage are misses with a
// reason, and are removed.
func TestCacheCorruption(t *testing.T) {
	c := &image.Cache{Dir: filepath.Join(t.TempDir(), "new", "dir"), Compiler: "x"}
	obj := compileTiny(t)
	key := c.Key(tinyCommand, aot.Options{})
	if got, reason := c.Load(key); got != nil || reason != nil {
		t.Fatalf("empty cache: %v, %v", got, reason)
	}
	if err := c.Store(key, obj); err != nil {
		t.Fatal(err)
	}
	got, reason := c.Load(key)
	if got == nil || reason != nil || !bytes.Equal(got.Code, obj.Code) || len(got.Funcs) != len(obj.Funcs) {
		t.Fatalf("load after store: %v, %v", got, reason)
	}
	file := filepath.Join(c.Dir, key+".obj")
	good, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte { b := append([]byte(nil), good...); b[i] ^= 0x40; return b }
	for _, tc := range []struct {
		name, want string
		data       []byte
	}{
		{"truncated", "truncated", good[:len(good)-7]},
		{"header only", "truncated", good[:60]},
		{"payload byte", "checksum", flip(len(good) - 3)},
		{"checksum byte", "checksum", flip(25)},
		{"magic", "not a cache entry", flip(0)},
		{"garbage", "not a cache entry", []byte("hello")},
	} {
		if err := os.WriteFile(file, tc.data, 0o644); err != nil {
			t.Fatal(err)
		}
		got, reason := c.Load(key)
		if got != nil || reason == nil || !strings.Contains(reason.Error(), tc.want) {
			t.Errorf("%s: got %v, reason %v (want one mentioning %q)", tc.name, got != nil, reason, tc.want)
		}
		if _, err := os.Stat(file); !os.IsNotExist(err) {
			t.Errorf("%s: the corrupt entry was not removed", tc.name)
		}
	}
}

// TestCacheConcurrentStores: builds storing the same entry at once leave one
// whole entry and no temporary files.
func TestCacheConcurrentStores(t *testing.T) {
	c := &image.Cache{Dir: t.TempDir(), Compiler: "x"}
	obj := compileTiny(t)
	key := c.Key(tinyCommand, aot.Options{})
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.Store(key, obj)
			if got, reason := c.Load(key); got == nil || reason != nil {
				errs[i] = reason
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	ents, _ := os.ReadDir(c.Dir)
	if len(ents) != 1 || ents[0].Name() != key+".obj" {
		t.Errorf("cache holds %v", ents)
	}
}

// TestCachePrune: a store keeps the MaxEntries most recently used entries.
func TestCachePrune(t *testing.T) {
	c := &image.Cache{Dir: t.TempDir(), Compiler: "x"}
	obj := compileTiny(t)
	old := time.Now().Add(-time.Hour)
	var keys []string
	store := func(i int) {
		k := c.Key(append(append([]byte(nil), tinyCommand...), byte(i)), aot.Options{})
		if err := c.Store(k, obj); err != nil {
			t.Fatal(err)
		}
		// Entries stored earlier look older.
		at := old.Add(time.Duration(i) * time.Second)
		os.Chtimes(filepath.Join(c.Dir, k+".obj"), at, at)
		keys = append(keys, k)
	}
	for i := 0; i < image.MaxEntries; i++ {
		store(i)
	}
	if got, _ := c.Load(keys[0]); got == nil { // a hit makes entry 0 the newest
		t.Fatal("entry 0 missing before the cache was full")
	}
	for i := image.MaxEntries; i < image.MaxEntries+3; i++ {
		store(i)
	}
	ents, _ := os.ReadDir(c.Dir)
	if len(ents) != image.MaxEntries {
		t.Errorf("%d entries kept, want %d", len(ents), image.MaxEntries)
	}
	if got, _ := c.Load(keys[0]); got == nil {
		t.Error("the recently used entry 0 was pruned")
	}
	if got, _ := c.Load(keys[1]); got != nil {
		t.Error("the least recently used entry 1 was kept")
	}
}
