// Package store is the crash-safe key-value log behind apps/kv.
//
// # Disk layout
//
// The device is an array of sectors (size S, a power of two >= 512). Sectors 0 and
// 1 are two superblock slots; the rest is split into two equal halves, of which
// one is active at a time and holds the log:
//
//	sector 0, 1   superblock slots: magic, version, S, sector count, generation,
//	              active half, first sequence number, CRC-32C. The valid slot with
//	              the highest generation wins; generation g lives in slot g%2.
//	half 0, 1     the log: records packed back to back, ignoring sector bounds.
//
// A record is a 20-byte header followed by the key and the value:
//
//	crc u32 | seq u64 | kind u8 (1 put, 2 delete) | 0 u8 | klen u16 | vlen u32
//
// (little endian). seq counts up by one from the superblock's first sequence
// number. crc is CRC-32C (Castagnoli) over the previous record's crc (for the first
// record, a seed derived from the generation and half) followed by the record
// after its crc field. The chain makes a record valid only in the exact history
// it was written in: stale records left over from an earlier use of the same half,
// or from a write that was torn and later overwritten, can never be taken for a
// continuation of the log.
//
// # Writing
//
// The disk accepts only whole, aligned sectors, so the store keeps the partially
// filled last sector in memory and rewrites it, followed by the new records and
// zero padding, on every append. Writers do not write themselves: Put and Delete
// queue an operation and wait; one committer goroutine takes everything queued,
// writes it with one WriteAt, calls Sync once, applies it to the in-memory index
// and only then acknowledges each operation (group commit). Reads are served from
// the index, so they only ever see durable data.
//
// When the active half has no room for a record, the committer compacts: it writes
// every live key as a fresh record into the other half, syncs, writes the
// superblock for generation g+1 into the other slot, and syncs again. Until that
// last sync completes, the old half and superblock stay authoritative. If the live
// data does not leave room even after compaction, the operation fails with ErrFull
// (HTTP 507 in apps/kv).
//
// # Crash model
//
// Assumed of the device: a write that is not followed by a completed Sync may be
// lost, applied, or torn in any way that leaves each byte holding either its old
// or its new value; writes acknowledged by Sync are never lost; Sync is a barrier.
// Under that model, every Put or Delete that returned nil survives a crash
// (kill -9, power loss) at any instant, including during compaction: rewriting the
// last sector only rewrites already-durable bytes with the same values, and a torn
// record fails its CRC, so recovery stops at the last valid record and the next
// append overwrites the torn tail. Operations that did not return may or may not
// survive. Not covered: media errors that corrupt already-synced sectors.
//
// Recovery (Open) reads both superblock slots, then scans the active half from
// its start until the first record whose length, sequence number or checksum is
// wrong, rebuilding the index. An all-zero device is formatted; a device with
// other data in its superblock sectors is refused.
//
// The whole key-value set is held in memory (the log is its durable copy), so the
// data set must fit in memory.
package store

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"slices"
	"strconv"
	"sync"
)

// Device is a disk of fixed-size sectors. The store only issues ReadAt and WriteAt
// with sector-aligned offsets and lengths; a write is durable once Sync returns
// nil. *os.File satisfies it.
type Device interface {
	ReadAt(p []byte, off int64) (int, error)
	WriteAt(p []byte, off int64) (int, error)
	Sync() error
}

// Limits on keys and values.
const (
	MaxKey   = 1024
	MaxValue = 4 << 20
)

const (
	hdrLen     = 20
	kindPut    = 1
	kindDelete = 2
	sbLen      = 52
	version    = 1
	chunk      = 256 << 10 // read and compaction buffer size
)

var sbMagic = [8]byte{'M', 'W', 'K', 'V', 'L', 'O', 'G', 0}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Errors returned by the store.
var (
	ErrFull     = errors.New("store: disk full: the live data leaves no room even after compaction; delete keys or use a bigger disk")
	ErrTooLarge = errors.New("store: key or value too large (keys 1-1024 bytes, values up to 4 MiB)")
	ErrClosed   = errors.New("store: closed")
)

// Stats describes a store.
type Stats struct {
	Recovered   int    // records read back by Open
	Keys        int    // live keys
	Generation  uint64 // superblock generation (bumped by each compaction)
	Compactions int    // compactions done since Open
	LogBytes    int64  // bytes used in the active half
	HalfBytes   int64  // capacity of a half
}

// Store is an open key-value log.
type Store struct {
	dev       Device
	sector    int
	sectors   int64
	halfSecs  int64 // sectors per half
	halfBytes int64

	// Log state, owned by the committer (and Open before it starts).
	gen     uint64
	active  int
	end     int64  // log bytes used in the active half
	tail    []byte // the bytes of the last partial sector (len < sector)
	prevCRC uint32
	nextSeq uint64

	mu          sync.Mutex
	cond        *sync.Cond
	index       map[string][]byte
	pending     []*op
	broken      error
	closed      bool
	recovered   int
	compactions int
	done        chan struct{}
}

type op struct {
	kind    byte
	key     string
	val     []byte
	existed bool
	err     error
	done    chan struct{}
}

// Open recovers the store on dev (sectors of sectorSize bytes) and starts its
// committer.
func Open(dev Device, sectorSize int, sectors int64) (*Store, error) {
	if sectorSize < 512 || sectorSize&(sectorSize-1) != 0 {
		return nil, errors.New("store: sector size " + strconv.Itoa(sectorSize) + " is not a power of two >= 512")
	}
	if sectors < 2+2*16 {
		return nil, errors.New("store: disk of " + strconv.FormatInt(sectors, 10) + " sectors is too small (need at least 34)")
	}
	s := &Store{
		dev:      dev,
		sector:   sectorSize,
		sectors:  sectors,
		halfSecs: (sectors - 2) / 2,
		index:    make(map[string][]byte),
		done:     make(chan struct{}),
	}
	s.halfBytes = s.halfSecs * int64(sectorSize)
	s.cond = sync.NewCond(&s.mu)
	if err := s.loadSuper(); err != nil {
		return nil, err
	}
	if err := s.recover(); err != nil {
		return nil, err
	}
	go s.committer()
	return s, nil
}

func (s *Store) halfStart(h int) int64 {
	return (2 + int64(h)*s.halfSecs) * int64(s.sector)
}

func seed(gen uint64, half int) uint32 {
	var b [16]byte
	copy(b[:], "mwkv")
	binary.LittleEndian.PutUint64(b[4:], gen)
	binary.LittleEndian.PutUint32(b[12:], uint32(half))
	return crc32.Checksum(b[:], castagnoli)
}

type superblock struct {
	gen      uint64
	active   int
	startSeq uint64
}

func (s *Store) encodeSuper(sb superblock) []byte {
	b := make([]byte, s.sector)
	copy(b, sbMagic[:])
	binary.LittleEndian.PutUint32(b[8:], version)
	binary.LittleEndian.PutUint32(b[12:], uint32(s.sector))
	binary.LittleEndian.PutUint64(b[16:], uint64(s.sectors))
	binary.LittleEndian.PutUint64(b[24:], sb.gen)
	binary.LittleEndian.PutUint32(b[32:], uint32(sb.active))
	binary.LittleEndian.PutUint64(b[40:], sb.startSeq)
	binary.LittleEndian.PutUint32(b[48:], crc32.Checksum(b[:48], castagnoli))
	return b
}

// decodeSuper returns the superblock in b and whether it is intact, or an error
// for a superblock that is intact but unusable with this device.
func (s *Store) decodeSuper(b []byte) (sb superblock, valid bool, err error) {
	if [8]byte(b[:8]) != sbMagic || binary.LittleEndian.Uint32(b[48:]) != crc32.Checksum(b[:48], castagnoli) {
		return sb, false, nil
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != version {
		return sb, false, errors.New("store: disk has log format version " + strconv.Itoa(int(v)) + "; this build reads version " + strconv.Itoa(version))
	}
	if ss := binary.LittleEndian.Uint32(b[12:]); int(ss) != s.sector {
		return sb, false, errors.New("store: disk was formatted with " + strconv.Itoa(int(ss)) + "-byte sectors, device has " + strconv.Itoa(s.sector))
	}
	if n := binary.LittleEndian.Uint64(b[16:]); int64(n) != s.sectors {
		return sb, false, errors.New("store: disk was formatted with " + strconv.FormatUint(n, 10) + " sectors, device has " + strconv.FormatInt(s.sectors, 10) + " (resizing is not supported)")
	}
	sb.gen = binary.LittleEndian.Uint64(b[24:])
	sb.active = int(binary.LittleEndian.Uint32(b[32:]))
	sb.startSeq = binary.LittleEndian.Uint64(b[40:])
	if sb.active > 1 || sb.gen == 0 {
		return sb, false, nil
	}
	return sb, true, nil
}

func (s *Store) loadSuper() error {
	buf := make([]byte, 2*s.sector)
	if err := s.readFull(buf, 0); err != nil {
		return err
	}
	var best superblock
	found := false
	for slot := 0; slot < 2; slot++ {
		sb, valid, err := s.decodeSuper(buf[slot*s.sector : (slot+1)*s.sector])
		if err != nil {
			return err
		}
		if valid && (!found || sb.gen > best.gen) {
			best, found = sb, true
		}
	}
	if !found {
		// A fresh (all-zero) disk, or a first format that was torn (every byte zero or
		// that of the new superblock): format. Anything else is somebody else's data.
		best = superblock{gen: 1, active: 0, startSeq: 1}
		fresh := s.encodeSuper(best)
		slot := int(best.gen % 2)
		if !allZero(buf[(1-slot)*s.sector:(2-slot)*s.sector]) || !zeroOr(buf[slot*s.sector:(slot+1)*s.sector], fresh) {
			return errors.New("store: the disk's first two sectors hold data that is not a kv log; refusing to format it (use a zeroed disk)")
		}
		if err := s.writeFull(fresh, int64(slot*s.sector)); err != nil {
			return err
		}
		if err := s.dev.Sync(); err != nil {
			return errors.New("store: sync after format: " + err.Error())
		}
	}
	s.gen, s.active, s.nextSeq = best.gen, best.active, best.startSeq
	s.prevCRC = seed(best.gen, best.active)
	return nil
}

// zeroOr reports whether every byte of b is zero or equal to want's byte.
func zeroOr(b, want []byte) bool {
	for i, c := range b {
		if c != 0 && c != want[i] {
			return false
		}
	}
	return true
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func (s *Store) readFull(p []byte, off int64) error {
	n, err := s.dev.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil {
		err = errors.New("short read")
	}
	return errors.New("store: reading disk at offset " + strconv.FormatInt(off, 10) + ": " + err.Error())
}

func (s *Store) writeFull(p []byte, off int64) error {
	n, err := s.dev.WriteAt(p, off)
	if n == len(p) && err == nil {
		return nil
	}
	if err == nil {
		err = errors.New("short write")
	}
	return errors.New("store: writing disk at offset " + strconv.FormatInt(off, 10) + ": " + err.Error())
}

// recover scans the active half and rebuilds the index.
func (s *Store) recover() error {
	base := s.halfStart(s.active)
	var buf []byte // device bytes [bufOff, bufOff+len(buf)) relative to base
	var bufOff int64
	// get returns n log bytes at pos, or nil if they would cross the half's end.
	get := func(pos int64, n int) ([]byte, error) {
		if pos+int64(n) > s.halfBytes {
			return nil, nil
		}
		if pos >= bufOff && pos+int64(n) <= bufOff+int64(len(buf)) {
			return buf[pos-bufOff : pos-bufOff+int64(n)], nil
		}
		start := pos &^ int64(s.sector-1)
		size := max(int64(chunk), pos+int64(n)-start)
		size = (size + int64(s.sector) - 1) &^ int64(s.sector-1)
		size = min(size, s.halfBytes-start)
		if int64(cap(buf)) < size {
			buf = make([]byte, size)
		}
		buf = buf[:size]
		bufOff = start
		if err := s.readFull(buf, base+start); err != nil {
			return nil, err
		}
		return buf[pos-start : pos-start+int64(n)], nil
	}
	var pos int64
	for {
		h, err := get(pos, hdrLen)
		if err != nil {
			return err
		}
		if h == nil {
			break
		}
		crc := binary.LittleEndian.Uint32(h[0:])
		seq := binary.LittleEndian.Uint64(h[4:])
		kind, pad := h[12], h[13]
		klen := int(binary.LittleEndian.Uint16(h[14:]))
		vlen := int(binary.LittleEndian.Uint32(h[16:]))
		if seq != s.nextSeq || pad != 0 || klen == 0 || klen > MaxKey || vlen > MaxValue ||
			(kind != kindPut && kind != kindDelete) || (kind == kindDelete && vlen != 0) {
			break
		}
		rec, err := get(pos, hdrLen+klen+vlen)
		if err != nil {
			return err
		}
		if rec == nil || recordCRC(s.prevCRC, rec) != crc {
			break
		}
		key := string(rec[hdrLen : hdrLen+klen])
		if kind == kindPut {
			s.index[key] = append([]byte(nil), rec[hdrLen+klen:]...)
		} else {
			delete(s.index, key)
		}
		s.prevCRC = crc
		s.nextSeq++
		s.recovered++
		pos += int64(len(rec))
	}
	s.end = pos
	// Keep the valid part of the last partial sector for the next append.
	if r := int(pos & int64(s.sector-1)); r > 0 {
		t, err := get(pos-int64(r), r)
		if err != nil {
			return err
		}
		s.tail = append(make([]byte, 0, s.sector), t...)
	} else {
		s.tail = make([]byte, 0, s.sector)
	}
	return nil
}

func recordCRC(prev uint32, rec []byte) uint32 {
	var p [4]byte
	binary.LittleEndian.PutUint32(p[:], prev)
	return crc32.Update(crc32.Checksum(p[:], castagnoli), castagnoli, rec[4:])
}

// appendRecord encodes one record chained to *prev onto dst.
func appendRecord(dst []byte, prev *uint32, seq uint64, kind byte, key string, val []byte) []byte {
	start := len(dst)
	var h [hdrLen]byte
	binary.LittleEndian.PutUint64(h[4:], seq)
	h[12] = kind
	binary.LittleEndian.PutUint16(h[14:], uint16(len(key)))
	binary.LittleEndian.PutUint32(h[16:], uint32(len(val)))
	dst = append(dst, h[:]...)
	dst = append(dst, key...)
	dst = append(dst, val...)
	crc := recordCRC(*prev, dst[start:])
	binary.LittleEndian.PutUint32(dst[start:], crc)
	*prev = crc
	return dst
}

func recordLen(key string, val []byte) int64 { return int64(hdrLen + len(key) + len(val)) }

// Get returns the value of key, if present.
func (s *Store) Get(key string) ([]byte, bool) {
	s.mu.Lock()
	v, ok := s.index[key]
	s.mu.Unlock()
	return v, ok
}

// Keys returns the live keys in sorted order.
func (s *Store) Keys() []string {
	s.mu.Lock()
	keys := make([]string, 0, len(s.index))
	for k := range s.index {
		keys = append(keys, k)
	}
	s.mu.Unlock()
	slices.Sort(keys)
	return keys
}

// Stats returns counters describing the store.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{
		Recovered:   s.recovered,
		Keys:        len(s.index),
		Generation:  s.gen,
		Compactions: s.compactions,
		LogBytes:    s.end,
		HalfBytes:   s.halfBytes,
	}
}

// Put stores val under key and returns once the record is durable.
func (s *Store) Put(key string, val []byte) error {
	if len(key) == 0 || len(key) > MaxKey || len(val) > MaxValue ||
		recordLen(key, val) > s.halfBytes-int64(s.sector) {
		return ErrTooLarge
	}
	o := &op{kind: kindPut, key: key, val: append([]byte(nil), val...)}
	s.submit(o)
	return o.err
}

// Delete removes key and returns once the deletion is durable. It reports whether
// the key existed; deleting an absent key writes nothing.
func (s *Store) Delete(key string) (existed bool, err error) {
	if len(key) == 0 || len(key) > MaxKey {
		return false, ErrTooLarge
	}
	o := &op{kind: kindDelete, key: key}
	s.submit(o)
	return o.existed, o.err
}

func (s *Store) submit(o *op) {
	o.done = make(chan struct{})
	s.mu.Lock()
	switch {
	case s.closed:
		o.err = ErrClosed
	case s.broken != nil:
		o.err = s.broken
	default:
		s.pending = append(s.pending, o)
		s.cond.Signal()
		s.mu.Unlock()
		<-o.done
		return
	}
	s.mu.Unlock()
}

// Close waits for queued operations to finish and stops the committer. It does
// not close the device.
func (s *Store) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		s.cond.Signal()
	}
	s.mu.Unlock()
	<-s.done
	return nil
}

func (s *Store) committer() {
	defer close(s.done)
	for {
		s.mu.Lock()
		for len(s.pending) == 0 && !s.closed {
			s.cond.Wait()
		}
		batch := s.pending
		s.pending = nil
		closed := s.closed
		s.mu.Unlock()
		if len(batch) > 0 {
			s.commit(batch)
		}
		if closed {
			return
		}
	}
}

// commit makes batch durable and applies it. It runs only on the committer.
func (s *Store) commit(batch []*op) {
	s.mu.Lock()
	broken := s.broken
	// Decide which deletes do something, looking through earlier ops of the batch.
	overlay := map[string]bool{}
	for _, o := range batch {
		if o.kind == kindDelete {
			ex, ok := overlay[o.key]
			if !ok {
				_, ex = s.index[o.key]
			}
			o.existed = ex
			overlay[o.key] = false
		} else {
			overlay[o.key] = true
		}
	}
	s.mu.Unlock()
	if broken != nil {
		finish(batch, broken)
		return
	}

	var size int64
	for _, o := range batch {
		if o.kind == kindPut || o.existed {
			size += recordLen(o.key, o.val)
		}
	}
	if s.end+size > s.halfBytes && s.liveBytes() < s.end {
		if err := s.compact(); err != nil {
			s.fail(batch, err)
			return
		}
	}
	// Take ops in order while they fit; the rest fail with ErrFull.
	var write []*op
	room := s.halfBytes - s.end
	for _, o := range batch {
		if o.kind == kindDelete && !o.existed {
			continue
		}
		n := recordLen(o.key, o.val)
		if n > room {
			o.err = ErrFull
			o.existed = false
			continue
		}
		room -= n
		write = append(write, o)
	}
	if len(write) > 0 {
		secStart := s.end - int64(len(s.tail))
		buf := make([]byte, 0, int64(len(s.tail))+size+int64(s.sector))
		buf = append(buf, s.tail...)
		prev, seq := s.prevCRC, s.nextSeq
		for _, o := range write {
			buf = appendRecord(buf, &prev, seq, o.kind, o.key, o.val)
			seq++
		}
		used := len(buf)
		padded := (used + s.sector - 1) &^ (s.sector - 1)
		buf = append(buf, make([]byte, padded-used)...)
		if err := s.writeFull(buf, s.halfStart(s.active)+secStart); err != nil {
			s.fail(batch, err)
			return
		}
		if err := s.dev.Sync(); err != nil {
			s.fail(batch, errors.New("store: sync: "+err.Error()))
			return
		}
		s.prevCRC, s.nextSeq = prev, seq
		s.end = secStart + int64(used)
		r := used & (s.sector - 1)
		s.tail = append(s.tail[:0], buf[used-r:used]...)
	}
	s.mu.Lock()
	for _, o := range write {
		if o.kind == kindPut {
			s.index[o.key] = o.val
		} else {
			delete(s.index, o.key)
		}
	}
	s.mu.Unlock()
	finish(batch, nil)
}

func finish(batch []*op, err error) {
	for _, o := range batch {
		if err != nil {
			o.err = err
		}
		close(o.done)
	}
}

// fail marks the store broken: after a failed write or sync the disk's state is
// unknown, so no further writes are attempted (reopen to recover).
func (s *Store) fail(batch []*op, err error) {
	s.mu.Lock()
	if s.broken == nil {
		s.broken = err
	}
	s.mu.Unlock()
	finish(batch, err)
}

// liveBytes is the size the live index would take as a fresh log.
func (s *Store) liveBytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for k, v := range s.index {
		n += recordLen(k, v)
	}
	return n
}

// compact writes the live index into the inactive half and flips the superblock.
func (s *Store) compact() error {
	s.mu.Lock()
	keys := make([]string, 0, len(s.index))
	for k := range s.index {
		keys = append(keys, k)
	}
	snapshot := make(map[string][]byte, len(s.index))
	for k, v := range s.index {
		snapshot[k] = v
	}
	s.mu.Unlock()
	slices.Sort(keys)

	newGen, newHalf := s.gen+1, 1-s.active
	base := s.halfStart(newHalf)
	prev := seed(newGen, newHalf)
	startSeq := s.nextSeq
	seq := startSeq
	buf := make([]byte, 0, chunk+MaxValue+hdrLen+MaxKey)
	var written int64 // bytes of the new half flushed so far (sector multiple)
	for _, k := range keys {
		v := snapshot[k]
		if written+int64(len(buf))+recordLen(k, v) > s.halfBytes {
			return ErrFull // cannot happen: the live set came from one half
		}
		buf = appendRecord(buf, &prev, seq, kindPut, k, v)
		seq++
		if len(buf) >= chunk {
			n := len(buf) &^ (s.sector - 1)
			if err := s.writeFull(buf[:n], base+written); err != nil {
				return err
			}
			written += int64(n)
			buf = append(buf[:0], buf[n:]...)
		}
	}
	used := len(buf)
	padded := (used + s.sector - 1) &^ (s.sector - 1)
	buf = append(buf, make([]byte, padded-used)...)
	if padded > 0 {
		if err := s.writeFull(buf, base+written); err != nil {
			return err
		}
	} else {
		// An empty log: make sure the half does not start with a stale record.
		// (It cannot chain to the new seed, but a zero sector costs nothing.)
		if err := s.writeFull(make([]byte, s.sector), base); err != nil {
			return err
		}
	}
	if err := s.dev.Sync(); err != nil {
		return errors.New("store: sync during compaction: " + err.Error())
	}
	sb := superblock{gen: newGen, active: newHalf, startSeq: startSeq}
	if err := s.writeFull(s.encodeSuper(sb), int64(newGen%2)*int64(s.sector)); err != nil {
		return err
	}
	if err := s.dev.Sync(); err != nil {
		return errors.New("store: sync of superblock: " + err.Error())
	}
	r := used & (s.sector - 1)
	s.gen, s.active, s.prevCRC, s.nextSeq = newGen, newHalf, prev, seq
	s.end = written + int64(used)
	s.tail = append(s.tail[:0], buf[used-r:used]...)
	s.mu.Lock()
	s.compactions++
	s.mu.Unlock()
	return nil
}
