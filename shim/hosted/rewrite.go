package hosted

import "github.com/mwasm/mwasm/abi"

// forWazero returns the module bytes wazero is given: wasm itself, or a copy with
// the name section left out (dropNames: it is malformed, which per the spec does
// not invalidate the module, but wazero refuses it) and a declared memory maximum
// above abi.MaxMemoryPages lowered to it (the runtime's limit; wazero refuses a
// module whose maximum is over its limit). Anything it cannot read is passed on
// unchanged, for wazero to judge.
func forWazero(wasm []byte, dropNames bool) []byte {
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" {
		return wasm
	}
	out := append([]byte(nil), wasm[:8]...)
	changed := false
	for p := wasm[8:]; len(p) > 0; {
		kind := p[0]
		size, n := uleb32(p[1:])
		if n == 0 || uint64(size) > uint64(len(p)-1-n) {
			return wasm
		}
		whole, body := p[:1+n+int(size)], p[1+n:1+n+int(size)]
		p = p[len(whole):]
		switch {
		case kind == 0 && dropNames && customName(body) == "name":
			changed = true
			continue
		case kind == 5:
			if nb, ok := clampMemories(body); ok {
				out = append(out, 5)
				out = appendUleb(out, uint32(len(nb)))
				out = append(out, nb...)
				changed = true
				continue
			}
		}
		out = append(out, whole...)
	}
	if !changed {
		return wasm
	}
	return out
}

// customName is the name of a custom section ("" if unreadable).
func customName(body []byte) string {
	l, m := uleb32(body)
	if m == 0 || uint64(l) > uint64(len(body)-m) {
		return ""
	}
	return string(body[m : m+int(l)])
}

// clampMemories re-encodes a memory section with every maximum above
// abi.MaxMemoryPages lowered to it; ok is false if nothing changes.
func clampMemories(body []byte) (out []byte, ok bool) {
	count, n := uleb32(body)
	if n == 0 {
		return nil, false
	}
	out = appendUleb(nil, count)
	p := body[n:]
	for i := uint32(0); i < count; i++ {
		if len(p) == 0 || p[0] > 1 {
			return nil, false // shared or 64-bit: not ours to touch
		}
		flags := p[0]
		min, k := uleb32(p[1:])
		if k == 0 {
			return nil, false
		}
		p = p[1+k:]
		out = append(out, flags)
		out = appendUleb(out, min)
		if flags == 1 {
			max, k := uleb32(p)
			if k == 0 {
				return nil, false
			}
			p = p[k:]
			if max > abi.MaxMemoryPages {
				max, ok = abi.MaxMemoryPages, true
			}
			out = appendUleb(out, max)
		}
	}
	if len(p) != 0 {
		return nil, false
	}
	return out, ok
}

func appendUleb(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}
