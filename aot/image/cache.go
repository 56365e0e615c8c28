package image

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mwasm/mwasm/aot"
	"github.com/mwasm/mwasm/aot/backend"
	"github.com/mwasm/mwasm/wasmc"
)

// Cache holds compiled objects (aot.Object) on disk, so that a build does not
// recompile a module it compiled before, the shim above all (2.5 MB of Wasm,
// the same for every app).
//
// An entry's key is the SHA-256 of the module's bytes, the compiler's
// identity (Compiler: the mwasm version and a hash of the running
// executable, so that a changed compiler never reuses another's code), the
// serialization format and the compile options (bounds mode, CPU features).
// An entry is a header (magic, payload length, SHA-256 of the payload)
// followed by aot.Object.MarshalBinary's bytes: an entry that is truncated,
// corrupt or does not decode is a miss (it is removed and recompiled), never
// trusted. Entries are written to a temporary file in the cache directory and
// renamed into place, so concurrent builds see either no entry or a whole one.
// A hit refreshes the entry's modification time; a store keeps the
// MaxEntries most recently used entries and removes the others (every new
// mwasm executable makes new entries, so old ones would pile up).
type Cache struct {
	Dir      string // e.g. DefaultCacheDir()
	Compiler string // e.g. CompilerIdentity("mwasm v0.1")
}

// DefaultCacheDir is os.UserCacheDir()/mwasm/cache.
func DefaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no user cache directory (set $XDG_CACHE_HOME or $HOME): %v", err)
	}
	return filepath.Join(d, "mwasm", "cache"), nil
}

var exeHash struct {
	sync.Once
	sum string
	err error
}

// CompilerIdentity returns version plus the SHA-256 of the running executable
// (which holds the compiler): two builds of mwasm from different sources never
// share cache entries, even with the same version string. The hash is
// computed once per process.
func CompilerIdentity(version string) (string, error) {
	exeHash.Do(func() {
		exe, err := os.Executable()
		if err != nil {
			exeHash.err = fmt.Errorf("cannot locate the running executable to identify the compiler: %v", err)
			return
		}
		f, err := os.Open(exe)
		if err != nil {
			exeHash.err = fmt.Errorf("cannot read the running executable to identify the compiler: %v", err)
			return
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			exeHash.err = fmt.Errorf("cannot read the running executable to identify the compiler: %v", err)
			return
		}
		exeHash.sum = hex.EncodeToString(h.Sum(nil))
	})
	if exeHash.err != nil {
		return "", exeHash.err
	}
	return version + " exe-sha256:" + exeHash.sum, nil
}

// cacheMagic starts every entry; bump its last byte when the header changes.
const cacheMagic = "mwasm-cache\x01"

const cacheHeader = len(cacheMagic) + 8 + sha256.Size

// Key returns the entry name of wasm compiled with opts.
func (c *Cache) Key(wasm []byte, opts aot.Options) string {
	cpu := backend.HostCPU()
	if opts.CPU != nil {
		cpu = *opts.CPU
	}
	h := sha256.New()
	mod := sha256.Sum256(wasm)
	fmt.Fprintf(h, "module %x\ncompiler %q\nformat %q\nbounds %d\ncpu %+v\n",
		mod, c.Compiler, cacheMagic, opts.BoundsChecks, cpu)
	return hex.EncodeToString(h.Sum(nil))
}

func (c *Cache) path(key string) string { return filepath.Join(c.Dir, key+".obj") }

// Load returns the object stored under key, or nil on a miss. A corrupt entry
// is removed and reported as a miss with a non-nil reason (for the log).
func (c *Cache) Load(key string) (obj *aot.Object, corrupt error) {
	p := c.path(key)
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, nil
	}
	obj, corrupt = decodeEntry(data)
	if corrupt != nil {
		os.Remove(p)
		return nil, fmt.Errorf("cache entry %s: %v (removed; recompiling)", p, corrupt)
	}
	now := time.Now()
	os.Chtimes(p, now, now)
	return obj, nil
}

func decodeEntry(data []byte) (*aot.Object, error) {
	if len(data) < cacheHeader || string(data[:len(cacheMagic)]) != cacheMagic {
		return nil, errors.New("not a cache entry of this format")
	}
	n := binary.LittleEndian.Uint64(data[len(cacheMagic):])
	payload := data[cacheHeader:]
	if uint64(len(payload)) != n {
		return nil, fmt.Errorf("truncated: %d of %d bytes", len(payload), n)
	}
	sum := sha256.Sum256(payload)
	if !bytes.Equal(sum[:], data[len(cacheMagic)+8:cacheHeader]) {
		return nil, errors.New("checksum mismatch")
	}
	obj := new(aot.Object)
	if err := obj.UnmarshalBinary(payload); err != nil {
		return nil, err
	}
	return obj, nil
}

// Store writes obj under key (atomically: temporary file, then rename).
func (c *Cache) Store(key string, obj *aot.Object) error {
	payload, err := obj.MarshalBinary()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return err
	}
	sum := sha256.Sum256(payload)
	data := make([]byte, 0, cacheHeader+len(payload))
	data = append(data, cacheMagic...)
	data = binary.LittleEndian.AppendUint64(data, uint64(len(payload)))
	data = append(data, sum[:]...)
	data = append(data, payload...)
	f, err := os.CreateTemp(c.Dir, "tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), c.path(key))
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	c.prune()
	return nil
}

// MaxEntries is how many entries a Cache keeps (a compiled shim is about 3.5 MB).
const MaxEntries = 16

// prune removes all but the MaxEntries most recently used entries, and
// temporary files an interrupted store left behind more than an hour ago.
func (c *Cache) prune() {
	ents, err := os.ReadDir(c.Dir)
	if err != nil {
		return
	}
	type entry struct {
		name string
		mod  time.Time
	}
	var objs []entry
	for _, e := range ents {
		info, err := e.Info()
		if err != nil {
			continue
		}
		switch {
		case strings.HasSuffix(e.Name(), ".obj"):
			objs = append(objs, entry{e.Name(), info.ModTime()})
		case strings.HasPrefix(e.Name(), "tmp-") && time.Since(info.ModTime()) > time.Hour:
			os.Remove(filepath.Join(c.Dir, e.Name()))
		}
	}
	if len(objs) <= MaxEntries {
		return
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].mod.After(objs[j].mod) })
	for _, e := range objs[MaxEntries:] {
		os.Remove(filepath.Join(c.Dir, e.name))
	}
}

// Timings says where Build spent its time.
type Timings struct {
	AppDecode   time.Duration // decode + validate (0 when Options.AppModule was given)
	AppCompile  time.Duration
	ShimDecode  time.Duration // decode + validate
	ShimCompile time.Duration // compile, or load from the cache
	Link        time.Duration // everything after the compiles: binding, tables, platform code, ELF
	// ShimCache is "hit", "miss", "off" (no Cache), or "miss (REASON)" when an
	// entry was corrupt or could not be stored.
	ShimCache string
}

// CompileApp decodes and validates the app (unless m is given, as a loader
// that checked its imports has it) and compiles it with opts.
func CompileApp(app []byte, m *wasmc.Module, opts aot.Options, tm *Timings) (*wasmc.Module, *aot.Object, error) {
	t := time.Now()
	if m == nil {
		var err error
		if m, err = Decode("the app", app); err != nil {
			return nil, nil, err
		}
		tm.AppDecode = time.Since(t)
	}
	t = time.Now()
	obj, err := compile("the app", m, opts)
	tm.AppCompile = time.Since(t)
	return m, obj, err
}

// CompileShim decodes, validates and compiles the shim reactor with opts,
// or takes its compiled object from cache c (nil: no cache).
func CompileShim(shim []byte, c *Cache, opts aot.Options, tm *Timings) (*wasmc.Module, *aot.Object, error) {
	t := time.Now()
	m, err := Decode("the shim", shim)
	if err != nil {
		return nil, nil, err
	}
	tm.ShimDecode = time.Since(t)
	t = time.Now()
	defer func() { tm.ShimCompile = time.Since(t) }()
	if c == nil {
		tm.ShimCache = "off"
		obj, err := compile("the shim", m, opts)
		return m, obj, err
	}
	key := c.Key(shim, opts)
	obj, corrupt := c.Load(key)
	if obj != nil {
		if len(obj.Funcs) == len(m.Funcs) && len(obj.Trampolines) == len(m.Types) && obj.Counts == aot.Counts(m) {
			tm.ShimCache = "hit"
			return m, obj, nil
		}
		corrupt = errors.New("cache entry " + key + " does not match the shim's shape (recompiling)")
	}
	tm.ShimCache = "miss"
	if corrupt != nil {
		tm.ShimCache = "miss (" + corrupt.Error() + ")"
	}
	if obj, err = compile("the shim", m, opts); err != nil {
		return nil, nil, err
	}
	if err := c.Store(key, obj); err != nil {
		tm.ShimCache = "miss (cannot store the compiled shim: " + err.Error() + ")"
	}
	return m, obj, nil
}
