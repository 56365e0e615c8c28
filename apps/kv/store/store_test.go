package store

import (
	"bytes"
	"errors"
	"math/rand"
	"strconv"
	"sync"
	"testing"
	"time"
)

// memDisk is an in-memory Device that models the crash semantics the store
// relies on: writes since the last Sync are pending and, at a crash, each pending
// write is lost, applied, or torn (each byte old or new, or whole sectors old or
// new). After a crash every operation fails.
type memDisk struct {
	mu      sync.Mutex
	sector  int
	durable []byte
	cache   []byte // what reads see: durable plus pending writes
	pending []pendingWrite
	ops     int
	crashAt int // crash at this operation count (0: never)
	crashed bool
	rng     *rand.Rand
	syncs   int
	// syncDelay makes every Sync take this long (outside the lock), as a real
	// disk's flush does, so that concurrent puts have time to queue behind it.
	syncDelay time.Duration
}

type pendingWrite struct {
	off  int64
	data []byte
}

var errCrashed = errors.New("memdisk: crashed")

func newMemDisk(sector, sectors int, seed int64) *memDisk {
	return &memDisk{
		sector:  sector,
		durable: make([]byte, sector*sectors),
		cache:   make([]byte, sector*sectors),
		rng:     rand.New(rand.NewSource(seed)),
	}
}

func (d *memDisk) check(p []byte, off int64) {
	if off%int64(d.sector) != 0 || len(p)%d.sector != 0 || off < 0 || off+int64(len(p)) > int64(len(d.cache)) {
		panic("memdisk: unaligned or out-of-range access at " + strconv.FormatInt(off, 10) + " len " + strconv.Itoa(len(p)))
	}
}

// tick counts an operation and crashes when its time has come. Called with mu held.
func (d *memDisk) tick() bool {
	if d.crashed {
		return false
	}
	d.ops++
	if d.crashAt > 0 && d.ops >= d.crashAt {
		d.crashLocked()
		return false
	}
	return true
}

func (d *memDisk) ReadAt(p []byte, off int64) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.check(p, off)
	if d.crashed {
		return 0, errCrashed
	}
	return copy(p, d.cache[off:]), nil
}

func (d *memDisk) WriteAt(p []byte, off int64) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.check(p, off)
	if !d.tick() {
		return 0, errCrashed
	}
	d.pending = append(d.pending, pendingWrite{off, append([]byte(nil), p...)})
	copy(d.cache[off:], p)
	return len(p), nil
}

func (d *memDisk) Sync() error {
	if d.syncDelay > 0 {
		time.Sleep(d.syncDelay)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.tick() {
		return errCrashed
	}
	copy(d.durable, d.cache)
	d.pending = nil
	d.syncs++
	return nil
}

// crashLocked turns the pending writes into a random post-crash image.
func (d *memDisk) crashLocked() {
	d.crashed = true
	img := d.durable
	for _, w := range d.pending {
		switch d.rng.Intn(5) {
		case 0: // lost
		case 1: // applied
			copy(img[w.off:], w.data)
		case 2: // a prefix of sectors made it
			n := d.rng.Intn(len(w.data)/d.sector+1) * d.sector
			copy(img[w.off:], w.data[:n])
		case 3: // a random subset of sectors made it
			for s := 0; s < len(w.data); s += d.sector {
				if d.rng.Intn(2) == 0 {
					copy(img[w.off+int64(s):], w.data[s:s+d.sector])
				}
			}
		case 4: // torn bytes: each byte old or new
			for i := range w.data {
				if d.rng.Intn(2) == 0 {
					img[w.off+int64(i)] = w.data[i]
				}
			}
		}
	}
	d.pending = nil
}

// reboot returns a fresh, working disk holding the post-crash (or current
// durable) image.
func (d *memDisk) reboot(seed int64) *memDisk {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.crashed {
		d.crashLocked()
	}
	n := newMemDisk(d.sector, len(d.durable)/d.sector, seed)
	copy(n.durable, d.durable)
	copy(n.cache, d.durable)
	return n
}

func mustOpen(t *testing.T, d *memDisk) *Store {
	t.Helper()
	s, err := Open(d, d.sector, int64(len(d.durable)/d.sector))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPutGetReopen(t *testing.T) {
	d := newMemDisk(512, 256, 1)
	s := mustOpen(t, d)
	if st := s.Stats(); st.Recovered != 0 || st.Keys != 0 {
		t.Fatalf("fresh store: %+v", st)
	}
	want := map[string]string{}
	for i := 0; i < 50; i++ {
		k := "key" + strconv.Itoa(i%20)
		v := bytes.Repeat([]byte{byte('a' + i%26)}, i*7)
		if err := s.Put(k, v); err != nil {
			t.Fatal(err)
		}
		want[k] = string(v)
	}
	if ex, err := s.Delete("key3"); err != nil || !ex {
		t.Fatalf("Delete(key3) = %v, %v", ex, err)
	}
	delete(want, "key3")
	if ex, err := s.Delete("nope"); err != nil || ex {
		t.Fatalf("Delete(nope) = %v, %v", ex, err)
	}
	s.Close()

	// Reopen from only what was synced: a crash with nothing pending.
	d2 := d.reboot(2)
	s2 := mustOpen(t, d2)
	st := s2.Stats()
	if st.Recovered != 51 || st.Keys != len(want) {
		t.Fatalf("recovered %+v, want 51 records and %d keys", st, len(want))
	}
	checkExact(t, s2, want)
	// And it keeps appending after the recovered tail.
	if err := s2.Put("after", []byte("reopen")); err != nil {
		t.Fatal(err)
	}
	want["after"] = "reopen"
	s2.Close()
	s3 := mustOpen(t, d2.reboot(3))
	checkExact(t, s3, want)
}

func checkExact(t *testing.T, s *Store, want map[string]string) {
	t.Helper()
	keys := s.Keys()
	if len(keys) != len(want) {
		t.Fatalf("store has %d keys, want %d", len(keys), len(want))
	}
	for k, v := range want {
		got, ok := s.Get(k)
		if !ok || string(got) != v {
			t.Fatalf("Get(%q) = %q, %v; want %q", k, got, ok, v)
		}
	}
}

func TestTornTail(t *testing.T) {
	d := newMemDisk(512, 128, 4)
	s := mustOpen(t, d)
	for i := 0; i < 10; i++ {
		if err := s.Put("k"+strconv.Itoa(i), []byte("value-"+strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	end := s.halfStart(s.active) + s.end
	s.Close()
	// Garbage after the last synced record, as a torn later append would leave,
	// including bytes inside the last valid sector past the end.
	d2 := d.reboot(5)
	for i := end; i < end+700; i++ {
		d2.durable[i], d2.cache[i] = byte(i*31+7), byte(i*31+7)
	}
	s2 := mustOpen(t, d2)
	if st := s2.Stats(); st.Recovered != 10 {
		t.Fatalf("recovered %d records, want 10", st.Recovered)
	}
	// Corrupt the last record's value byte: recovery must stop before it.
	s2.Close()
	d3 := d2.reboot(6)
	d3.durable[end-1] ^= 0xff
	d3.cache[end-1] ^= 0xff
	s3 := mustOpen(t, d3)
	if st := s3.Stats(); st.Recovered != 9 {
		t.Fatalf("after corrupting the last record: recovered %d, want 9", st.Recovered)
	}
	if _, ok := s3.Get("k9"); ok {
		t.Fatal("corrupt record k9 was recovered")
	}
	if v, _ := s3.Get("k8"); string(v) != "value-8" {
		t.Fatalf("k8 = %q", v)
	}
	// New appends overwrite the torn record and survive.
	if err := s3.Put("new", []byte("x")); err != nil {
		t.Fatal(err)
	}
	s3.Close()
	s4 := mustOpen(t, d3.reboot(7))
	if v, ok := s4.Get("new"); !ok || string(v) != "x" {
		t.Fatalf("new = %q, %v", v, ok)
	}
	if st := s4.Stats(); st.Recovered != 10 {
		t.Fatalf("recovered %d, want 10", st.Recovered)
	}
}

func TestGroupCommit(t *testing.T) {
	d := newMemDisk(512, 4096, 8)
	s := mustOpen(t, d)
	// With an instant sync, goroutines may well run one after another and never
	// overlap; a flush that takes time, as on a real disk, lets them queue.
	d.syncDelay = 20 * time.Millisecond
	const n = 64
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Put("g"+strconv.Itoa(i), []byte(strconv.Itoa(i))); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if len(s.Keys()) != n {
		t.Fatalf("%d keys", len(s.Keys()))
	}
	// 1 sync for the format, then batches: puts that arrive while a flush is under
	// way share the next one, so far fewer syncs than puts.
	d.mu.Lock()
	syncs := d.syncs
	d.mu.Unlock()
	if syncs > n/4 {
		t.Fatalf("%d syncs for %d concurrent puts", syncs, n)
	}
	t.Logf("%d concurrent puts took %d syncs", n, syncs-1)
}

func TestCompactionAndFull(t *testing.T) {
	// 2 superblock sectors + 2 halves of 32 sectors (16 KiB each).
	d := newMemDisk(512, 66, 9)
	s := mustOpen(t, d)
	val := bytes.Repeat([]byte("v"), 300)
	for i := 0; i < 500; i++ { // ~160 KiB of writes to 4 keys: many compactions
		if err := s.Put("k"+strconv.Itoa(i%4), append(val, byte(i))); err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
	}
	st := s.Stats()
	if st.Compactions < 5 {
		t.Fatalf("only %d compactions", st.Compactions)
	}
	s.Close()
	s2 := mustOpen(t, d.reboot(10))
	for i := 496; i < 500; i++ {
		v, ok := s2.Get("k" + strconv.Itoa(i%4))
		if !ok || !bytes.Equal(v, append(val, byte(i))) {
			t.Fatalf("after compactions and reopen: k%d wrong", i%4)
		}
	}
	// Fill with distinct keys until the disk refuses.
	var err error
	var stored int
	for i := 0; i < 1000 && err == nil; i++ {
		if err = s2.Put("fill"+strconv.Itoa(i), val); err == nil {
			stored++
		}
	}
	if !errors.Is(err, ErrFull) {
		t.Fatalf("filling the disk: err = %v, want ErrFull", err)
	}
	if stored < 30 {
		t.Fatalf("only %d keys fit", stored)
	}
	// Deleting frees room again.
	for i := 0; i < 10; i++ {
		if _, err := s2.Delete("fill" + strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s2.Put("again", val); err != nil {
		t.Fatalf("put after deleting: %v", err)
	}
}

func TestTooLarge(t *testing.T) {
	s := mustOpen(t, newMemDisk(512, 66, 11))
	if err := s.Put("", []byte("x")); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("empty key: %v", err)
	}
	if err := s.Put(string(make([]byte, MaxKey+1)), nil); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("long key: %v", err)
	}
	if err := s.Put("k", make([]byte, 20000)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("value larger than a half: %v", err)
	}
}

func TestRefusesForeignDisk(t *testing.T) {
	d := newMemDisk(512, 66, 12)
	copy(d.durable, "not a kv log")
	copy(d.cache, "not a kv log")
	if _, err := Open(d, 512, 66); err == nil {
		t.Fatal("formatted a disk holding other data")
	}
	if _, err := Open(newMemDisk(512, 66, 1), 500, 66); err == nil {
		t.Fatal("accepted a 500-byte sector")
	}
	if _, err := Open(newMemDisk(512, 10, 1), 512, 10); err == nil {
		t.Fatal("accepted a 10-sector disk")
	}
	// Geometry must match the format.
	d2 := newMemDisk(512, 80, 13)
	s := mustOpen(t, d2)
	s.Close()
	if _, err := Open(d2.reboot(1), 512, 79); err == nil {
		t.Fatal("accepted a disk whose size changed")
	}
}

// TestRandomCrashes runs writers against a disk that crashes at a random
// operation, reboots, and checks that every acknowledged write survived, over
// many crash cycles on a small disk (so crashes also hit compactions).
func TestRandomCrashes(t *testing.T) {
	rng := rand.New(rand.NewSource(42))
	d := newMemDisk(512, 66, 100)
	// state per key: the last acknowledged value ("" + absent flag) and the value
	// of an unacknowledged operation that may or may not have happened.
	type state struct {
		acked, inflight       string
		ackedSet, inflightSet bool // value present (not deleted)
		hasInflight           bool
	}
	keys := map[string]*state{}
	var mu sync.Mutex
	cycles := 150
	if testing.Short() {
		cycles = 40
	}
	var recovered, compactions int
	for cycle := 0; cycle < cycles; cycle++ {
		s, err := Open(d, 512, 66)
		if err != nil {
			t.Fatalf("cycle %d: open: %v", cycle, err)
		}
		// Check the invariant against the recovered store.
		for k, st := range keys {
			v, ok := s.Get(k)
			okAcked := ok == st.ackedSet && (!ok || string(v) == st.acked)
			okInflight := st.hasInflight && ok == st.inflightSet && (!ok || string(v) == st.inflight)
			if !okAcked && !okInflight {
				t.Fatalf("cycle %d: key %s = %q (present %v); acked %q (present %v), inflight %q (%v, present %v)",
					cycle, k, v, ok, st.acked, st.ackedSet, st.inflight, st.hasInflight, st.inflightSet)
			}
			// Whatever is there now is the new acknowledged state.
			st.acked, st.ackedSet, st.hasInflight = string(v), ok, false
		}
		d.mu.Lock()
		d.crashAt = d.ops + 1 + rng.Intn(60)
		d.mu.Unlock()

		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			wseed := rng.Int63()
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewSource(wseed))
				var err error
				for i := 0; ; i++ {
					k := "w" + strconv.Itoa(w) + "-" + strconv.Itoa(r.Intn(6))
					del := r.Intn(5) == 0
					val := k + "@" + strconv.Itoa(cycle) + "." + strconv.Itoa(i) + string(bytes.Repeat([]byte{'.'}, r.Intn(700)))
					mu.Lock()
					st := keys[k]
					if st == nil {
						st = &state{}
						keys[k] = st
					}
					st.hasInflight, st.inflightSet, st.inflight = true, !del, val
					mu.Unlock()
					if del {
						_, err = s.Delete(k)
					} else {
						err = s.Put(k, []byte(val))
					}
					if err != nil {
						return // crashed: the op stays in flight
					}
					mu.Lock()
					st.acked, st.ackedSet, st.hasInflight = val, !del, false
					if del {
						st.acked = ""
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		st := s.Stats()
		recovered += st.Recovered
		compactions += st.Compactions
		s.Close()
		d = d.reboot(rng.Int63())
	}
	if compactions == 0 || recovered == 0 {
		t.Fatalf("the crash test did not exercise recovery (%d records) and compaction (%d)", recovered, compactions)
	}
	t.Logf("%d cycles: %d records recovered, %d compactions", cycles, recovered, compactions)
}
