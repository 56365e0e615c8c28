// Package gnttab is the shim's grant table (version 1, xen/include/public/
// grant_table.h): the table of pages this domain lets other domains access,
// an array of 8-byte entries (flags u16, domid u16, frame u32) in frames Xen
// maps into the domain's own memory (XENMEM_add_to_physmap with
// XENMAPSPACE_grant_table, as an HVM or PVH guest must), 512 entries a frame.
// References 0-7 are reserved (the toolstack's console and xenstore grants).
//
// The shim grants its rings and buffers once, for the life of the domain, and
// never ends a grant: backends map and unmap them per request, and a buffer
// always stays the same page, so no page is ever granted by mistake.
package gnttab

import (
	"errors"
	"sync/atomic"
	"unsafe"
)

// Entry flags.
const (
	permitAccess = 1
	readonly     = 1 << 2
	firstFree    = 8
	perFrame     = 4096 / 8
)

// Mapper is what the table needs of the platform.
type Mapper interface {
	NewPage() []byte
	PFN(page []byte) (uint64, bool)
	// MapTableFrame maps grant-table frame idx at the page's frame.
	MapTableFrame(idx uint32, page []byte) error
	MaxFrames() uint32
}

// Table is the domain's grant table.
type Table struct {
	m      Mapper
	frames [][]byte
	next   uint32
}

// New returns an empty table (frames are mapped as grants need them).
func New(m Mapper) *Table { return &Table{m: m, next: firstFree} }

// ErrFull is a table at its maximum size.
var ErrFull = errors.New("gnttab: the grant table is full (the domain's max_grant_frames)")

// Grant lets domain dom access page (page-aligned, in shim memory), read-only
// when ro, and returns the reference to give the backend.
func (t *Table) Grant(dom uint16, page []byte, ro bool) (uint32, error) {
	gfn, ok := t.m.PFN(page)
	if !ok {
		return 0, errors.New("gnttab: the page has no frame")
	}
	ref := t.next
	f := ref / perFrame
	for uint32(len(t.frames)) <= f {
		if uint32(len(t.frames)) >= t.m.MaxFrames() {
			return 0, ErrFull
		}
		p := t.m.NewPage()
		if err := t.m.MapTableFrame(uint32(len(t.frames)), p); err != nil {
			return 0, errors.New("gnttab: mapping grant-table frame: " + err.Error())
		}
		t.frames = append(t.frames, p)
	}
	e := t.frames[f][8*(ref%perFrame):]
	e[2], e[3] = byte(dom), byte(dom>>8)
	atomic.StoreUint32((*uint32)(unsafe.Pointer(&e[4])), uint32(gfn))
	flags := uint32(permitAccess)
	if ro {
		flags |= readonly
	}
	// The domain and frame before the flags that make the entry valid; the
	// flags share a word with the domid, written as one store.
	atomic.StoreUint32((*uint32)(unsafe.Pointer(&e[0])), uint32(dom)<<16|flags)
	t.next++
	return ref, nil
}
