// Package xenstore is a client of the Xen store (xen/include/public/io/xs_wire.h)
// over the domain's shared ring page: requests and replies are messages of a
// 16-byte header (type, request id, transaction id, payload length; little
// endian) and a payload, written into the 1024-byte request ring and read from
// the 1024-byte reply ring, with free-running producer and consumer indexes; the
// client notifies xenstored through the store's event channel after writing, and
// xenstored notifies back.
//
// The client is synchronous: a request is written, then the client waits (the
// wait function blocks until an event) until its reply has arrived. Watch
// events that arrive meanwhile are queued and delivered by Poll, which the
// platform calls when the store's event channel fires; a watch callback may
// make requests of its own. Paths without a leading '/' are relative to the
// domain's home (/local/domain/DOMID), as xenstored resolves them.
//
// Everything read from the ring is checked: indexes that claim more than a
// ring's worth of data, a payload longer than XENSTORE_PAYLOAD_MAX, a reply
// to a request never made. Any of them makes the connection dead: every
// later call fails with ErrBroken, nothing is read or written outside the page.
package xenstore

import (
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"unsafe"
)

// Message types (enum xsd_sockmsg_type).
const (
	typeDirectory  = 1
	typeRead       = 2
	typeWatch      = 4
	typeUnwatch    = 5
	typeTxStart    = 6
	typeTxEnd      = 7
	typeWrite      = 11
	typeMkdir      = 12
	typeRm         = 13
	typeWatchEvent = 15
	typeError      = 16
)

// Layout of struct xenstore_domain_interface.
const (
	reqOff   = 0
	rspOff   = 1024
	ringSize = 1024
	reqCons  = 2048
	reqProd  = 2052
	rspCons  = 2056
	rspProd  = 2060
	// PageSize is the size of the shared page.
	PageSize   = 4096
	headerSize = 16
	// PayloadMax is XENSTORE_PAYLOAD_MAX.
	PayloadMax = 4096
)

// Error is an error xenstored answered with (an errno name such as "ENOENT").
type Error struct{ Name string }

func (e *Error) Error() string { return "xenstore: " + e.Name }

// Is makes errors.Is(err, ErrNotExist) and friends work.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Name == e.Name
}

var (
	ErrNotExist = &Error{"ENOENT"} // no such path
	ErrAgain    = &Error{"EAGAIN"} // a transaction conflicted: run it again
	// ErrBroken is returned once the ring held something impossible.
	ErrBroken = errors.New("xenstore: the ring is broken (impossible indexes or message); the connection is dead")
)

type message struct {
	typ, id, tx uint32
	payload     []byte
}

// Client talks to xenstored over one ring page.
type Client struct {
	page   []byte
	notify func()
	wait   func()
	nextID uint32

	inbuf   []byte // bytes of a message read so far
	reply   *message
	waiting uint32 // id of the request in flight (0: none)
	events  []message
	watches map[string]func(path string)
	dead    bool
	busy    bool // a request is in flight: Poll only queues events
}

// New returns a client of the ring page (at least PageSize bytes).
func New(page []byte, notify, wait func()) *Client {
	if len(page) < PageSize {
		panic("BUG: xenstore page shorter than a page")
	}
	return &Client{page: page[:PageSize], notify: notify, wait: wait, nextID: 1, watches: map[string]func(string){}}
}

func (c *Client) idx(off int) *uint32 { return (*uint32)(unsafe.Pointer(&c.page[off])) }

// send writes one message into the request ring, waiting for room.
func (c *Client) send(m message) error {
	var h [headerSize]byte
	put32(h[0:], m.typ)
	put32(h[4:], m.id)
	put32(h[8:], m.tx)
	put32(h[12:], uint32(len(m.payload)))
	for _, part := range [][]byte{h[:], m.payload} {
		for len(part) > 0 {
			if c.dead {
				return ErrBroken
			}
			prod := atomic.LoadUint32(c.idx(reqProd))
			cons := atomic.LoadUint32(c.idx(reqCons))
			used := prod - cons
			if used > ringSize {
				c.dead = true
				return ErrBroken
			}
			room := ringSize - used
			if room == 0 {
				c.notify()
				c.wait()
				c.receive()
				continue
			}
			n := min(uint32(len(part)), room)
			for i := uint32(0); i < n; i++ {
				c.page[reqOff+int((prod+i)%ringSize)] = part[i]
			}
			atomic.StoreUint32(c.idx(reqProd), prod+n)
			part = part[n:]
		}
	}
	c.notify()
	return nil
}

// receive reads whatever the reply ring holds, completing messages: the
// reply awaited goes to c.reply, watch events to c.events.
func (c *Client) receive() {
	for !c.dead {
		cons := atomic.LoadUint32(c.idx(rspCons))
		prod := atomic.LoadUint32(c.idx(rspProd))
		avail := prod - cons
		if avail > ringSize {
			c.dead = true
			return
		}
		if avail == 0 {
			return
		}
		need := headerSize
		if len(c.inbuf) >= headerSize {
			need += int(le32(c.inbuf[12:]))
		}
		n := min(avail, uint32(need-len(c.inbuf)))
		for i := uint32(0); i < n; i++ {
			c.inbuf = append(c.inbuf, c.page[rspOff+int((cons+i)%ringSize)])
		}
		atomic.StoreUint32(c.idx(rspCons), cons+n)
		if len(c.inbuf) == headerSize && le32(c.inbuf[12:]) > PayloadMax {
			c.dead = true
			return
		}
		if len(c.inbuf) < headerSize || len(c.inbuf) < headerSize+int(le32(c.inbuf[12:])) {
			continue
		}
		m := message{typ: le32(c.inbuf[0:]), id: le32(c.inbuf[4:]), tx: le32(c.inbuf[8:]), payload: append([]byte(nil), c.inbuf[headerSize:]...)}
		c.inbuf = c.inbuf[:0]
		c.notify() // room in the reply ring
		switch {
		case m.typ == typeWatchEvent:
			c.events = append(c.events, m)
		case c.waiting != 0 && m.id == c.waiting:
			c.reply = &m
		default:
			c.dead = true // a reply to nothing we asked
			return
		}
	}
}

// request sends one request and waits for its reply.
func (c *Client) request(typ, tx uint32, payload []byte) ([]byte, error) {
	if c.dead {
		return nil, ErrBroken
	}
	if len(payload) > PayloadMax {
		return nil, errors.New("xenstore: request of " + strconv.Itoa(len(payload)) + " bytes is larger than the store takes (4096)")
	}
	outer := c.busy
	c.busy = true
	defer func() { c.busy = outer }()
	id := c.nextID
	c.nextID++
	if c.nextID == 0 {
		c.nextID = 1
	}
	saved := c.waiting
	c.waiting, c.reply = id, nil
	defer func() { c.waiting = saved }()
	if err := c.send(message{typ: typ, id: id, tx: tx, payload: payload}); err != nil {
		return nil, err
	}
	for {
		c.receive()
		if c.dead {
			return nil, ErrBroken
		}
		if r := c.reply; r != nil {
			c.reply = nil
			if r.typ == typeError {
				return nil, &Error{Name: strings.TrimRight(string(r.payload), "\x00")}
			}
			if r.typ != typ {
				c.dead = true
				return nil, ErrBroken
			}
			return r.payload, nil
		}
		c.wait()
	}
}

func cstr(parts ...string) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
		b = append(b, 0)
	}
	return b
}

// Read returns the value at path.
func (c *Client) Read(path string) (string, error) { return c.read(0, path) }

func (c *Client) read(tx uint32, path string) (string, error) {
	r, err := c.request(typeRead, tx, cstr(path))
	return string(r), err
}

// Write sets path to value, creating it (and its parents) if needed.
func (c *Client) Write(path, value string) error { return c.write(0, path, value) }

func (c *Client) write(tx uint32, path, value string) error {
	_, err := c.request(typeWrite, tx, append(cstr(path), value...))
	return err
}

// Remove deletes path and everything under it.
func (c *Client) Remove(path string) error {
	_, err := c.request(typeRm, 0, cstr(path))
	return err
}

// Directory lists the children of path.
func (c *Client) Directory(path string) ([]string, error) { return c.directory(0, path) }

func (c *Client) directory(tx uint32, path string) ([]string, error) {
	r, err := c.request(typeDirectory, tx, cstr(path))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, n := range strings.Split(string(r), "\x00") {
		if n != "" {
			names = append(names, n)
		}
	}
	return names, nil
}

// Watch asks for fn to be called (from Poll) with the path that changed
// whenever path or anything under it changes; xenstored also sends one event
// right away. token names the watch (Unwatch takes it).
func (c *Client) Watch(path, token string, fn func(path string)) error {
	c.watches[token] = fn
	if _, err := c.request(typeWatch, 0, cstr(path, token)); err != nil {
		delete(c.watches, token)
		return err
	}
	return nil
}

// Unwatch removes the watch of path named token.
func (c *Client) Unwatch(path, token string) error {
	delete(c.watches, token)
	_, err := c.request(typeUnwatch, 0, cstr(path, token))
	return err
}

// Tx is a transaction in progress.
type Tx struct {
	c  *Client
	id uint32
}

func (t *Tx) Read(path string) (string, error)        { return t.c.read(t.id, path) }
func (t *Tx) Write(path, value string) error          { return t.c.write(t.id, path, value) }
func (t *Tx) Directory(path string) ([]string, error) { return t.c.directory(t.id, path) }

// Transaction runs fn in a transaction and commits it; when the commit
// conflicts with another writer (EAGAIN), fn runs again, up to 16 times. An
// error from fn aborts the transaction and is returned.
func (c *Client) Transaction(fn func(tx *Tx) error) error {
	for try := 0; ; try++ {
		r, err := c.request(typeTxStart, 0, cstr(""))
		if err != nil {
			return err
		}
		id, perr := strconv.ParseUint(strings.TrimRight(string(r), "\x00"), 10, 32)
		if perr != nil || id == 0 {
			c.dead = true
			return ErrBroken
		}
		tx := &Tx{c: c, id: uint32(id)}
		if err := fn(tx); err != nil {
			c.request(typeTxEnd, tx.id, cstr("F"))
			return err
		}
		_, err = c.request(typeTxEnd, tx.id, cstr("T"))
		if errors.Is(err, ErrAgain) && try < 15 {
			continue
		}
		return err
	}
}

// Poll takes what xenstored sent and delivers the queued watch events (unless
// a request is in flight: then they wait for the next Poll). The platform
// calls it when the store's event channel fires.
func (c *Client) Poll() {
	c.receive()
	if c.busy {
		return
	}
	for len(c.events) > 0 {
		m := c.events[0]
		c.events = c.events[1:]
		parts := strings.Split(string(m.payload), "\x00")
		if len(parts) < 2 {
			continue
		}
		if fn := c.watches[parts[1]]; fn != nil {
			fn(parts[0])
		}
	}
}

// Dead reports whether the connection broke.
func (c *Client) Dead() bool { return c.dead }

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func put32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}
