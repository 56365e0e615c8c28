package reactor

import (
	"errors"
	"strconv"
)

// RenameImportModule returns a copy of the Wasm binary wasm in which every import
// from module from is imported from module to instead, and how many imports it
// renamed. Only the import section changes (it is re-encoded with its new size);
// every other section is copied byte for byte. The reactor's build uses it to move
// its Go runtime's own WASI imports out of "wasi_snapshot_preview1" (see the package
// comment).
func RenameImportModule(wasm []byte, from, to string) ([]byte, int, error) {
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" || string(wasm[4:8]) != "\x01\x00\x00\x00" {
		return nil, 0, errors.New("rename imports: not a Wasm 1.0 binary module (bad magic or version)")
	}
	out := make([]byte, 0, len(wasm)+64)
	out = append(out, wasm[:8]...)
	renamed := 0
	for off := 8; off < len(wasm); {
		id := wasm[off]
		size, n, err := uleb(wasm, off+1)
		if err != nil {
			return nil, 0, rewriteErr(off, "section size: "+err.Error())
		}
		start := off + 1 + n
		end := start + int(size)
		if uint64(size) > uint64(len(wasm)-start) {
			return nil, 0, rewriteErr(off, "section "+strconv.Itoa(int(id))+" runs past the end of the module")
		}
		if id != 2 {
			out = append(out, wasm[off:end]...)
			off = end
			continue
		}
		body, k, err := renameImports(wasm[start:end], start, from, to)
		if err != nil {
			return nil, 0, err
		}
		renamed += k
		out = append(out, 2)
		out = appendULEB(out, uint64(len(body)))
		out = append(out, body...)
		off = end
	}
	return out, renamed, nil
}

// renameImports re-encodes the contents of an import section (base is its offset in
// the module, for errors).
func renameImports(sec []byte, base int, from, to string) ([]byte, int, error) {
	count, p, err := uleb(sec, 0)
	if err != nil {
		return nil, 0, rewriteErr(base, "import count: "+err.Error())
	}
	out := appendULEB(make([]byte, 0, len(sec)+64), uint64(count))
	renamed := 0
	for i := uint32(0); i < count; i++ {
		mod, q, err := name(sec, p)
		if err != nil {
			return nil, 0, rewriteErr(base+p, "import "+strconv.Itoa(int(i))+" module name: "+err.Error())
		}
		field, r, err := name(sec, q)
		if err != nil {
			return nil, 0, rewriteErr(base+q, "import "+strconv.Itoa(int(i))+" field name: "+err.Error())
		}
		d, err := skipImportDesc(sec, r)
		if err != nil {
			return nil, 0, rewriteErr(base+r, "import "+strconv.Itoa(int(i))+" ("+mod+"."+field+"): "+err.Error())
		}
		if mod == from {
			mod = to
			renamed++
		}
		out = appendULEB(out, uint64(len(mod)))
		out = append(out, mod...)
		out = append(out, sec[q:d]...) // field name and descriptor, unchanged
		p = d
	}
	if p != len(sec) {
		return nil, 0, rewriteErr(base+p, "import section has "+strconv.Itoa(len(sec)-p)+" bytes after its last import")
	}
	return out, renamed, nil
}

// skipImportDesc returns the offset just past the import descriptor at p.
func skipImportDesc(b []byte, p int) (int, error) {
	if p >= len(b) {
		return 0, errors.New("missing descriptor")
	}
	kind := b[p]
	p++
	switch kind {
	case 0: // function: type index
		_, n, err := uleb(b, p)
		return p + n, err
	case 1: // table: reftype, limits
		if p >= len(b) {
			return 0, errors.New("truncated table type")
		}
		return skipLimits(b, p+1)
	case 2: // memory: limits
		return skipLimits(b, p)
	case 3: // global: valtype, mutability
		if p+2 > len(b) {
			return 0, errors.New("truncated global type")
		}
		return p + 2, nil
	}
	return 0, errors.New("unknown import kind 0x" + strconv.FormatUint(uint64(kind), 16))
}

func skipLimits(b []byte, p int) (int, error) {
	if p >= len(b) {
		return 0, errors.New("truncated limits")
	}
	flags := b[p]
	if flags > 3 {
		return 0, errors.New("unsupported limits flags 0x" + strconv.FormatUint(uint64(flags), 16))
	}
	_, n, err := uleb(b, p+1)
	if err != nil {
		return 0, err
	}
	p += 1 + n
	if flags&1 != 0 {
		_, n, err = uleb(b, p)
		p += n
	}
	return p, err
}

// name reads a length-prefixed name at p and returns it and the offset after it.
func name(b []byte, p int) (string, int, error) {
	n, k, err := uleb(b, p)
	if err != nil {
		return "", 0, err
	}
	p += k
	if uint64(n) > uint64(len(b)-p) {
		return "", 0, errors.New("name runs past the end of the section")
	}
	return string(b[p : p+int(n)]), p + int(n), nil
}

// uleb decodes an unsigned LEB128 u32 at p and returns it and its length in bytes.
func uleb(b []byte, p int) (uint32, int, error) {
	var v uint64
	for i := 0; i < 5; i++ {
		if p+i >= len(b) {
			return 0, 0, errors.New("truncated LEB128 number")
		}
		c := b[p+i]
		v |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			if v > 0xffffffff {
				return 0, 0, errors.New("LEB128 number exceeds 32 bits")
			}
			return uint32(v), i + 1, nil
		}
	}
	return 0, 0, errors.New("LEB128 number longer than 5 bytes")
}

func appendULEB(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func rewriteErr(off int, msg string) error {
	return errors.New("rename imports: " + msg + " at byte " + strconv.Itoa(off))
}
