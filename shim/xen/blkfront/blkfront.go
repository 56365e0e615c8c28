// Package blkfront is the Xen block frontend of the shim: /dev/disk0 on Xen, a
// shim.BlockDevice over a vbd's shared ring (xen/include/public/io/blkif.h).
//
// The xenbus handshake: when the backend (blkback in dom0) waits (InitWait),
// the frontend publishes its ring, event channel and ABI (x86_64-abi) and says
// Initialised; once the backend is Connected the frontend reads the disk's
// facts (sectors, in 512-byte units; sector-size; info's read-only bit;
// feature-flush-cache, feature-barrier) and says Connected.
//
// Transfers: a read or write of any sector-aligned length is cut into
// requests of up to 11 pages (44 KiB), up to 8 in flight at once, through 88
// buffer pages granted once for the life of the domain (the data is copied
// in and out; a buffer never changes owner). fd_datasync and fd_sync are a
// cache flush (BLKIF_OP_FLUSH_DISKCACHE) when the backend offers it, else a
// barrier (an empty BLKIF_OP_WRITE_BARRIER, which completes only once every
// earlier write is on stable storage); a backend with neither is said so on
// the console at boot, and Sync fails with ENOTSUP rather than pretend.
//
// Everything the backend writes is checked: indexes, response ids (known, in
// flight), operations (as asked). Anything impossible kills the device: one
// console line, then every call fails; nothing is read or written outside
// the ring or a buffer. A backend that moves to Closing or Closed kills it
// the same way, and a transfer waiting for it returns.
package blkfront

import (
	"errors"
	"strconv"

	"github.com/mwasm/mwasm/shim"
	"github.com/mwasm/mwasm/shim/xen/front"
	"github.com/mwasm/mwasm/shim/xen/xenstore"
)

const (
	entry      = 112 // blkif_request (the larger of request and response)
	segsPerReq = 11
	maxReqs    = 8
	pageSize   = front.PageSize

	opRead    = 0
	opWrite   = 1
	opBarrier = 2
	opFlush   = 3

	rspOkay        = 0
	rspEOPNOTSUPP  = -2
	vdiskReadOnly  = 4
	noFlush        = -1
	requestTimeout = 60_000_000_000 // ns: a backend silent this long is dead
)

// Errors of the device (the WASI layer maps them to EIO, ENOTSUP, EROFS).
var (
	ErrNoFlush  error = noFlushError{}
	ErrReadOnly       = errors.New("disk0: the disk is read-only")
	ErrIO             = errors.New("disk0: the backend reported an I/O error")
)

type noFlushError struct{}

func (noFlushError) Error() string { return "disk0: the backend offers no cache flush or barrier" }
func (noFlushError) Unwrap() error { return shim.ErrNotSupported }

// ErrDead is returned once the device died.
type ErrDead struct{ Msg string }

func (e *ErrDead) Error() string { return "disk0: " + e.Msg }

type slot struct {
	busy  bool
	op    uint8
	pos   int // offset in the caller's buffer
	n     int // bytes
	pages int
}

// Disk is one vbd.
type Disk struct {
	env        front.Env
	dev        *front.Device
	handle     uint16
	port       uint32
	ring       *front.Ring
	pages      [][]byte
	refs       []uint32
	slots      [maxReqs]slot
	sectorSize int
	sectors    uint64 // of sectorSize
	flushOp    int
	readOnly   bool
	dead       error
}

// Start connects the first vbd of the domain; front.ErrNoDevice when it has none.
func Start(env front.Env) (*Disk, error) {
	d0, err := front.Find(env, "vbd")
	if err != nil {
		return nil, err
	}
	st := env.Store()
	d := &Disk{env: env, dev: d0, flushOp: noFlush}
	id := d0.Path[len("device/vbd/"):]
	if h, err := strconv.ParseUint(id, 10, 16); err == nil {
		d.handle = uint16(h)
	}
	if err := d0.WaitBackend(env, front.StateInitWait, 20_000_000_000); err != nil {
		return nil, err
	}
	page := env.NewPage()
	d.ring = front.NewRing(page, entry, env.Fence)
	ref, err := env.Grant(d0.BackendID, page, false)
	if err != nil {
		return nil, err
	}
	if d.port, err = env.AllocPort(d0.BackendID); err != nil {
		return nil, errors.New("allocating disk0's event channel: " + err.Error())
	}
	env.Handle(d.port, func() {})
	p := d0.Path + "/"
	if err := st.Transaction(func(tx *xenstore.Tx) error {
		for _, kv := range [][2]string{{"ring-ref", strconv.Itoa(int(ref))}, {"event-channel", strconv.Itoa(int(d.port))}, {"protocol", "x86_64-abi"}} {
			if err := tx.Write(p+kv[0], kv[1]); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return nil, errors.New("publishing disk0's ring in xenstore: " + err.Error())
	}
	if err := d0.SetState(env, front.StateInitialised); err != nil {
		return nil, err
	}
	if err := d0.WaitBackend(env, front.StateConnected, 20_000_000_000); err != nil {
		return nil, err
	}
	num := func(key string, def uint64) (uint64, error) {
		v, err := st.Read(d0.Backend + "/" + key)
		if err != nil {
			return def, nil
		}
		n, perr := strconv.ParseUint(v, 10, 64)
		if perr != nil {
			return 0, errors.New(d0.Backend + "/" + key + " is " + strconv.Quote(v) + ", not a number")
		}
		return n, nil
	}
	sectors512, err := num("sectors", 0)
	if err != nil {
		return nil, err
	}
	ss, err := num("sector-size", 512)
	if err != nil {
		return nil, err
	}
	if ss < 512 || ss > pageSize || ss&(ss-1) != 0 {
		return nil, errors.New("the backend's sector-size " + strconv.FormatUint(ss, 10) + " is not a power of two from 512 to 4096")
	}
	d.sectorSize = int(ss)
	d.sectors = sectors512 * 512 / ss
	if d.sectors == 0 {
		return nil, errors.New("the backend's disk has no sectors (an empty disk image?)")
	}
	info, _ := num("info", 0)
	d.readOnly = info&vdiskReadOnly != 0
	if f, _ := num("feature-flush-cache", 0); f == 1 {
		d.flushOp = opFlush
	} else if b, _ := num("feature-barrier", 0); b == 1 {
		d.flushOp = opBarrier
	} else {
		env.Log("mwasm: disk0: the backend offers neither feature-flush-cache nor feature-barrier: fd_sync and fd_datasync will fail (ENOTSUP)")
	}
	for i := 0; i < maxReqs*segsPerReq; i++ {
		pg := env.NewPage()
		r, err := env.Grant(d0.BackendID, pg, false)
		if err != nil {
			return nil, err
		}
		d.pages, d.refs = append(d.pages, pg), append(d.refs, r)
	}
	if err := d0.SetState(env, front.StateConnected); err != nil {
		return nil, err
	}
	if err := d0.Watch(env, func(s int) {
		if s >= front.StateClosing {
			d.kill("the backend closed the device (state " + strconv.Itoa(s) + ")")
		}
	}); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *Disk) kill(msg string) {
	if d.dead != nil {
		return
	}
	d.dead = &ErrDead{msg}
	d.env.Log("mwasm: disk0: " + msg + ": the device is dead")
}

func (d *Disk) SectorSize() int { return d.sectorSize }
func (d *Disk) Sectors() uint64 { return d.sectors }
func (d *Disk) Close() error    { return nil }
func (d *Disk) ReadOnly() bool  { return d.readOnly }

func (d *Disk) ReadAt(p []byte, off int64) error { return d.transfer(opRead, p, off) }

func (d *Disk) WriteAt(p []byte, off int64) error {
	if d.readOnly {
		return ErrReadOnly
	}
	return d.transfer(opWrite, p, off)
}

// Sync is the durability barrier.
func (d *Disk) Sync() error {
	if d.dead != nil {
		return d.dead
	}
	if d.flushOp == noFlush {
		return ErrNoFlush
	}
	return d.transfer(uint8(d.flushOp), nil, 0)
}

// transfer runs op over p at byte offset off (sector-aligned, inside the
// disk: the WASI layer checks), keeping up to maxReqs requests in flight.
func (d *Disk) transfer(op uint8, p []byte, off int64) error {
	if d.dead != nil {
		return d.dead
	}
	pos, failed := 0, error(nil)
	first := true // a flush has no data: one request
	for {
		// Fill the ring.
		for (pos < len(p) || (first && len(p) == 0)) && d.ring.Free() > 0 {
			k := d.freeSlot()
			if k < 0 {
				break
			}
			first = false
			n := min(len(p)-pos, segsPerReq*pageSize)
			s := &d.slots[k]
			*s = slot{busy: true, op: op, pos: pos, n: n, pages: (n + pageSize - 1) / pageSize}
			r := d.ring.Req(d.ring.ReqProdPvt)
			for i := range r {
				r[i] = 0
			}
			r[0], r[1] = op, byte(s.pages)
			put16(r[2:], d.handle)
			put64(r[8:], uint64(k))
			put64(r[16:], uint64(off+int64(pos))/512)
			for i := 0; i < s.pages; i++ {
				chunk := min(pageSize, n-i*pageSize)
				pg := d.pages[k*segsPerReq+i]
				if op == opWrite {
					copy(pg, p[pos+i*pageSize:pos+i*pageSize+chunk])
				}
				seg := r[24+8*i:]
				put32(seg[0:], d.refs[k*segsPerReq+i])
				seg[4], seg[5] = 0, byte(chunk/512-1)
			}
			d.ring.ReqProdPvt++
			pos += n
		}
		if d.ring.Push() {
			d.env.Notify(d.port)
		}
		if d.ring.Outstanding() == 0 {
			return failed
		}
		// Take the responses; wait when there are none.
		n, err := d.ring.FinalCheck()
		if err != nil {
			d.kill("ring: " + err.Error())
		}
		if d.dead != nil {
			return d.dead
		}
		if n == 0 {
			start := d.env.Now()
			d.env.Wait(start + requestTimeout)
			if d.env.Now()-start >= requestTimeout {
				if m, _ := d.ring.Responses(); m == 0 {
					d.kill("no response from the backend in 60 s")
				}
			}
			continue
		}
		for ; n > 0; n-- {
			rsp := d.ring.Rsp(d.ring.RspCons)
			id, rop, status := le64(rsp[0:]), rsp[8], int16(le16(rsp[10:]))
			if id >= maxReqs || !d.slots[id].busy || d.slots[id].op != rop {
				d.kill("a response for request " + strconv.FormatUint(id, 10) + " (operation " + strconv.Itoa(int(rop)) + "), which is not in flight")
				return d.dead
			}
			d.ring.RspCons++
			s := &d.slots[id]
			s.busy = false
			switch {
			case status == rspOkay:
				if s.op == opRead {
					for i := 0; i < s.pages; i++ {
						chunk := min(pageSize, s.n-i*pageSize)
						copy(p[s.pos+i*pageSize:s.pos+i*pageSize+chunk], d.pages[int(id)*segsPerReq+i])
					}
				}
			case status == rspEOPNOTSUPP && (s.op == opFlush || s.op == opBarrier):
				failed = ErrNoFlush
			default:
				failed = ErrIO
			}
		}
	}
}

func (d *Disk) freeSlot() int {
	for i := range d.slots {
		if !d.slots[i].busy {
			return i
		}
	}
	return -1
}

func le16(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 }
func le64(b []byte) uint64 {
	return uint64(le16(b)) | uint64(le16(b[2:]))<<16 | uint64(le16(b[4:]))<<32 | uint64(le16(b[6:]))<<48
}
func put16(b []byte, v uint16) { b[0], b[1] = byte(v), byte(v>>8) }
func put32(b []byte, v uint32) { put16(b, uint16(v)); put16(b[2:], uint16(v>>16)) }
func put64(b []byte, v uint64) { put32(b, uint32(v)); put32(b[4:], uint32(v>>32)) }
