package wasmc

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mwasm/mwasm/internal/specsuite"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// FuzzDecodeValidate checks that no input makes Decode or Validate panic,
// and compares accept/reject with wazero (interpreter, core features 2.0
// with SIMD disabled, since we reject SIMD on purpose).
//
// Known, documented differences with wazero are filtered by
// knownWazeroDifference.
func FuzzDecodeValidate(f *testing.F) {
	for _, b := range seedModules {
		f.Add(b)
	}
	if dir, err := specsuite.Dir(); err == nil {
		files, _ := filepath.Glob(filepath.Join(dir, "v2", "testdata", "*.wasm"))
		for _, p := range files {
			if strings.HasPrefix(filepath.Base(p), "simd_") {
				continue
			}
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, ours := decodeValidate(b)
		if wazeroWouldOOM(ours) || hugeLocals(b) {
			return
		}
		if m != nil && m.NamesErr != nil {
			// A malformed name section: we ignore it as the spec says,
			// wazero rejects it (see knownWazeroDifference) and may
			// allocate gigabytes from its counts first
			// (testdata/fuzz/FuzzDecodeValidate/wazero-oom-name-section).
			return
		}
		theirs := wazeroCompile(b)
		if (ours == nil) == (theirs == nil) {
			return
		}
		if why := knownWazeroDifference(b, ours, theirs); why != "" {
			t.Skipf("known difference with wazero: %s", why)
		}
		t.Fatalf("wasmc and wazero disagree on % x\nwasmc:  %v\nwazero: %v", trim(b), ours, theirs)
	})
}

func decodeValidate(b []byte) (*Module, error) {
	m, err := decodePartial(b, FeaturesV2)
	if err != nil {
		return m, err
	}
	if err := Validate(m); err != nil {
		return m, err
	}
	_ = Features(m)
	return m, nil
}

var (
	wzOnce sync.Once
	wzRT   wazero.Runtime
)

func wazeroCompile(b []byte) error {
	wzOnce.Do(func() {
		cfg := wazero.NewRuntimeConfigInterpreter().
			WithCoreFeatures(api.CoreFeaturesV2.SetEnabled(api.CoreFeatureSIMD, false))
		wzRT = wazero.NewRuntimeWithConfig(context.Background(), cfg)
	})
	cm, err := wzRT.CompileModule(context.Background(), b)
	if err != nil {
		return err
	}
	cm.Close(context.Background())
	return nil
}

// wazeroWouldOOM reports inputs that wazero 1.12 cannot be asked about:
// it allocates vectors from the count it reads before checking that the
// entries fit in the bytes left (e.g. binary.decodeValueTypes does
// make([]ValueType, n)), even reading the count past the end of its
// section, so a count of 4 billion makes it allocate 16-32 GB and the
// fuzzing process dies (see testdata/fuzz/FuzzDecodeValidate/wazero-oom-*).
// We reject those without allocating (reader.count) as "length out of
// bounds" or "unexpected end", so the oracle is skipped for inputs we
// reject as truncated: for them, the only possible disagreement would be
// wazero accepting a truncated module.
func wazeroWouldOOM(ours error) bool {
	var e *Error
	return errors.As(ours, &e) && (strings.HasPrefix(e.Msg, "length out of bounds") ||
		strings.HasPrefix(e.Msg, "unexpected end") ||
		// wazero also expands local declarations into one entry per
		// local: billions of locals make it allocate gigabytes
		// (testdata/fuzz/FuzzDecodeValidate/huge-local-count).
		strings.HasPrefix(e.Msg, "too many locals"))
}

// hugeLocals reports whether some code section entry declares more than a
// million locals, read leniently (whatever else is wrong with the input):
// wazero allocates one entry per declared local before it checks anything
// else, e.g. even for a body beyond the number of declared functions
// (testdata/fuzz/FuzzDecodeValidate/wazero-oom-locals-in-extra-body).
func hugeLocals(b []byte) bool {
	if len(b) < 8 {
		return false
	}
	r := newReader(b[8:], 8, "")
	for !r.eof() {
		id, _ := r.byte()
		size, err := r.u32()
		if err != nil {
			return false
		}
		end := r.pos + int(size)
		if id == secCode {
			if end > len(r.b) {
				end = len(r.b)
			}
			cr := newReader(r.b[r.pos:end], 0, "")
			n, _ := cr.u32()
			for i := uint32(0); i < n && !cr.eof(); i++ {
				bsize, err := cr.u32()
				if err != nil {
					return false
				}
				next := cr.pos + int(bsize)
				groups, _ := cr.u32()
				var total uint64
				for g := uint32(0); g < groups && !cr.eof(); g++ {
					c, err := cr.u32()
					if err != nil {
						break
					}
					total += uint64(c)
					cr.pos++
				}
				if total > 1_000_000 {
					return true
				}
				if next < cr.pos || next > len(cr.b) {
					break
				}
				cr.pos = next
			}
		}
		if end > len(r.b) || end < r.pos {
			return false
		}
		r.pos = end
	}
	return false
}

// knownWazeroDifference returns why a disagreement is wazero's deviation
// from the spec (not our bug), or "".
func knownWazeroDifference(b []byte, ours, theirs error) string {
	if ours == nil && theirs != nil && strings.Contains(theirs.Error(), "custom") {
		// Spec 2.0, 5.5.3 (Custom Section): "If an implementation
		// interprets the data of a custom section, then errors in that
		// data, or the placement of the section, must not invalidate the
		// module." wazero rejects a malformed name section (we keep it
		// raw and report the problem in Module.NamesErr), and also a
		// custom section whose name ends exactly at the end of the
		// section (empty contents, which is well-formed): see
		// testdata/fuzz/FuzzDecodeValidate/empty-custom-section.
		return "wazero rejects a custom section the spec says must not invalidate the module"
	}
	var e *Error
	if ours != nil && theirs == nil && errors.As(ours, &e) {
		switch {
		case strings.HasPrefix(e.Msg, "malformed reference type"):
			// Spec 2.0, 5.3.3 (Reference Types): reftype is 0x70 or 0x6F,
			// in table types, element segments and ref.null. wazero 1.12
			// accepts other bytes in places: 0x63 (the "ref null ht"
			// prefix of the later function-references proposal) as a
			// table element type, and any heap type byte after ref.null
			// in a constant expression. See testdata/fuzz/
			// FuzzDecodeValidate/table-reftype-0x63 and ref-null-bad-type.
			return "wazero accepts malformed reference types"
		case strings.HasPrefix(e.Msg, "malformed value type 0x69"):
			// Spec 2.0, 5.3.4 (Value Types): only 0x7F-0x7B, 0x70, 0x6F.
			// wazero 1.12 accepts 0x69 (exnref, from the exception
			// handling proposal) in function types even without that
			// feature. See testdata/fuzz/FuzzDecodeValidate/valtype-0x69.
			return "wazero accepts value type 0x69 (exnref)"
		case strings.HasPrefix(e.Msg, "too many locals"):
			// Our implementation limit (MaxFuncLocals = 50000, as in V8
			// and wasmtime); wazero has none.
			return "implementation limit on locals"
		case strings.HasPrefix(e.Msg, "SIMD (0xFD prefix) is not supported"):
			// Deliberate: we reject SIMD, including the v128 value type.
			// wazero with CoreFeatureSIMD disabled only rejects the SIMD
			// instructions and still accepts v128 in types and locals.
			return "SIMD is rejected on purpose; wazero accepts v128 types with SIMD disabled"
		case strings.HasPrefix(e.Msg, "integer too large (does not fit in signed"):
			// Spec 2.0, 5.2.2 (Integers): in the last byte of a signed
			// LEB128, the unused bits must be a sign extension of the
			// last used bit. wazero 1.12 accepts e.g. 80 80 80 80 38 as an
			// s32 (bit 3 set, bits 4-6 = 011); binary-leb128.wast has
			// cases of this kind as assert_malformed. See
			// testdata/fuzz/FuzzDecodeValidate/s32-unused-bits-not-sign-extension.
			return "wazero accepts signed LEB128 whose unused bits are not a sign extension"
		case strings.HasPrefix(e.Msg, "constant expression required: global"):
			// Spec 2.0, 3.3.10 (Constant Expressions): global.get x is
			// constant only if C.globals[x] is immutable. wazero 1.12 does
			// not check mutability (the spec tests global.wast
			// "constant expression required" on an imported mutable global
			// show it).
			return "wazero accepts global.get of a mutable global in a constant expression"
		}
	}
	return ""
}

func trim(b []byte) []byte {
	if len(b) > 512 {
		return b[:512]
	}
	return b
}
