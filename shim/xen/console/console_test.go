package console

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"testing"
)

// backend is a fake xenconsoled: it reads up to chunk bytes of the output
// ring each time the front end waits.
type backend struct {
	page    []byte
	got     bytes.Buffer
	chunk   int
	waits   int
	notices int
}

func (b *backend) drain() {
	b.waits++
	le := binary.LittleEndian
	cons, prod := le.Uint32(b.page[outCons:]), le.Uint32(b.page[outProd:])
	for i := 0; i < b.chunk && cons != prod; i++ {
		b.got.WriteByte(b.page[outOff+int(cons%outSize)])
		cons++
	}
	le.PutUint32(b.page[outCons:], cons)
}

func TestWriteLongBurstsIntact(t *testing.T) {
	page := make([]byte, PageSize)
	be := &backend{page: page, chunk: 700}
	c := New(page, func() { be.notices++ }, be.drain)
	var want bytes.Buffer
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 50; i++ {
		line := make([]byte, r.Intn(9000))
		for j := range line {
			line[j] = byte('a' + r.Intn(26))
		}
		line = append(line, '\n')
		want.Write(line)
		c.Write(line)
	}
	for c.Pending() > 0 {
		be.drain()
	}
	if !bytes.Equal(be.got.Bytes(), want.Bytes()) {
		t.Fatalf("backend got %d bytes, want %d (first difference at %d)", be.got.Len(), want.Len(), firstDiff(be.got.Bytes(), want.Bytes()))
	}
	if be.waits == 0 || be.notices == 0 {
		t.Errorf("the ring never filled (waits %d) or no notification was sent (%d)", be.waits, be.notices)
	}
}

func TestWriteNoWaitWhenRoom(t *testing.T) {
	page := make([]byte, PageSize)
	waited := false
	c := New(page, func() {}, func() { waited = true })
	c.Write([]byte("hello\n"))
	if waited {
		t.Error("waited with room in the ring")
	}
	if got := binary.LittleEndian.Uint32(page[outProd:]); got != 6 {
		t.Errorf("out_prod = %d, want 6", got)
	}
	if string(page[outOff:outOff+6]) != "hello\n" {
		t.Errorf("ring holds %q", page[outOff:outOff+6])
	}
}

// A producer index far ahead of the consumer's (a broken or hostile backend)
// must not make Write index outside the ring.
func TestWriteBadIndexes(t *testing.T) {
	page := make([]byte, PageSize)
	binary.LittleEndian.PutUint32(page[outCons:], 10)
	binary.LittleEndian.PutUint32(page[outProd:], 10+5000)
	c := New(page, func() {}, func() { t.Fatal("waited") })
	c.Write([]byte("xy"))
	if got := binary.LittleEndian.Uint32(page[outProd:]); got != 12 {
		t.Errorf("out_prod = %d, want 12 (restarted at the consumer index)", got)
	}
}

func TestRead(t *testing.T) {
	page := make([]byte, PageSize)
	copy(page[inOff+1020:], "abcd")
	copy(page[inOff:], "ef")
	binary.LittleEndian.PutUint32(page[inCons:], 1020)
	binary.LittleEndian.PutUint32(page[inProd:], 1026)
	n := 0
	c := New(page, func() { n++ }, func() {})
	buf := make([]byte, 4)
	if k := c.Read(buf); k != 4 || string(buf) != "abcd" {
		t.Fatalf("Read = %d %q", k, buf[:k])
	}
	if k := c.Read(buf); k != 2 || string(buf[:2]) != "ef" {
		t.Fatalf("Read = %d %q", k, buf[:k])
	}
	if k := c.Read(buf); k != 0 || n != 2 {
		t.Fatalf("Read of an empty ring = %d, notifications %d", k, n)
	}
}

func firstDiff(a, b []byte) int {
	for i := range a {
		if i >= len(b) || a[i] != b[i] {
			return i
		}
	}
	return len(a)
}
