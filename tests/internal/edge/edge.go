// Package edge is a corpus of hand-written modules at the edges of the ABI
// and of Wasm (traps of every kind, traps and exits in the start function,
// exit codes that do not fit a byte, huge memories and tables, bad iovecs, a
// closed stdin, a malformed name section), with the status each must end with.
// tests/e2e runs it under mwasm run and as native executables, tests/xen on
// real Xen: every home must give the same output and status.
package edge

import (
	"strings"

	"github.com/mwasm/mwasm/internal/wasmtest"
)

// Case is an odd module, to be run in every home.
type Case struct {
	Name   string
	Wasm   []byte
	Stdin  string // what its stdin holds ("" with Shell "" : empty)
	Shell  string // how the shell starts the program: "" or e.g. "0<&-" (stdin closed)
	Status int    // the status every home must give (134: a trap)
}

// Cases are hand-written modules at the edges: every trap kind, traps and
// exits in the start function, exit codes that do not fit a byte, a memory
// grown to the limit, a large table, bad iovecs, a closed stdin, a malformed
// name section.
func Cases() []Case {
	var cases []Case
	add := func(name string, status int, c *wasmtest.Command, body ...[]byte) {
		cases = append(cases, Case{Name: name, Wasm: c.Main(body...), Status: status})
	}
	cmd := func() *wasmtest.Command { return wasmtest.NewCommand(1, -1) }

	for _, e := range []struct {
		name   string
		code   int32
		status int
	}{{"exit-0", 0, 0}, {"exit-255", 255, 255}, {"exit-256", 256, 0}, {"exit-minus-1", -1, 255}, {"exit-7", 7, 7}} {
		c := cmd()
		add(e.name, e.status, c, c.Print(1, "out\n"), c.Print(2, "err\n"), c.Exit(e.code))
	}
	c := cmd()
	add("return", 0, c, c.Print(1, "returned\n"))

	for _, tr := range []struct {
		name string
		code []byte
	}{
		{"unreachable", []byte{0x00}},
		{"div-zero", []byte{0x41, 1, 0x41, 0, 0x6d, 0x1a}},
		{"overflow", []byte{0x41, 0x80, 0x80, 0x80, 0x80, 0x78, 0x41, 0x7f, 0x6d, 0x1a}},
		{"conversion", []byte{0x43, 0, 0, 0xc0, 0x7f, 0xa8, 0x1a}},
		{"oob-load", []byte{0x41, 0x7c, 0x28, 2, 0, 0x1a}},
		{"oob-store", []byte{0x41, 0x80, 0x80, 0x04, 0x41, 1, 0x36, 2, 0}},
		{"table-index", []byte{0x41, 9, 0x11, 2, 0}},
		{"table-null", []byte{0x41, 0, 0x11, 2, 0}},
		{"recursion", []byte{0x10, 2}},
	} {
		c := cmd()
		c.Table(2, -1)
		boom := c.Func(c.Void, wasmtest.Code(tr.code...))
		add("trap-"+tr.name, 134, c, c.Print(1, "before\n"), wasmtest.Call(boom))
	}
	// call_indirect with the wrong type: table[0] = a function (i32) -> ().
	c = cmd()
	c.Table(1, -1)
	ty := c.Type([]byte{wasmtest.I32}, nil)
	f := c.Func(ty, wasmtest.Code())
	c.Elem(0, f)
	add("trap-signature", 134, c, wasmtest.I32Const(0), []byte{0x11, byte(c.Void), 0})

	c = cmd()
	c.Start(c.Func(c.Void, wasmtest.Code(0x00)))
	add("start-trap", 134, c, c.Print(1, "not reached\n"))
	c = cmd()
	c.Start(c.Func(c.Void, wasmtest.Code(c.Exit(3)...)))
	add("start-exit", 3, c, c.Print(1, "not reached\n"))

	// Grow to the limit and one page past it; touch the last word.
	c = cmd()
	add("grow-to-limit", 0, c,
		wasmtest.I32Const(65534), []byte{0x40, 0}, wasmtest.I32Const(1), []byte{0x46, 0x04, 0x40}, c.Print(1, "grew\n"), []byte{0x0b},
		wasmtest.I32Const(1), []byte{0x40, 0}, wasmtest.I32Const(-1), []byte{0x46, 0x04, 0x40}, c.Print(1, "refused\n"), []byte{0x0b},
		wasmtest.I32Const(-65536-4), wasmtest.I32Const(5), []byte{0x36, 2, 0}, c.Print(1, "stored\n"))
	// A large table: a null entry at its end traps, one past it too.
	c = cmd()
	c.Table(1<<20, -1)
	add("large-table", 134, c, c.Print(1, "big\n"), wasmtest.I32Const(1<<20-1), []byte{0x11, byte(c.Void), 0})

	// fd_write with an iovec array, or a buffer, outside memory: EFAULT (21).
	for _, iov := range []struct {
		name string
		vec  []byte // the 8-byte iovec at 512
		at   int32  // where the iovec array is
	}{
		{"iovec-outside", nil, -8},
		{"buffer-outside", []byte{0xf0, 0xff, 0xff, 0xff, 0x20, 0, 0, 0}, 512},
		{"buffer-wraps", []byte{0, 0x10, 0, 0, 0xff, 0xff, 0xff, 0xff}, 512},
	} {
		c := cmd()
		if iov.vec != nil {
			c.Data(512, iov.vec)
		}
		add(iov.name, 21, c, wasmtest.I32Const(1), wasmtest.I32Const(iov.at), wasmtest.I32Const(1), wasmtest.I32Const(600),
			wasmtest.Call(c.FdWrite), wasmtest.Call(c.ProcExit))
	}

	// stdin closed (0<&-): fd_read of fd 0 reads nothing; exit with the count.
	c = wasmtest.NewCommand(1, -1)
	rd := c.ImportFunc(wasmtest.WASI, "fd_read", 0) // type 0 is fd_write's, the same
	c.Data(512, []byte{0, 4, 0, 0, 64, 0, 0, 0})
	readStdin := wasmtest.Cat(wasmtest.I32Const(0), wasmtest.I32Const(512), wasmtest.I32Const(1), wasmtest.I32Const(520), wasmtest.Call(rd), []byte{0x1a},
		wasmtest.I32Const(520), []byte{0x28, 2, 0}, wasmtest.Call(c.ProcExit))
	w := c.Main(readStdin)
	cases = append(cases, Case{Name: "stdin-closed", Wasm: w, Shell: "0<&-", Status: 0},
		Case{Name: "stdin-3-bytes", Wasm: w, Stdin: "abc", Status: 3})

	c = cmd()
	c.Custom("name", wasmtest.Section(1, []byte{1, 2, 2, 0xff, 0xfe}))
	add("bad-name-section", 134, c, c.Print(1, "ran\n"), []byte{0x00})
	return cases
}

// Gist is what must match between homes: the lines the app wrote and the
// kind of a trap ("mwasm: trap: KIND"); the function names and offsets (a native
// report has more of them), the backtrace and mwasm's own log lines are left out.
func Gist(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		switch {
		case strings.Contains(l, "[WARN]"), strings.HasPrefix(l, "    at "), l == "":
		case strings.HasPrefix(l, "mwasm: trap: "):
			kind, _, _ := strings.Cut(l, " in ")
			out = append(out, kind)
		default:
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
