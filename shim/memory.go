package shim

// Memory is the app's linear memory as the shim sees it. Every access copies: Read
// fills dst from the app's memory at off, Write stores src there. Either returns false
// (and changes nothing the caller relies on) when [off, off+len) is not inside the
// memory; the WASI layer turns that into abi.EFAULT.
//
// Copying (rather than handing out slices of the app's memory) is what lets the Xen
// build implement Memory as a copy between two Wasm memories (the app's and the
// shim's own). The hosted build copies out of wazero's memory view.
type Memory interface {
	Read(off uint32, dst []byte) bool
	Write(off uint32, src []byte) bool
}

// le32 and friends are little-endian helpers (Wasm memory is little-endian).
func le16(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 }
func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
func le64(b []byte) uint64 { return uint64(le32(b)) | uint64(le32(b[4:]))<<32 }
func put16(b []byte, v uint16) {
	b[0] = byte(v)
	b[1] = byte(v >> 8)
}
func put32(b []byte, v uint32) {
	b[0] = byte(v)
	b[1] = byte(v >> 8)
	b[2] = byte(v >> 16)
	b[3] = byte(v >> 24)
}
func put64(b []byte, v uint64) {
	put32(b, uint32(v))
	put32(b[4:], uint32(v>>32))
}

// readU32 reads a little-endian uint32 from app memory.
func (w *WASI) readU32(off uint32) (uint32, bool) {
	b := w.tmp[:4]
	if !w.mem.Read(off, b) {
		return 0, false
	}
	return le32(b), true
}

// writeU32 stores a little-endian uint32 into app memory.
func (w *WASI) writeU32(off, v uint32) bool {
	b := w.tmp[:4]
	put32(b, v)
	return w.mem.Write(off, b)
}

// writeU64 stores a little-endian uint64 into app memory.
func (w *WASI) writeU64(off uint32, v uint64) bool {
	b := w.tmp[:8]
	put64(b, v)
	return w.mem.Write(off, b)
}

// writeBytes stores b at off and reports success.
func (w *WASI) writeBytes(off uint32, b []byte) bool { return w.mem.Write(off, b) }

// valid reports whether [off, off+n) lies inside app memory (it probes the last byte:
// memory is one contiguous range from 0). The ABI checks ranges before acting, so
// that a fault never leaves a frame consumed or half a transfer done.
func (w *WASI) valid(off, n uint32) bool {
	if n == 0 {
		return true
	}
	if uint64(off)+uint64(n) > 1<<32 {
		return false
	}
	var probe [1]byte
	return w.mem.Read(off+n-1, probe[:])
}
