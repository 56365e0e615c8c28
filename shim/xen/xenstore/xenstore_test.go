package xenstore_test

import (
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/mwasm/mwasm/shim/xen/xenfake"
	"github.com/mwasm/mwasm/shim/xen/xenstore"
)

func setup(chunk int) (*xenstore.Client, *xenfake.Store) {
	page := make([]byte, xenstore.PageSize)
	s := xenfake.NewStore(page, "/local/domain/7")
	s.Chunk = chunk
	return xenstore.New(page, func() {}, s.Step), s
}

func TestReadWriteDirectory(t *testing.T) {
	for _, chunk := range []int{0, 1, 5, 17} {
		c, s := setup(chunk)
		s.Tree["/local/domain/7/name"] = "app"
		if v, err := c.Read("name"); err != nil || v != "app" {
			t.Fatalf("chunk %d: Read(name) = %q, %v", chunk, v, err)
		}
		if err := c.Write("data/x", "1"); err != nil {
			t.Fatal(err)
		}
		if err := c.Write("/local/domain/7/data/y", strings.Repeat("v", 3000)); err != nil {
			t.Fatal(err)
		}
		if s.Tree["/local/domain/7/data/x"] != "1" || len(s.Tree["/local/domain/7/data/y"]) != 3000 {
			t.Fatalf("chunk %d: tree %v", chunk, s.Tree)
		}
		if v, err := c.Read("data/y"); err != nil || len(v) != 3000 {
			t.Fatalf("chunk %d: a 3000-byte value read back as %d bytes, %v", chunk, len(v), err)
		}
		names, err := c.Directory("data")
		if err != nil || !reflect.DeepEqual(names, []string{"x", "y"}) {
			t.Fatalf("Directory = %q, %v", names, err)
		}
		if _, err := c.Read("missing"); !errors.Is(err, xenstore.ErrNotExist) {
			t.Fatalf("Read(missing) = %v, want ENOENT", err)
		}
		if err := c.Remove("data"); err != nil || len(s.Tree) != 1 {
			t.Fatalf("Remove: %v, tree %v", err, s.Tree)
		}
	}
}

func TestWatch(t *testing.T) {
	c, s := setup(3)
	var got []string
	if err := c.Watch("control/shutdown", "shutdown", func(p string) {
		v, _ := c.Read(p) // a request from inside a callback
		got = append(got, p+"="+v)
	}); err != nil {
		t.Fatal(err)
	}
	for s.Pending() {
		s.Flush()
		c.Poll()
	}
	s.Set("control/shutdown", "poweroff")
	for i := 0; i < 100 && (s.Pending() || len(got) < 2); i++ {
		s.Flush()
		c.Poll()
	}
	want := []string{"control/shutdown=", "control/shutdown=poweroff"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("watch events %q, want %q", got, want)
	}
	if err := c.Unwatch("control/shutdown", "shutdown"); err != nil {
		t.Fatal(err)
	}
	s.Set("control/shutdown", "reboot")
	for s.Pending() {
		s.Flush()
		c.Poll()
	}
	if len(got) != 2 {
		t.Fatalf("event after Unwatch: %q", got)
	}
}

func TestTransactionRetries(t *testing.T) {
	c, s := setup(0)
	s.FailCommits = 2
	runs := 0
	err := c.Transaction(func(tx *xenstore.Tx) error {
		runs++
		v, _ := tx.Read("counter")
		return tx.Write("counter", v+"x")
	})
	if err != nil || runs != 3 || s.Tree["/local/domain/7/counter"] != "x" {
		t.Fatalf("Transaction: %v after %d runs, counter %q", err, runs, s.Tree["/local/domain/7/counter"])
	}
	// An error from the function aborts: nothing is written.
	boom := errors.New("boom")
	err = c.Transaction(func(tx *xenstore.Tx) error {
		tx.Write("other", "1")
		return boom
	})
	if !errors.Is(err, boom) || s.Tree["/local/domain/7/other"] != "" {
		t.Fatalf("aborted transaction: %v, other=%q", err, s.Tree["/local/domain/7/other"])
	}
}

// A hostile or broken store: impossible indexes, oversized payloads, replies
// to nothing. The client must stop (ErrBroken), never index outside the page.
func TestBrokenRing(t *testing.T) {
	cases := map[string]func(page []byte, s *xenfake.Store){
		"indexes": func(page []byte, s *xenfake.Store) {
			binary.LittleEndian.PutUint32(page[2060:], 5000) // rsp_prod far past rsp_cons
		},
		"oversized": func(page []byte, s *xenfake.Store) { s.Send(2, 1, 0, make([]byte, 0)); corruptLen(s) },
		"unasked":   func(page []byte, s *xenfake.Store) { s.Send(2, 99, 0, []byte("x")) },
	}
	for name, breakIt := range cases {
		page := make([]byte, xenstore.PageSize)
		s := xenfake.NewStore(page, "/local/domain/7")
		s.Tree["/local/domain/7/a"] = "1"
		c := xenstore.New(page, func() {}, func() { breakIt(page, s); s.Step() })
		_, err := c.Read("a")
		if !errors.Is(err, xenstore.ErrBroken) {
			t.Errorf("%s: Read = %v, want ErrBroken", name, err)
		}
		if _, err := c.Read("a"); !errors.Is(err, xenstore.ErrBroken) || !c.Dead() {
			t.Errorf("%s: a dead connection answered: %v", name, err)
		}
	}
}

// corruptLen turns the queued message's length into 0xFFFF (> PayloadMax).
func corruptLen(s *xenfake.Store) {
	s.CorruptQueued(func(b []byte) { binary.LittleEndian.PutUint32(b[12:], 0xFFFF) })
}
