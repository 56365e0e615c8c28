// Package xenfake holds fakes of the other side of Xen's shared-memory
// protocols, for testing the shim's drivers on the host: a xenstored, a
// console backend and, with them, a hypervisor that answers the hypercalls
// the Xen platform makes. Each fake works on ordinary byte slices standing for
// the shared pages and runs when the driver under test waits (Step), so tests
// are deterministic; knobs make them slow, chunky or hostile.
package xenfake

import (
	"encoding/binary"
	"sort"
	"strconv"
	"strings"
)

// Layout of struct xenstore_domain_interface (io/xs_wire.h).
const (
	xsReqOff  = 0
	xsRspOff  = 1024
	xsRing    = 1024
	xsReqCons = 2048
	xsReqProd = 2052
	xsRspCons = 2056
	xsRspProd = 2060
)

// Store is a fake xenstored serving one domain's ring page.
type Store struct {
	Page []byte
	Home string // the domain's home, e.g. "/local/domain/1"
	// Tree maps absolute paths to values; parents need no entry.
	Tree map[string]string
	// Chunk, when positive, is the most reply bytes written per Step.
	Chunk int
	// Requests counts the requests served.
	Requests int

	in      []byte
	out     []byte
	watches []watch
	txs     map[uint32]map[string]string // transaction id -> writes
	nextTx  uint32
	// FailCommits makes that many transaction commits fail with EAGAIN.
	FailCommits int
}

type watch struct{ path, orig, token string } // path absolute, orig as registered

// NewStore returns a store with an empty tree for the domain at home.
func NewStore(page []byte, home string) *Store {
	return &Store{Page: page, Home: home, Tree: map[string]string{}, txs: map[uint32]map[string]string{}, nextTx: 1}
}

func (s *Store) abs(p string) string {
	if strings.HasPrefix(p, "/") {
		return p
	}
	return s.Home + "/" + p
}

// Step reads the requests in the ring, answers them and writes out replies
// and watch events (at most Chunk bytes).
func (s *Store) Step() {
	le := binary.LittleEndian
	cons, prod := le.Uint32(s.Page[xsReqCons:]), le.Uint32(s.Page[xsReqProd:])
	for cons != prod {
		s.in = append(s.in, s.Page[xsReqOff+int(cons%xsRing)])
		cons++
	}
	le.PutUint32(s.Page[xsReqCons:], cons)
	for len(s.in) >= 16 {
		n := int(le.Uint32(s.in[12:]))
		if len(s.in) < 16+n {
			break
		}
		typ, id, tx := le.Uint32(s.in[0:]), le.Uint32(s.in[4:]), le.Uint32(s.in[8:])
		payload := append([]byte(nil), s.in[16:16+n]...)
		s.in = s.in[16+n:]
		s.Requests++
		s.serve(typ, id, tx, payload)
	}
	s.Flush()
}

// Flush writes queued reply bytes into the ring as room (and Chunk) allow.
func (s *Store) Flush() {
	le := binary.LittleEndian
	cons, prod := le.Uint32(s.Page[xsRspCons:]), le.Uint32(s.Page[xsRspProd:])
	n := 0
	for len(s.out) > 0 && prod-cons < xsRing && (s.Chunk <= 0 || n < s.Chunk) {
		s.Page[xsRspOff+int(prod%xsRing)] = s.out[0]
		s.out = s.out[1:]
		prod++
		n++
	}
	le.PutUint32(s.Page[xsRspProd:], prod)
}

// Pending reports whether reply bytes wait to be written.
func (s *Store) Pending() bool { return len(s.out) > 0 }

// Send queues a raw message (for hostile tests).
func (s *Store) Send(typ, id, tx uint32, payload []byte) {
	h := make([]byte, 16)
	le := binary.LittleEndian
	le.PutUint32(h[0:], typ)
	le.PutUint32(h[4:], id)
	le.PutUint32(h[8:], tx)
	le.PutUint32(h[12:], uint32(len(payload)))
	s.out = append(append(s.out, h...), payload...)
}

func (s *Store) errorReply(id, tx uint32, name string) { s.Send(16, id, tx, []byte(name+"\x00")) }

func fields(p []byte) []string {
	return strings.Split(strings.TrimSuffix(string(p), "\x00"), "\x00")
}

func (s *Store) get(tx uint32, p string) (string, bool) {
	if w, ok := s.txs[tx]; ok && tx != 0 {
		if v, ok := w[p]; ok {
			return v, v != "\x00deleted"
		}
	}
	v, ok := s.Tree[p]
	if !ok {
		// A parent of an existing node exists too.
		for k := range s.Tree {
			if strings.HasPrefix(k, p+"/") {
				return "", true
			}
		}
	}
	return v, ok
}

func (s *Store) set(tx uint32, p, v string) {
	if w, ok := s.txs[tx]; ok && tx != 0 {
		w[p] = v
		return
	}
	s.Tree[p] = v
	s.fire(p)
}

// Set writes a node as another domain (the toolstack) would, firing watches.
func (s *Store) Set(p, v string) {
	s.Tree[s.abs(p)] = v
	s.fire(s.abs(p))
	s.Flush()
}

func (s *Store) fire(p string) {
	for _, w := range s.watches {
		if p == w.path || strings.HasPrefix(p, w.path+"/") {
			ev := p
			if !strings.HasPrefix(w.orig, "/") {
				ev = strings.TrimPrefix(p, s.Home+"/")
			}
			s.Send(15, 0, 0, []byte(ev+"\x00"+w.token+"\x00"))
		}
	}
}

func (s *Store) serve(typ, id, tx uint32, payload []byte) {
	f := fields(payload)
	switch typ {
	case 2: // read
		v, ok := s.get(tx, s.abs(f[0]))
		if !ok {
			s.errorReply(id, tx, "ENOENT")
			return
		}
		s.Send(typ, id, tx, []byte(v))
	case 11: // write: path\0value
		i := strings.IndexByte(string(payload), 0)
		if i < 0 {
			s.errorReply(id, tx, "EINVAL")
			return
		}
		s.set(tx, s.abs(string(payload[:i])), string(payload[i+1:]))
		s.Send(typ, id, tx, []byte("OK\x00"))
	case 13: // rm
		p := s.abs(f[0])
		for k := range s.Tree {
			if k == p || strings.HasPrefix(k, p+"/") {
				delete(s.Tree, k)
			}
		}
		s.fire(p)
		s.Send(typ, id, tx, []byte("OK\x00"))
	case 1: // directory
		p := s.abs(f[0])
		seen := map[string]bool{}
		for k := range s.Tree {
			if strings.HasPrefix(k, p+"/") {
				seen[strings.SplitN(k[len(p)+1:], "/", 2)[0]] = true
			}
		}
		if _, ok := s.get(0, p); !ok && len(seen) == 0 {
			s.errorReply(id, tx, "ENOENT")
			return
		}
		var names []string
		for n := range seen {
			names = append(names, n)
		}
		sort.Strings(names)
		var out []byte
		for _, n := range names {
			out = append(append(out, n...), 0)
		}
		s.Send(typ, id, tx, out)
	case 4: // watch: path\0token\0
		if len(f) < 2 {
			s.errorReply(id, tx, "EINVAL")
			return
		}
		w := watch{path: s.abs(f[0]), orig: f[0], token: f[1]}
		s.watches = append(s.watches, w)
		s.Send(typ, id, tx, []byte("OK\x00"))
		// xenstored fires a new watch once at once.
		ev := f[0]
		s.Send(15, 0, 0, []byte(ev+"\x00"+w.token+"\x00"))
	case 5: // unwatch
		for i, w := range s.watches {
			if w.token == f[1] {
				s.watches = append(s.watches[:i], s.watches[i+1:]...)
				break
			}
		}
		s.Send(typ, id, tx, []byte("OK\x00"))
	case 6: // transaction start
		t := s.nextTx
		s.nextTx++
		s.txs[t] = map[string]string{}
		s.Send(typ, id, 0, []byte(strconv.Itoa(int(t))+"\x00"))
	case 7: // transaction end: T commits, F aborts
		w, ok := s.txs[tx]
		if !ok {
			s.errorReply(id, tx, "ENOENT")
			return
		}
		delete(s.txs, tx)
		if f[0] == "T" {
			if s.FailCommits > 0 {
				s.FailCommits--
				s.errorReply(id, tx, "EAGAIN")
				return
			}
			for k, v := range w {
				s.Tree[k] = v
				s.fire(k)
			}
		}
		s.Send(typ, id, tx, []byte("OK\x00"))
	default:
		s.errorReply(id, tx, "ENOSYS")
	}
}

// CorruptQueued lets a test change the queued reply bytes before they are
// written (a hostile store).
func (s *Store) CorruptQueued(f func(b []byte)) { f(s.out) }
