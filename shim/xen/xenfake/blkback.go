package xenfake

import (
	"encoding/binary"
	"strconv"
)

// Blkback is a fake blkback for one vbd: a disk in memory, the xenbus
// handshake, reads, writes, flushes and barriers, with knobs to make it
// hostile or poorer.
type Blkback struct {
	env         *Env
	Front, Back string
	Disk        []byte
	SectorSize  int
	Flush       bool // feature-flush-cache
	Barrier     bool // feature-barrier
	ReadOnly    bool
	Connected   bool
	Flushes     int
	Barriers    int
	Requests    int
	MaxInFlight uint32
	BadID       bool // answer with an id never asked for
	ring        *ring
	port        uint32
}

// NewBlkback puts a vbd of size bytes in the store, its backend waiting.
func NewBlkback(e *Env, size int) *Blkback {
	b := &Blkback{env: e, Front: "/local/domain/1/device/vbd/51712", Back: "/local/domain/0/backend/vbd/1/51712", Disk: make([]byte, size), SectorSize: 512, Flush: true}
	t := e.St.Tree
	t[b.Front+"/backend"] = b.Back
	t[b.Front+"/backend-id"] = "0"
	t[b.Front+"/state"] = "1"
	t[b.Back+"/state"] = "2"
	e.AddBackend(b.tick)
	return b
}

// Close moves the backend to Closing.
func (b *Blkback) Close() { b.env.St.Set(b.Back+"/state", "5") }

func (b *Blkback) tick() {
	le := binary.LittleEndian
	e := b.env
	t := e.St.Tree
	if !b.Connected {
		if t[b.Front+"/state"] != "3" {
			return
		}
		ref, _ := strconv.Atoi(t[b.Front+"/ring-ref"])
		port, _ := strconv.Atoi(t[b.Front+"/event-channel"])
		b.ring = newBackRing(e.Page(uint32(ref), 0, true), 112)
		b.port = uint32(port)
		t[b.Back+"/sectors"] = strconv.Itoa(len(b.Disk) / 512)
		t[b.Back+"/sector-size"] = strconv.Itoa(b.SectorSize)
		info := 0
		if b.ReadOnly {
			info = 4
		}
		t[b.Back+"/info"] = strconv.Itoa(info)
		if b.Flush {
			t[b.Back+"/feature-flush-cache"] = "1"
		}
		if b.Barrier {
			t[b.Back+"/feature-barrier"] = "1"
		}
		b.Connected = true
		e.St.Set(b.Back+"/state", "4")
		return
	}
	r := b.ring
	b.MaxInFlight = max(b.MaxInFlight, r.requests())
	old := r.rspProdPvt
	for r.requests() > 0 {
		q := r.slot(r.reqCons)
		op, nsegs, id, sector := q[0], int(q[1]), le.Uint64(q[8:]), le.Uint64(q[16:])
		r.reqCons++
		b.Requests++
		status := int16(0)
		pos := int(sector) * 512
		switch op {
		case 0, 1:
			for i := 0; i < nsegs; i++ {
				s := q[24+8*i:]
				gref, first, last := le.Uint32(s), int(s[4]), int(s[5])
				pg := e.Page(gref, 0, op == 0)
				n := (last - first + 1) * 512
				if pos+n > len(b.Disk) {
					status = -1
					break
				}
				if op == 0 {
					copy(pg[first*512:], b.Disk[pos:pos+n])
				} else if !b.ReadOnly {
					copy(b.Disk[pos:pos+n], pg[first*512:first*512+n])
				} else {
					status = -1
				}
				pos += n
			}
		case 3:
			b.Flushes++
			if !b.Flush {
				status = -2
			}
		case 2:
			b.Barriers++
			if !b.Barrier {
				status = -2
			}
		default:
			status = -2
		}
		if b.BadID {
			id = 77
		}
		s := r.slot(r.rspProdPvt)
		le.PutUint64(s[0:], id)
		s[8] = op
		le.PutUint16(s[10:], uint16(status))
		r.rspProdPvt++
	}
	r.pushResponses()
	if r.wantsNotify(old) {
		e.Raise(b.port)
	}
}
