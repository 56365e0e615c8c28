//go:build wasip1

package reactor

import (
	"unsafe"

	"github.com/mwasm/mwasm/shim"
	"github.com/mwasm/mwasm/shim/memfs"
)

//go:wasmimport mwasm app_read
func appRead(appOff uint32, ptr unsafe.Pointer, n uint32) uint32

//go:wasmimport mwasm app_write
func appWrite(appOff uint32, ptr unsafe.Pointer, n uint32) uint32

//go:wasmimport mwasm config_size
func configSize() uint32

//go:wasmimport mwasm config_read
func configRead(ptr unsafe.Pointer)

//go:wasmimport mwasm files_size
func filesSize() uint32

//go:wasmimport mwasm files_read
func filesRead(ptr unsafe.Pointer)

// w is the app's WASI state, set by Serve; the exports call its methods.
var w *shim.WASI

// Serve makes the exports serve the app with platform p and configuration cfg. Call
// it once, from an init function of the reactor's main package (that is, from
// _initialize), before the app runs.
func Serve(p shim.Platform, cfg shim.Config) {
	w = shim.New(p, appMemory{}, cfg)
}

// ReadConfig fetches the configuration blob from the natives and decodes it.
func ReadConfig() (Config, error) {
	n := configSize()
	b := make([]byte, n+1) // +1: a valid pointer even for an empty blob
	configRead(unsafe.Pointer(&b[0]))
	return Decode(b[:n])
}

// ReadFiles fetches the directory trees the image carries (mwasm build --dir)
// and returns them as preopens; now gives the trees' timestamps. An image
// without trees gives none.
func ReadFiles(now func() uint64) ([]shim.Preopen, error) {
	n := filesSize()
	if n == 0 {
		return nil, nil
	}
	b := make([]byte, n)
	filesRead(unsafe.Pointer(&b[0]))
	trees, err := memfs.Unpack(b, now)
	if err != nil {
		return nil, err
	}
	return memfs.Preopens(trees), nil
}

// appMemory is shim.Memory over the app_read and app_write natives, with a small
// read cache: a short read fetches a window of app memory around it in one native
// call, so that the few small records one ABI call reads (an iovec array, the
// nwritten word, a short buffer; usually close together on the app's stack) cost
// one native call rather than one each. Writes go through to the app and update the
// window. The window is dropped at the start of every export call (the app may have
// changed its memory in between; within a call only the shim touches it), which is
// what the generated exports do by calling enter.
type appMemory struct{}

const (
	windowSize  = 512 // bytes fetched around a short read
	windowBelow = 256 // of which before the read
	shortRead   = 64  // reads up to this long go through the window
)

var (
	window    [windowSize]byte
	winBase   uint32 // app offset of window[0]
	winLen    uint32 // valid bytes in window; 0: no window
	knownSize uint64 // a lower bound of the app memory's size (it only grows)
)

//go:wasmimport mwasm app_size
func appSize() uint32

// enter starts an export call: the app may have changed its memory.
func enter() { winLen = 0 }

func (appMemory) Read(off uint32, dst []byte) bool {
	n := uint32(len(dst))
	if winLen != 0 && off >= winBase && uint64(off)+uint64(n) <= uint64(winBase)+uint64(winLen) {
		copy(dst, window[off-winBase:])
		return true
	}
	if n == 0 || n > shortRead {
		return appRead(off, unsafe.Pointer(unsafe.SliceData(dst)), n) == 0
	}
	end := uint64(off) + uint64(n)
	if end > knownSize {
		knownSize = uint64(appSize())
		if end > knownSize {
			return false
		}
	}
	base := uint64(0)
	if off > windowBelow {
		base = uint64(off-windowBelow) &^ 7
	}
	top := min(base+windowSize, knownSize)
	if appRead(uint32(base), unsafe.Pointer(&window[0]), uint32(top-base)) != 0 {
		winLen = 0
		return appRead(off, unsafe.Pointer(unsafe.SliceData(dst)), n) == 0
	}
	winBase, winLen = uint32(base), uint32(top-base)
	copy(dst, window[uint64(off)-base:])
	return true
}

func (appMemory) Write(off uint32, src []byte) bool {
	if appWrite(off, unsafe.Pointer(unsafe.SliceData(src)), uint32(len(src))) != 0 {
		return false
	}
	if winLen != 0 {
		// Update the overlap of [off, off+len) with the window.
		lo := max(uint64(off), uint64(winBase))
		hi := min(uint64(off)+uint64(len(src)), uint64(winBase)+uint64(winLen))
		if lo < hi {
			copy(window[lo-uint64(winBase):hi-uint64(winBase)], src[lo-uint64(off):])
		}
	}
	return true
}
