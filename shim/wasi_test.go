package shim

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/mwasm/mwasm/abi"
)

// sliceMem is a Memory over a byte slice.
type sliceMem struct{ b []byte }

func (m *sliceMem) Read(off uint32, dst []byte) bool {
	if uint64(off)+uint64(len(dst)) > uint64(len(m.b)) {
		return false
	}
	copy(dst, m.b[off:])
	return true
}

func (m *sliceMem) Write(off uint32, src []byte) bool {
	if uint64(off)+uint64(len(src)) > uint64(len(m.b)) {
		return false
	}
	copy(m.b[off:], src)
	return true
}

// fakePlatform has a manual clock. Wait runs onWait if set, else jumps the clock to
// the deadline (a test that would wait forever fails).
type fakePlatform struct {
	t        *testing.T
	mono     uint64
	real     uint64
	out, err bytes.Buffer
	stdin    Stdin
	waits    []uint64
	onWait   func()
	exited   *uint32
	step     uint64 // each Now advances both clocks by step (a vCPU preempted between readings)
}

func (p *fakePlatform) Console(fd int, b []byte) error {
	if fd == 2 {
		p.err.Write(b)
	} else {
		p.out.Write(b)
	}
	return nil
}
func (p *fakePlatform) Stdin() Stdin { return p.stdin }
func (p *fakePlatform) Now(c Clock) uint64 {
	p.mono += p.step
	p.real += p.step
	if c == ClockRealtime {
		return p.real
	}
	return p.mono
}
func (p *fakePlatform) Resolution(Clock) uint64 { return 1000 }
func (p *fakePlatform) Random(b []byte) error {
	for i := range b {
		b[i] = byte(i*7 + 1)
	}
	return nil
}
func (p *fakePlatform) Wait(deadline uint64) {
	p.waits = append(p.waits, deadline)
	if len(p.waits) > 100 {
		p.t.Fatal("Wait called over 100 times: poll_oneoff loops")
	}
	if p.onWait != nil {
		p.onWait()
		return
	}
	if deadline == NoDeadline {
		p.t.Fatal("Wait without deadline and nothing to wake it")
	}
	if deadline > p.mono {
		p.real += deadline - p.mono
		p.mono = deadline
	}
}

type exitPanic uint32

func (p *fakePlatform) Exit(code uint32) { panic(exitPanic(code)) }

// fakeNet is a NetDevice with queues.
type fakeNet struct {
	in   [][]byte
	sent [][]byte
	full bool
	wake func()
}

func (n *fakeNet) SetWake(w func()) { n.wake = w }
func (n *fakeNet) MAC() [6]byte     { return [6]byte{0x52, 0x54, 0, 0x12, 0x34, 0x56} }
func (n *fakeNet) MTU() int         { return 100 }
func (n *fakeNet) RecvFrame(buf []byte) (int, error) {
	if len(n.in) == 0 {
		return 0, ErrAgain
	}
	f := n.in[0]
	n.in = n.in[1:]
	return copy(buf, f), nil
}
func (n *fakeNet) SendFrame(f []byte) error {
	if n.full {
		return ErrAgain
	}
	n.sent = append(n.sent, append([]byte(nil), f...))
	return nil
}
func (n *fakeNet) Readable() bool { return len(n.in) > 0 }
func (n *fakeNet) Writable() bool { return !n.full }
func (n *fakeNet) Close() error   { return nil }

// memDisk is a BlockDevice in memory.
type memDisk struct {
	data  []byte
	syncs int
}

func (d *memDisk) SectorSize() int { return 512 }
func (d *memDisk) Sectors() uint64 { return uint64(len(d.data) / 512) }
func (d *memDisk) ReadAt(p []byte, off int64) error {
	if off%512 != 0 || len(p)%512 != 0 || off+int64(len(p)) > int64(len(d.data)) {
		return errors.New("memDisk: bad read")
	}
	copy(p, d.data[off:])
	return nil
}
func (d *memDisk) WriteAt(p []byte, off int64) error {
	if off%512 != 0 || len(p)%512 != 0 || off+int64(len(p)) > int64(len(d.data)) {
		return errors.New("memDisk: bad write")
	}
	copy(d.data[off:], p)
	return nil
}
func (d *memDisk) Sync() error  { d.syncs++; return nil }
func (d *memDisk) Close() error { return nil }

type env struct {
	t    *testing.T
	p    *fakePlatform
	m    *sliceMem
	w    *WASI
	net  *fakeNet
	disk *memDisk
}

func newEnv(t *testing.T, withDevices bool) *env {
	e := &env{t: t, p: &fakePlatform{t: t, mono: 1000, real: 5_000_000_000}, m: &sliceMem{make([]byte, 1<<16)}}
	cfg := Config{Args: []string{"app", "-v"}, Env: []string{"A=1"}}
	if withDevices {
		e.net = &fakeNet{}
		e.disk = &memDisk{data: make([]byte, 16*512)}
		cfg.Net, cfg.NetIPv4, cfg.NetGateway = e.net, "10.0.2.15/24", "10.0.2.2"
		cfg.Disk = e.disk
	}
	e.w = New(e.p, e.m, cfg)
	return e
}

func (e *env) u32(off uint32) uint32 { return binary.LittleEndian.Uint32(e.m.b[off:]) }
func (e *env) u64(off uint32) uint64 { return binary.LittleEndian.Uint64(e.m.b[off:]) }
func (e *env) put32(off, v uint32)   { binary.LittleEndian.PutUint32(e.m.b[off:], v) }
func (e *env) put64(off uint32, v uint64) {
	binary.LittleEndian.PutUint64(e.m.b[off:], v)
}

// iovs stores iovecs at 0x100 pointing at the given (offset, len) pairs.
func (e *env) iovs(pairs ...uint32) (uint32, uint32) {
	for i := 0; i < len(pairs); i += 2 {
		e.put32(0x100+uint32(i)*4, pairs[i])
		e.put32(0x104+uint32(i)*4, pairs[i+1])
	}
	return 0x100, uint32(len(pairs) / 2)
}

func (e *env) check(what string, got, want abi.Errno) {
	e.t.Helper()
	if got != want {
		e.t.Errorf("%s: errno %d, want %d", what, got, want)
	}
}

func (e *env) open(path string, oflags uint32, rights uint64) (uint32, abi.Errno) {
	copy(e.m.b[0x200:], path)
	errno := e.w.PathOpen(DevFD, 1, 0x200, uint32(len(path)), oflags, rights, 0, 0, 0x300)
	return e.u32(0x300), errno
}

func TestArgsEnviron(t *testing.T) {
	e := newEnv(t, true)
	e.check("args_sizes_get", e.w.ArgsSizesGet(0, 4), 0)
	if e.u32(0) != 2 || e.u32(4) != uint32(len("app\x00-v\x00")) {
		t.Fatalf("args sizes %d %d", e.u32(0), e.u32(4))
	}
	e.check("args_get", e.w.ArgsGet(0x10, 0x40), 0)
	if e.u32(0x10) != 0x40 || e.u32(0x14) != 0x44 || string(e.m.b[0x40:0x47]) != "app\x00-v\x00" {
		t.Errorf("args_get wrote %x", e.m.b[0x10:0x48])
	}
	e.check("args_get out of bounds", e.w.ArgsGet(0xfffe, 0x40), abi.EFAULT)

	e.check("environ_sizes_get", e.w.EnvironSizesGet(0, 4), 0)
	n := e.u32(0)
	e.check("environ_get", e.w.EnvironGet(0x1000, 0x2000), 0)
	var got []string
	for i := uint32(0); i < n; i++ {
		p := e.u32(0x1000 + 4*i)
		end := bytes.IndexByte(e.m.b[p:], 0)
		got = append(got, string(e.m.b[p:p+uint32(end)]))
	}
	want := []string{"A=1", "MWASM_NET0_MAC=52:54:00:12:34:56", "MWASM_NET0_MTU=100",
		"MWASM_NET0_IPV4=10.0.2.15/24", "MWASM_NET0_GATEWAY=10.0.2.2",
		"MWASM_DISK0_SECTOR_SIZE=512", "MWASM_DISK0_SECTORS=16"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("environ = %q\nwant %q", got, want)
	}
	if env := newEnv(t, false).w.Env(); len(env) != 1 || env[0] != "A=1" {
		t.Errorf("environment without devices = %q", env)
	}
}

func TestClocksRandom(t *testing.T) {
	e := newEnv(t, false)
	e.p.mono = 777
	e.check("clock_time_get", e.w.ClockTimeGet(1, 0, 8), 0)
	e.check("clock_time_get realtime", e.w.ClockTimeGet(0, 0, 16), 0)
	if e.u64(8) != 777 || e.u64(16) != e.p.real {
		t.Errorf("times %d %d", e.u64(8), e.u64(16))
	}
	e.check("clock_time_get cputime", e.w.ClockTimeGet(2, 0, 8), abi.EINVAL)
	e.check("clock_time_get fault", e.w.ClockTimeGet(1, 0, 0xfffc), abi.EFAULT)
	e.check("clock_res_get", e.w.ClockResGet(1, 24), 0)
	if e.u64(24) != 1000 {
		t.Errorf("resolution %d", e.u64(24))
	}
	e.check("random_get", e.w.RandomGet(0x500, 10), 0)
	if e.m.b[0x500] != 1 || e.m.b[0x509] != 64 || e.m.b[0x50a] != 0 {
		t.Errorf("random bytes %v", e.m.b[0x500:0x50b])
	}
	e.check("random_get fault", e.w.RandomGet(0xfff0, 100), abi.EFAULT)
}

func TestFdWriteIovecs(t *testing.T) {
	e := newEnv(t, false)
	copy(e.m.b[0x1000:], "hello")
	copy(e.m.b[0x2000:], ", ")
	copy(e.m.b[0x3000:], "world\n")
	iovs, n := e.iovs(0x1000, 5, 0x4000, 0, 0x2000, 2, 0x3000, 6)
	e.check("fd_write", e.w.FdWrite(1, iovs, n, 0x20), 0)
	if e.p.out.String() != "hello, world\n" || e.u32(0x20) != 13 {
		t.Errorf("stdout %q, nwritten %d", e.p.out.String(), e.u32(0x20))
	}
	e.check("fd_write stderr", e.w.FdWrite(2, iovs, 1, 0x20), 0)
	if e.p.err.String() != "hello" {
		t.Errorf("stderr %q", e.p.err.String())
	}
	iovs, n = e.iovs(0xfff0, 0x20)
	e.check("iovec beyond memory", e.w.FdWrite(1, iovs, n, 0x20), abi.EFAULT)
	e.check("iovec array beyond memory", e.w.FdWrite(1, 0xfffc, 1, 0x20), abi.EFAULT)
	e.check("too many iovecs", e.w.FdWrite(1, 0, 5000, 0x20), abi.EINVAL)
	e.check("nwritten beyond memory", e.w.FdWrite(1, iovs, 0, 0xfffe), abi.EFAULT)
	e.check("unknown fd", e.w.FdWrite(9, iovs, 0, 0x20), abi.EBADF)
	e.check("write stdin", e.w.FdWrite(0, iovs, 0, 0x20), abi.EBADF)
	e.check("read stdout", e.w.FdRead(1, iovs, 0, 0x20), abi.EBADF)
	e.check("write dir", e.w.FdWrite(DevFD, iovs, 0, 0x20), abi.EISDIR)
	e.check("pread stdout", e.w.FdPread(1, iovs, 0, 0, 0x20), abi.ESPIPE)
	e.check("seek stdout", e.w.FdSeek(1, 0, 0, 0x20), abi.ESPIPE)
	e.check("fd_close", e.w.FdClose(1), 0)
	e.check("write closed fd", e.w.FdWrite(1, iovs, 0, 0x20), abi.EBADF)
	e.check("close closed fd", e.w.FdClose(1), abi.EBADF)
}

func TestStdin(t *testing.T) {
	e := newEnv(t, false)
	iovs, n := e.iovs(0x1000, 4, 0x2000, 10)
	e.check("read without stdin", e.w.FdRead(0, iovs, n, 0x20), 0)
	if e.u32(0x20) != 0 {
		t.Errorf("no stdin gave %d bytes", e.u32(0x20))
	}
	in := &fakeStdin{}
	e.p.stdin = in
	e.check("set nonblock", e.w.FdFdstatSetFlags(0, fdflagNonblock), 0)
	e.check("nonblocking read, no data", e.w.FdRead(0, iovs, n, 0x20), abi.EAGAIN)
	e.check("clear nonblock", e.w.FdFdstatSetFlags(0, 0), 0)
	e.p.onWait = func() { in.data = []byte("abcdefg") }
	e.check("blocking read", e.w.FdRead(0, iovs, n, 0x20), 0)
	if e.u32(0x20) != 7 || string(e.m.b[0x1000:0x1004]) != "abcd" || string(e.m.b[0x2000:0x2003]) != "efg" {
		t.Errorf("read %d bytes: %q %q", e.u32(0x20), e.m.b[0x1000:0x1004], e.m.b[0x2000:0x2003])
	}
	in.eof = true
	e.check("read at eof", e.w.FdRead(0, iovs, n, 0x20), 0)
	if e.u32(0x20) != 0 {
		t.Errorf("eof read gave %d bytes", e.u32(0x20))
	}
}

type fakeStdin struct {
	data []byte
	eof  bool
}

func (s *fakeStdin) Read(p []byte) (int, error) {
	if len(s.data) > 0 {
		n := copy(p, s.data)
		s.data = s.data[n:]
		return n, nil
	}
	if s.eof {
		return 0, io.EOF
	}
	return 0, ErrAgain
}
func (s *fakeStdin) Poll() (int, bool) { return len(s.data), s.eof }

func TestPathOpen(t *testing.T) {
	e := newEnv(t, true)
	const rdwr = abi.RightFdRead | abi.RightFdWrite
	for _, c := range []struct {
		path   string
		oflags uint32
		rights uint64
		errno  abi.Errno
		kind   fdKind
	}{
		{"net0", 0, rdwr, 0, kindNet},
		{"disk0", 0, rdwr, 0, kindDisk},
		{"disk0", oflagCreat, rdwr, 0, kindDisk},
		{".", oflagDirectory, abi.RightFdReaddir, 0, kindDir},
		{".", 0, rdwr, abi.EISDIR, 0},
		{"disk0", oflagDirectory, abi.RightFdRead, abi.ENOTDIR, 0},
		{"disk0", oflagTrunc, rdwr, abi.EINVAL, 0},
		{"disk0", oflagCreat | oflagExcl, rdwr, abi.EEXIST, 0},
		{"./disk0", 0, rdwr, abi.ENOENT, 0},
		{"disk0/", 0, abi.RightFdRead, abi.ENOENT, 0},
		{"disk0/x", 0, abi.RightFdRead, abi.ENOENT, 0},
		{"nope", 0, rdwr, abi.ENOENT, 0},
		{"nope", oflagCreat, rdwr, abi.ENOENT, 0},
		{"", 0, rdwr, abi.ENOENT, 0},
		{"../etc/passwd", 0, abi.RightFdRead, abi.ENOENT, 0},
		{"/net0", 0, abi.RightFdRead, abi.ENOENT, 0},
	} {
		fd, errno := e.open(c.path, c.oflags, c.rights)
		e.check("path_open "+c.path, errno, c.errno)
		if errno == 0 {
			if f := e.w.file(fd); f == nil || f.kind != c.kind {
				t.Errorf("path_open %s: fd %d is %v, want kind %d", c.path, fd, f, c.kind)
			}
			e.w.FdClose(fd)
		}
	}
	// Lowest free fd.
	a, _ := e.open("net0", 0, rdwr)
	b, _ := e.open("disk0", 0, rdwr)
	e.w.FdClose(a)
	c, _ := e.open("disk0", 0, rdwr)
	if a != 4 || b != 5 || c != 4 {
		t.Errorf("fds %d %d %d, want 4 5 4", a, b, c)
	}
	e.check("path_open relative to a device", e.w.PathOpen(b, 0, 0x200, 4, 0, 0, 0, 0, 0x300), abi.ENOTDIR)
	e.check("path_open bad dirfd", e.w.PathOpen(99, 0, 0x200, 4, 0, 0, 0, 0, 0x300), abi.EBADF)
	e.check("path_open path fault", e.w.PathOpen(DevFD, 0, 0xfffe, 4, 0, 0, 0, 0, 0x300), abi.EFAULT)
	e.check("path_open APPEND on disk", e.w.PathOpen(DevFD, 0, 0x200, 5, 0, 0, 0, fdflagAppend, 0x300), abi.ENOTSUP)
	e.check("path_open DSYNC on disk", e.w.PathOpen(DevFD, 0, 0x200, 5, 0, 0, 0, fdflagDsync, 0x300), abi.ENOTSUP)
	// A closed console fd is not reused: new fds are above 2.
	e.w.FdClose(1)
	if fd, _ := e.open("net0", 0, rdwr); fd != 6 {
		t.Errorf("open after closing stdout gave fd %d, want 6", fd)
	}

	// No devices: /dev exists but is empty.
	e2 := newEnv(t, false)
	_, errno := e2.open("net0", 0, rdwr)
	e2.check("net0 without a net device", errno, abi.ENOENT)
	_, errno = e2.open(".", 0, abi.RightFdReaddir)
	e2.check("open empty /dev", errno, 0)
}

func TestPrestat(t *testing.T) {
	e := newEnv(t, false)
	e.check("prestat fd 3", e.w.FdPrestatGet(3, 0x10), 0)
	if e.m.b[0x10] != 0 || e.u32(0x14) != 4 {
		t.Errorf("prestat %x", e.m.b[0x10:0x18])
	}
	e.check("prestat_dir_name", e.w.FdPrestatDirName(3, 0x20, 4), 0)
	if string(e.m.b[0x20:0x24]) != "/dev" {
		t.Errorf("dir name %q", e.m.b[0x20:0x24])
	}
	e.check("prestat_dir_name short", e.w.FdPrestatDirName(3, 0x20, 3), abi.EINVAL)
	e.check("prestat fd 4", e.w.FdPrestatGet(4, 0x10), abi.EBADF)
	e.check("prestat stdout", e.w.FdPrestatGet(1, 0x10), abi.EBADF)
	e.check("prestat fault", e.w.FdPrestatGet(3, 0xfffc), abi.EFAULT)
	// A re-opened /dev is not a preopen.
	fd, _ := e.open(".", 0, abi.RightFdReaddir)
	e.check("prestat of reopened /dev", e.w.FdPrestatGet(fd, 0x10), abi.EBADF)
}

func TestFilestatFdstat(t *testing.T) {
	e := newEnv(t, true)
	disk, _ := e.open("disk0", 0, abi.RightFdRead)
	net, _ := e.open("net0", 0, abi.RightFdRead)
	for _, c := range []struct {
		fd   uint32
		typ  byte
		size uint64
	}{{0, filetypeCharacter, 0}, {1, filetypeCharacter, 0}, {3, filetypeDirectory, 0},
		{disk, filetypeBlock, 16 * 512}, {net, filetypeCharacter, 0}} {
		e.check("fd_filestat_get", e.w.FdFilestatGet(c.fd, 0x40), 0)
		if e.m.b[0x40+16] != c.typ || e.u64(0x40+32) != c.size {
			t.Errorf("fd %d: filetype %d size %d, want %d %d", c.fd, e.m.b[0x40+16], e.u64(0x40+32), c.typ, c.size)
		}
		e.check("fd_fdstat_get", e.w.FdFdstatGet(c.fd, 0x80), 0)
		if e.m.b[0x80] != c.typ {
			t.Errorf("fd %d: fdstat filetype %d, want %d", c.fd, e.m.b[0x80], c.typ)
		}
	}
	copy(e.m.b[0x200:], "disk0")
	e.check("path_filestat_get", e.w.PathFilestatGet(DevFD, 0, 0x200, 5, 0x40), 0)
	if e.m.b[0x40+16] != filetypeBlock || e.u64(0x40+32) != 16*512 {
		t.Errorf("path_filestat_get disk0: %x", e.m.b[0x40:0x80])
	}
	e.check("path_filestat_get missing", e.w.PathFilestatGet(DevFD, 0, 0x200, 4, 0x40), abi.ENOENT)
	e.check("set NONBLOCK on net0", e.w.FdFdstatSetFlags(net, fdflagNonblock), 0)
	e.check("fdstat after set", e.w.FdFdstatGet(net, 0x80), 0)
	if binary.LittleEndian.Uint16(e.m.b[0x82:]) != fdflagNonblock {
		t.Errorf("fdflags %x", e.m.b[0x82:0x84])
	}
	e.check("clear NONBLOCK on net0", e.w.FdFdstatSetFlags(net, 0), 0)
	e.w.FdFdstatGet(net, 0x80)
	if binary.LittleEndian.Uint16(e.m.b[0x82:]) != fdflagNonblock {
		t.Errorf("net0 fdflags after clearing %x: NONBLOCK must stay", e.m.b[0x82:0x84])
	}
	e.check("set APPEND on net0", e.w.FdFdstatSetFlags(net, fdflagAppend), abi.ENOTSUP)
	e.check("set APPEND on stdout", e.w.FdFdstatSetFlags(1, fdflagAppend), 0)
	e.check("set NONBLOCK on /dev", e.w.FdFdstatSetFlags(3, fdflagNonblock), 0)
	e.w.FdFdstatGet(1, 0x80)
	if r := e.u64(0x88); r != abi.RightsConsole || r&(abi.RightFdSeek|abi.RightFdTell) != 0 {
		t.Errorf("console rights %x", r)
	}
	e.check("set unknown flag", e.w.FdFdstatSetFlags(1, 1<<9), abi.EINVAL)
	e.check("fdstat unknown fd", e.w.FdFdstatGet(42, 0x80), abi.EBADF)
	e.check("filestat fault", e.w.FdFilestatGet(1, 0xfff0), abi.EFAULT)
}

// typedPlatform is a fakePlatform whose standard streams have host types.
type typedPlatform struct {
	fakePlatform
	types [3]uint8
}

func (p *typedPlatform) StdioType(fd int) uint8 { return p.types[fd] }

// TestStdioTypes: a platform that knows its streams' types (StdioTyper) has them
// reported by fd_fdstat_get and fd_filestat_get, and they move with the stream
// under fd_renumber; rights stay those of a console (no seek, no tell) whatever
// the type, and a platform without it reports character devices.
func TestStdioTypes(t *testing.T) {
	p := &typedPlatform{fakePlatform{t: t}, [3]uint8{FiletypeUnknown, FiletypeRegular, FiletypeSocket}}
	e := &env{t: t, p: &p.fakePlatform, m: &sliceMem{make([]byte, 1<<16)}}
	e.w = New(p, e.m, Config{})
	for fd, want := range p.types {
		e.check("fd_fdstat_get", e.w.FdFdstatGet(uint32(fd), 0x80), 0)
		e.check("fd_filestat_get", e.w.FdFilestatGet(uint32(fd), 0x40), 0)
		if e.m.b[0x80] != want || e.m.b[0x40+16] != want {
			t.Errorf("fd %d: fdstat filetype %d, filestat %d, want %d", fd, e.m.b[0x80], e.m.b[0x40+16], want)
		}
		if r := e.u64(0x88); r&(abi.RightFdSeek|abi.RightFdTell) != 0 {
			t.Errorf("fd %d rights %x: a stream has no seek or tell", fd, r)
		}
	}
	e.check("fd_renumber 2 onto 1", e.w.FdRenumber(2, 1), 0)
	e.w.FdFdstatGet(1, 0x80)
	if e.m.b[0x80] != FiletypeSocket {
		t.Errorf("fd 1 after renumber: filetype %d, want stderr's %d", e.m.b[0x80], FiletypeSocket)
	}
	plain := newEnv(t, false)
	plain.w.FdFdstatGet(1, 0x80)
	if plain.m.b[0x80] != FiletypeCharacter {
		t.Errorf("without StdioTyper: fd 1 filetype %d, want CHARACTER_DEVICE", plain.m.b[0x80])
	}
}

func TestFiletypeOfMode(t *testing.T) {
	for mode, want := range map[uint32]uint8{
		0o100644: FiletypeRegular, 0o020666: FiletypeCharacter, 0o010600: FiletypeUnknown,
		0o140777: FiletypeSocket, 0o060660: FiletypeBlock, 0o040755: FiletypeDirectory,
		0o120777: FiletypeSymlink, 0: FiletypeUnknown,
	} {
		if got := FiletypeOfMode(mode); got != want {
			t.Errorf("FiletypeOfMode(%o) = %d, want %d", mode, got, want)
		}
	}
}

func TestDiskIO(t *testing.T) {
	e := newEnv(t, true)
	fd, _ := e.open("disk0", 0, abi.RightFdRead|abi.RightFdWrite)
	for i := range 1024 {
		e.m.b[0x1000+i] = byte(i * 3)
	}
	// Two iovecs of 700 and 324 bytes: two sectors in total.
	iovs, n := e.iovs(0x1000, 700, 0x1000+700, 324)
	e.check("pwrite", e.w.FdPwrite(fd, iovs, n, 2*512, 0x20), 0)
	if e.u32(0x20) != 1024 || !bytes.Equal(e.disk.data[1024:2048], e.m.b[0x1000:0x1400]) {
		t.Fatalf("pwrite wrote %d bytes / wrong data", e.u32(0x20))
	}
	iovs, n = e.iovs(0x3000, 1000, 0x4000, 24)
	e.check("pread", e.w.FdPread(fd, iovs, n, 2*512, 0x20), 0)
	if e.u32(0x20) != 1024 || !bytes.Equal(e.m.b[0x3000:0x3000+1000], e.disk.data[1024:2024]) ||
		!bytes.Equal(e.m.b[0x4000:0x4000+24], e.disk.data[2024:2048]) {
		t.Errorf("pread read back other data")
	}
	for _, c := range []struct {
		what     string
		off      uint64
		len1     uint32
		expected abi.Errno
	}{
		{"unaligned offset", 100, 512, abi.EINVAL},
		{"unaligned length", 512, 500, abi.EINVAL},
		{"beyond the end", 15 * 512, 1024, abi.EINVAL},
		{"far beyond the end", 1 << 40, 512, abi.EINVAL},
		{"last sector", 15 * 512, 512, 0},
	} {
		iovs, n = e.iovs(0x1000, c.len1)
		e.check("pwrite "+c.what, e.w.FdPwrite(fd, iovs, n, c.off, 0x20), c.expected)
		e.check("pread "+c.what, e.w.FdPread(fd, iovs, n, c.off, 0x20), c.expected)
	}
	iovs, n = e.iovs(0x1000, 512)
	e.check("pread at the end", e.w.FdPread(fd, iovs, n, 16*512, 0x20), 0)
	if e.u32(0x20) != 0 {
		t.Errorf("pread at the end gave %d bytes", e.u32(0x20))
	}
	e.check("pwrite at the end", e.w.FdPwrite(fd, iovs, n, 16*512, 0x20), abi.EINVAL)
	iovs, n = e.iovs(0xfe00, 1024)
	e.check("pwrite from bad memory", e.w.FdPwrite(fd, iovs, n, 0, 0x20), abi.EFAULT)

	// Sequential I/O through the position.
	e.check("seek", e.w.FdSeek(fd, 2*512, 0, 0x30), 0)
	iovs, n = e.iovs(0x5000, 512)
	e.check("read", e.w.FdRead(fd, iovs, n, 0x20), 0)
	e.check("read", e.w.FdRead(fd, iovs, n, 0x20), 0)
	e.check("tell", e.w.FdTell(fd, 0x30), 0)
	if e.u64(0x30) != 4*512 || !bytes.Equal(e.m.b[0x5000:0x5200], e.disk.data[1536:2048]) {
		t.Errorf("position %d after two reads", e.u64(0x30))
	}
	e.check("seek end", e.w.FdSeek(fd, uint64(1<<64-512), 2, 0x30), 0)
	if e.u64(0x30) != 15*512 {
		t.Errorf("seek end -512: %d", e.u64(0x30))
	}
	e.check("seek before start", e.w.FdSeek(fd, uint64(1<<64-1), 0, 0x30), abi.EINVAL)
	e.check("seek past end", e.w.FdSeek(fd, 17*512, 0, 0x30), 0)
	e.check("read past end", e.w.FdRead(fd, iovs, n, 0x20), abi.EINVAL)
	e.check("tell after failed read", e.w.FdTell(fd, 0x30), 0)
	if e.u64(0x30) != 17*512 {
		t.Errorf("failed read moved the position to %d", e.u64(0x30))
	}
	e.check("seek bad whence", e.w.FdSeek(fd, 0, 3, 0x30), abi.EINVAL)
	e.check("seek unaligned", e.w.FdSeek(fd, 7, 0, 0x30), 0)
	e.check("read unaligned position", e.w.FdRead(fd, iovs, n, 0x20), abi.EINVAL)

	syncs := e.disk.syncs
	e.check("datasync", e.w.FdDatasync(fd), 0)
	e.check("sync", e.w.FdSync(fd), 0)
	e.check("datasync stdout", e.w.FdDatasync(1), 0)
	e.check("datasync /dev", e.w.FdDatasync(3), abi.EINVAL)
	net, _ := e.open("net0", 0, abi.RightFdWrite)
	e.check("datasync net0", e.w.FdDatasync(net), abi.EINVAL)
	e.check("fd_advise net0", e.w.FdAdvise(net, 0, 0, 0), abi.ESPIPE)
	e.check("pread /dev", e.w.FdPread(3, iovs, n, 0, 0x20), abi.ESPIPE)
	e.check("fd_advise", e.w.FdAdvise(fd, 0, 512, 1), 0)
	e.check("fd_advise bad advice", e.w.FdAdvise(fd, 0, 512, 9), abi.EINVAL)
	e.check("set DSYNC", e.w.FdFdstatSetFlags(fd, fdflagDsync), abi.ENOTSUP)
	if e.disk.syncs != syncs+2 {
		t.Errorf("%d syncs, want %d", e.disk.syncs, syncs+2)
	}
}

func TestNet(t *testing.T) {
	e := newEnv(t, true)
	fd, _ := e.open("net0", 0, abi.RightFdRead|abi.RightFdWrite)
	copy(e.m.b[0x1000:], "0123456789abcdefghij")
	iovs, n := e.iovs(0x1000, 6, 0x1006, 14)
	e.check("send", e.w.FdWrite(fd, iovs, n, 0x20), 0)
	if len(e.net.sent) != 1 || string(e.net.sent[0]) != "0123456789abcdefghij" || e.u32(0x20) != 20 {
		t.Errorf("sent %q", e.net.sent)
	}
	iovs, n = e.iovs(0x1000, 13)
	e.check("send runt", e.w.FdWrite(fd, iovs, n, 0x20), abi.EINVAL)
	iovs, n = e.iovs(0x1000, 115)
	e.check("send oversize", e.w.FdWrite(fd, iovs, n, 0x20), abi.EMSGSIZE)
	iovs, n = e.iovs(0x1000, 114)
	e.check("send largest", e.w.FdWrite(fd, iovs, n, 0x20), 0)
	e.net.full = true
	e.check("send when full", e.w.FdWrite(fd, iovs, n, 0x20), abi.EAGAIN)

	iovs, n = e.iovs(0x2000, 4, 0x3000, 100)
	e.check("recv nothing", e.w.FdRead(fd, iovs, n, 0x20), abi.EAGAIN)
	e.net.in = [][]byte{[]byte("first-frame-xx"), []byte("second-frame-x")}
	iovs, n = e.iovs(0x2000, 4, 0xfff0, 100)
	e.check("recv into bad memory", e.w.FdRead(fd, iovs, n, 0x20), abi.EFAULT)
	e.check("recv with bad nread", e.w.FdRead(fd, iovs, 1, 0x10000), abi.EFAULT)
	if len(e.net.in) != 2 {
		t.Fatalf("a faulting fd_read consumed a frame")
	}
	iovs, n = e.iovs(0x2000, 4, 0x3000, 100)
	e.check("recv", e.w.FdRead(fd, iovs, n, 0x20), 0)
	if e.u32(0x20) != 14 || string(e.m.b[0x2000:0x2004]) != "firs" || string(e.m.b[0x3000:0x300a]) != "t-frame-xx" {
		t.Errorf("recv %d bytes", e.u32(0x20))
	}
	iovs, n = e.iovs(0x2000, 6)
	e.check("recv truncated", e.w.FdRead(fd, iovs, n, 0x20), 0)
	if e.u32(0x20) != 6 || string(e.m.b[0x2000:0x2006]) != "second" || len(e.net.in) != 0 {
		t.Errorf("truncated recv %d bytes, %d frames left", e.u32(0x20), len(e.net.in))
	}
	e.check("pread on net", e.w.FdPread(fd, iovs, n, 0, 0x20), abi.ESPIPE)
	e.check("seek on net", e.w.FdSeek(fd, 0, 0, 0x20), abi.ESPIPE)
}

// sub writes a poll_oneoff subscription at in+i*48.
func (e *env) sub(i int, userdata uint64, typ byte, fdOrClock uint32, timeout uint64, flags uint16) {
	off := uint32(0x1000 + i*48)
	clear(e.m.b[off : off+48])
	e.put64(off, userdata)
	e.m.b[off+8] = typ
	e.put32(off+16, fdOrClock)
	e.put64(off+24, timeout)
	binary.LittleEndian.PutUint16(e.m.b[off+40:], flags)
}

type event struct {
	userdata uint64
	errno    uint16
	typ      byte
	nbytes   uint64
	flags    uint16
}

func (e *env) poll(nsubs uint32) ([]event, abi.Errno) {
	errno := e.w.PollOneoff(0x1000, 0x4000, nsubs, 0x20)
	if errno != 0 {
		return nil, errno
	}
	var evs []event
	for i := uint32(0); i < e.u32(0x20); i++ {
		b := e.m.b[0x4000+i*32:]
		evs = append(evs, event{binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint16(b[8:]), b[10],
			binary.LittleEndian.Uint64(b[16:]), binary.LittleEndian.Uint16(b[24:])})
	}
	return evs, 0
}

func TestPollClocks(t *testing.T) {
	e := newEnv(t, false)
	if _, errno := e.poll(0); errno != abi.EINVAL {
		t.Errorf("zero subscriptions: errno %d", errno)
	}
	// Relative monotonic 5000ns and 9000ns: the first fires alone after one wait.
	start := e.p.mono
	e.sub(0, 11, eventClock, 1, 9000, 0)
	e.sub(1, 22, eventClock, 1, 5000, 0)
	evs, errno := e.poll(2)
	if errno != 0 || len(evs) != 1 || evs[0].userdata != 22 || evs[0].typ != eventClock || evs[0].errno != 0 {
		t.Fatalf("events %+v errno %d", evs, errno)
	}
	if len(e.p.waits) != 1 || e.p.waits[0] != start+5000 || e.p.mono != start+5000 {
		t.Errorf("waits %v, clock %d", e.p.waits, e.p.mono)
	}
	// Absolute monotonic in the past: immediate, no wait.
	e.p.waits = nil
	e.sub(0, 33, eventClock, 1, 10, subclockAbstime)
	evs, _ = e.poll(1)
	if len(evs) != 1 || evs[0].userdata != 33 || len(e.p.waits) != 0 {
		t.Errorf("past deadline: %+v, waits %v", evs, e.p.waits)
	}
	// Absolute realtime 1ms ahead.
	start = e.p.mono
	e.sub(0, 44, eventClock, 0, e.p.real+1_000_000, subclockAbstime)
	evs, _ = e.poll(1)
	if len(evs) != 1 || evs[0].userdata != 44 || e.p.mono != start+1_000_000 {
		t.Errorf("realtime deadline: %+v, clock advanced %d", evs, e.p.mono-start)
	}
	// Absolute realtime 20 ms ahead, with time passing between the readings of
	// the clocks: the wait never ends before the realtime deadline.
	e.p.step = 3_000_000
	e.p.waits = nil
	deadline := e.p.real + 20_000_000
	e.sub(0, 45, eventClock, 0, deadline, subclockAbstime)
	offset := e.p.real - e.p.mono // both clocks move together here
	evs, _ = e.poll(1)
	if len(evs) != 1 || evs[0].userdata != 45 || len(e.p.waits) == 0 {
		t.Fatalf("realtime deadline with a moving clock: %+v, waits %v", evs, e.p.waits)
	}
	if w := e.p.waits[0]; w+offset < deadline {
		t.Errorf("realtime deadline with a moving clock: the wait ends %d ns before the deadline", deadline-(w+offset))
	}
	e.p.step = 0
	// Bad clock id: an event with EINVAL, at once.
	e.p.waits = nil
	e.sub(0, 55, eventClock, 7, 1000, 0)
	evs, _ = e.poll(1)
	if len(evs) != 1 || evs[0].errno != uint16(abi.EINVAL) || len(e.p.waits) != 0 {
		t.Errorf("bad clock: %+v", evs)
	}
	e.check("subscriptions beyond memory", e.w.PollOneoff(0xffe0, 0x4000, 1, 0x20), abi.EFAULT)
	e.sub(0, 1, 9, 0, 0, 0)
	e.check("bad subscription type", e.w.PollOneoff(0x1000, 0x4000, 1, 0x20), abi.EINVAL)
}

func TestPollDevices(t *testing.T) {
	e := newEnv(t, true)
	net, _ := e.open("net0", 0, abi.RightFdRead|abi.RightFdWrite)
	disk, _ := e.open("disk0", 0, abi.RightFdRead|abi.RightFdWrite)

	// net0 becomes readable during the wait; the 1s timeout does not fire.
	e.sub(0, 1, eventFdRead, net, 0, 0)
	e.sub(1, 2, eventClock, 1, 1_000_000_000, 0)
	e.p.onWait = func() { e.net.in = append(e.net.in, make([]byte, 60)) }
	evs, errno := e.poll(2)
	if errno != 0 || len(evs) != 1 || evs[0].userdata != 1 || evs[0].typ != eventFdRead || evs[0].errno != 0 {
		t.Fatalf("net read: %+v errno %d", evs, errno)
	}
	if len(e.p.waits) != 1 || e.p.waits[0] != 1000+1_000_000_000 {
		t.Errorf("waits %v", e.p.waits)
	}

	// Everything ready at once comes back together, without waiting.
	e.p.waits, e.p.onWait = nil, nil
	e.sub(0, 1, eventFdRead, net, 0, 0)
	e.sub(1, 2, eventFdWrite, net, 0, 0)
	e.sub(2, 3, eventFdRead, disk, 0, 0)
	e.sub(3, 4, eventFdWrite, 1, 0, 0)
	e.sub(4, 5, eventFdRead, 77, 0, 0)
	e.sub(5, 6, eventFdRead, 1, 0, 0)
	e.sub(6, 7, eventClock, 1, 1_000_000, 0)
	evs, _ = e.poll(7)
	if len(evs) != 6 || len(e.p.waits) != 0 {
		t.Fatalf("events %+v, waits %v", evs, e.p.waits)
	}
	want := []event{
		{1, 0, eventFdRead, 114, 0},
		{2, 0, eventFdWrite, 114, 0},
		{3, 0, eventFdRead, 16 * 512, 0},
		{4, 0, eventFdWrite, 0, 0},
		{5, uint16(abi.EBADF), eventFdRead, 0, 0},
		{6, uint16(abi.EBADF), eventFdRead, 0, 0},
	}
	for i := range want {
		if evs[i] != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, evs[i], want[i])
		}
	}

	// Not writable until woken; stdin without input reports hangup.
	e.net.in, e.net.full = nil, true
	e.sub(0, 8, eventFdWrite, net, 0, 0)
	e.p.onWait = func() { e.net.full = false }
	evs, _ = e.poll(1)
	if len(evs) != 1 || evs[0].userdata != 8 || len(e.p.waits) != 1 {
		t.Errorf("net write: %+v waits %v", evs, e.p.waits)
	}
	e.sub(0, 9, eventFdRead, 0, 0, 0)
	evs, _ = e.poll(1)
	if len(evs) != 1 || evs[0].flags != eventHangup {
		t.Errorf("stdin: %+v", evs)
	}
}

func TestReaddir(t *testing.T) {
	e := newEnv(t, true)
	e.check("readdir", e.w.FdReaddir(DevFD, 0x1000, 1000, 0, 0x20), 0)
	used := e.u32(0x20)
	var names []string
	var types []byte
	for off := uint32(0x1000); off < 0x1000+used; {
		namlen := e.u32(off + 16)
		types = append(types, e.m.b[off+20])
		names = append(names, string(e.m.b[off+24:off+24+namlen]))
		off += 24 + namlen
	}
	if strings.Join(names, " ") != "net0 disk0" || !bytes.Equal(types, []byte{2, 1}) {
		t.Errorf("entries %q types %v", names, types)
	}
	// Cookie 1 resumes at disk0; a small buffer is filled completely.
	e.check("readdir from cookie", e.w.FdReaddir(DevFD, 0x1000, 1000, 1, 0x20), 0)
	if e.u32(0x20) != 24+5 || string(e.m.b[0x1000+24:0x1000+29]) != "disk0" || e.u64(0x1000) != 2 {
		t.Errorf("cookie 1: used %d", e.u32(0x20))
	}
	e.check("readdir small buffer", e.w.FdReaddir(DevFD, 0x1000, 30, 0, 0x20), 0)
	if e.u32(0x20) != 30 {
		t.Errorf("small buffer: used %d, want 30", e.u32(0x20))
	}
	e.check("readdir past the end", e.w.FdReaddir(DevFD, 0x1000, 100, 9, 0x20), 0)
	if e.u32(0x20) != 0 {
		t.Errorf("past the end: used %d", e.u32(0x20))
	}
	e.check("readdir on a file", e.w.FdReaddir(1, 0x1000, 100, 0, 0x20), abi.ENOTDIR)
}

func TestProcExit(t *testing.T) {
	e := newEnv(t, false)
	defer func() {
		if r := recover(); r != exitPanic(7) {
			t.Errorf("recovered %v, want exit 7", r)
		}
	}()
	e.w.ProcExit(7)
	t.Error("ProcExit returned")
}

func TestProvided(t *testing.T) {
	f, ok := Lookup("fd_write")
	if !ok || !f.Matches([]byte{0x7f, 0x7f, 0x7f, 0x7f}, []byte{0x7f}) || f.Matches([]byte{0x7f}, []byte{0x7f}) {
		t.Errorf("fd_write lookup/match wrong")
	}
	if _, ok := Lookup("proc_raise"); ok {
		t.Errorf("proc_raise is provided")
	}
	p, _ := Lookup("path_open")
	if s := p.Signature(); s != "(i32, i32, i32, i32, i32, i64, i64, i32, i32) -> i32" {
		t.Errorf("path_open signature %s", s)
	}
	if s := FormatSignature([]byte{0x7f}, nil); s != "(i32) -> ()" {
		t.Errorf("proc_exit signature %s", s)
	}
	// Invoke passes parameters through: clock_time_get(1, 0, 8).
	e := newEnv(t, false)
	c, _ := Lookup("clock_time_get")
	if r := c.Invoke(e.w, []uint64{1, 0, 8}); r != 0 || e.u64(8) != e.p.mono {
		t.Errorf("Invoke: %d, time %d", r, e.u64(8))
	}
}

// TestProvidedMatchesABI: shim.Provided is exactly abi.Functions.
func TestProvidedMatchesABI(t *testing.T) {
	if len(Provided) != len(abi.Functions) {
		t.Errorf("%d functions provided, abi lists %d", len(Provided), len(abi.Functions))
	}
	for i, af := range abi.Functions {
		if i < len(Provided) && Provided[i].Name != af.Name {
			t.Errorf("Provided[%d] is %s, abi.Functions[%d] is %s: keep the same order", i, Provided[i].Name, i, af.Name)
		}
		f, ok := Lookup(af.Name)
		var ps, rs []byte
		for _, p := range af.Params {
			ps = append(ps, byte(p))
		}
		for _, r := range af.Results {
			rs = append(rs, byte(r))
		}
		if !ok || !f.Matches(ps, rs) {
			t.Errorf("%s: provided %v, abi says %v", af.Name, ok, af)
		}
	}
}

// path stores s at 0x200 + 0x100*slot and returns its address and length.
func (e *env) path(slot uint32, s string) (uint32, uint32) {
	off := 0x200 + 0x100*slot
	copy(e.m.b[off:], s)
	return off, uint32(len(s))
}

func TestFdRenumber(t *testing.T) {
	e := newEnv(t, true)
	disk, _ := e.open("disk0", 0, abi.RightFdRead)
	net, _ := e.open("net0", 0, abi.RightFdRead)
	e.check("seek disk0", e.w.FdSeek(disk, 1024, 0, 0x20), 0)
	e.check("fd_renumber disk0 onto net0", e.w.FdRenumber(disk, net), 0)
	if f := e.w.file(net); f == nil || f.kind != kindDisk || f.pos != 1024 {
		t.Errorf("fd %d after renumber: %+v, want disk0 at position 1024", net, f)
	}
	e.check("old number closed", e.w.FdClose(disk), abi.EBADF)
	e.check("from a closed fd", e.w.FdRenumber(disk, net), abi.EBADF)
	e.check("onto a closed fd", e.w.FdRenumber(net, disk), abi.EBADF)
	e.check("onto a never-opened fd", e.w.FdRenumber(net, 99), abi.EBADF)
	e.check("onto itself", e.w.FdRenumber(net, net), 0)
	if f := e.w.file(net); f == nil || f.kind != kindDisk {
		t.Errorf("renumber onto itself closed fd %d", net)
	}

	// The console is ordinary: a net0 fd onto stdout sends frames from fd 1.
	n2, _ := e.open("net0", 0, abi.RightFdWrite)
	e.check("fd_renumber net0 onto stdout", e.w.FdRenumber(n2, 1), 0)
	copy(e.m.b[0x1000:], "\xff\xff\xff\xff\xff\xff\x52\x54\x00\x12\x34\x56\x08\x06")
	iovs, cnt := e.iovs(0x1000, 14)
	e.check("write fd 1 after renumber", e.w.FdWrite(1, iovs, cnt, 0x20), 0)
	if len(e.net.sent) != 1 || e.p.out.Len() != 0 {
		t.Errorf("%d frames sent, %d console bytes: fd 1 is not net0", len(e.net.sent), e.p.out.Len())
	}

	// The preopen moves with its object.
	dir, _ := e.open(".", 0, abi.RightFdReaddir)
	e.check("fd_renumber /dev onto another dir fd", e.w.FdRenumber(DevFD, dir), 0)
	e.check("prestat at the new number", e.w.FdPrestatGet(dir, 0x10), 0)
	e.check("prestat at 3", e.w.FdPrestatGet(DevFD, 0x10), abi.EBADF)
}

func TestFdFdstatSetRights(t *testing.T) {
	e := newEnv(t, true)
	disk, _ := e.open("disk0", 0, abi.RightFdRead)
	fewer := uint64(abi.RightFdRead | abi.RightFdSeek)
	e.check("drop rights", e.w.FdFdstatSetRights(disk, fewer, 0), 0)
	e.check("fdstat", e.w.FdFdstatGet(disk, 0x80), 0)
	if e.u64(0x88) != fewer || e.u64(0x90) != 0 {
		t.Errorf("rights after dropping: %x %x, want %x 0", e.u64(0x88), e.u64(0x90), fewer)
	}
	e.check("add a right back", e.w.FdFdstatSetRights(disk, fewer|abi.RightFdWrite, 0), abi.ENOTCAPABLE)
	e.check("same rights again", e.w.FdFdstatSetRights(disk, fewer, 0), 0)
	e.check("add an inheriting right", e.w.FdFdstatSetRights(disk, fewer, abi.RightFdRead), abi.ENOTCAPABLE)
	// Not enforced: a write without FD_WRITE still works.
	iovs, n := e.iovs(0x1000, 512)
	e.check("write without FD_WRITE", e.w.FdPwrite(disk, iovs, n, 0, 0x20), 0)
	// Directories: inheriting can be dropped too; another fd of the same kind keeps all.
	e.check("dir drop inheriting", e.w.FdFdstatSetRights(DevFD, abi.RightsDir, abi.RightsNet), 0)
	e.w.FdFdstatGet(DevFD, 0x80)
	if e.u64(0x90) != abi.RightsNet {
		t.Errorf("inheriting %x, want %x", e.u64(0x90), uint64(abi.RightsNet))
	}
	d2, _ := e.open(".", 0, abi.RightFdReaddir)
	e.w.FdFdstatGet(d2, 0x80)
	if e.u64(0x88) != abi.RightsDir || e.u64(0x90) != abi.RightsDirInheriting {
		t.Errorf("a new /dev fd has rights %x %x", e.u64(0x88), e.u64(0x90))
	}
	e.check("bad fd", e.w.FdFdstatSetRights(77, 0, 0), abi.EBADF)
}

func TestFdAllocate(t *testing.T) {
	e := newEnv(t, true)
	disk, _ := e.open("disk0", 0, abi.RightFdRead)
	net, _ := e.open("net0", 0, abi.RightFdRead)
	const size = 16 * 512
	for _, c := range []struct {
		fd       uint32
		off, len uint64
		want     abi.Errno
	}{
		{disk, 0, size, 0},
		{disk, 1, 7, 0}, // bytes, not sectors: no alignment
		{disk, size - 1, 1, 0},
		{disk, size, 1, abi.ENOSPC},
		{disk, size - 512, 1024, abi.ENOSPC},
		{disk, 1 << 40, 1, abi.ENOSPC},
		{disk, 0, 0, abi.EINVAL},
		{disk, 1 << 63, 1, abi.EINVAL},
		{disk, 0, 1 << 63, abi.EINVAL},
		{net, 0, 1, abi.ESPIPE},
		{1, 0, 1, abi.ESPIPE},
		{DevFD, 0, 1, abi.ESPIPE},
		{42, 0, 1, abi.EBADF},
	} {
		e.check("fd_allocate", e.w.FdAllocate(c.fd, c.off, c.len), c.want)
	}
}

func TestFdFilestatSetSize(t *testing.T) {
	e := newEnv(t, true)
	disk, _ := e.open("disk0", 0, abi.RightFdRead)
	net, _ := e.open("net0", 0, abi.RightFdRead)
	e.check("disk0 to its size", e.w.FdFilestatSetSize(disk, 16*512), 0)
	e.check("disk0 smaller", e.w.FdFilestatSetSize(disk, 0), abi.EINVAL)
	e.check("disk0 bigger", e.w.FdFilestatSetSize(disk, 17*512), abi.EINVAL)
	e.check("net0", e.w.FdFilestatSetSize(net, 0), abi.EINVAL)
	e.check("stdout", e.w.FdFilestatSetSize(1, 0), abi.EINVAL)
	e.check("/dev", e.w.FdFilestatSetSize(DevFD, 0), abi.EISDIR)
	e.check("bad fd", e.w.FdFilestatSetSize(42, 0), abi.EBADF)
	e.w.FdFilestatGet(disk, 0x40)
	if e.u64(0x40+32) != 16*512 {
		t.Errorf("disk0 size changed to %d", e.u64(0x40+32))
	}
}

func TestSetTimes(t *testing.T) {
	e := newEnv(t, true)
	disk, _ := e.open("disk0", 0, abi.RightFdRead)
	for _, c := range []struct {
		flags uint32
		want  abi.Errno
	}{
		{fstAtim | fstMtim, abi.ENOTSUP},
		{fstMtimNow, abi.ENOTSUP},
		{0, 0}, // nothing asked
		{fstAtim | fstAtimNow, abi.EINVAL},
		{fstMtim | fstMtimNow, abi.EINVAL},
		{1 << 4, abi.EINVAL},
	} {
		e.check("fd_filestat_set_times disk0", e.w.FdFilestatSetTimes(disk, 1, 2, c.flags), c.want)
		e.check("fd_filestat_set_times stdout", e.w.FdFilestatSetTimes(1, 1, 2, c.flags), c.want)
		p, n := e.path(0, "disk0")
		e.check("path_filestat_set_times disk0", e.w.PathFilestatSetTimes(DevFD, 0, p, n, 1, 2, c.flags), c.want)
		p, n = e.path(0, ".")
		e.check("path_filestat_set_times .", e.w.PathFilestatSetTimes(DevFD, 0, p, n, 1, 2, c.flags), c.want)
	}
	e.check("fd_filestat_set_times bad fd", e.w.FdFilestatSetTimes(42, 0, 0, fstAtimNow), abi.EBADF)
	p, n := e.path(0, "nope")
	e.check("path_filestat_set_times missing", e.w.PathFilestatSetTimes(DevFD, 0, p, n, 0, 0, fstAtimNow), abi.ENOENT)
	e.check("path_filestat_set_times missing, no flags", e.w.PathFilestatSetTimes(DevFD, 0, p, n, 0, 0, 0), abi.ENOENT)
	e.check("path_filestat_set_times relative to disk0", e.w.PathFilestatSetTimes(disk, 0, p, n, 0, 0, 0), abi.ENOTDIR)
	e.check("path_filestat_set_times bad dirfd", e.w.PathFilestatSetTimes(42, 0, p, n, 0, 0, 0), abi.EBADF)
	e.check("path_filestat_set_times fault", e.w.PathFilestatSetTimes(DevFD, 0, 0xfffe, 8, 0, 0, fstAtimNow), abi.EFAULT)
}

// TestFixedDirectory checks the errno table of abi/README.md for the calls that would
// change /dev.
func TestFixedDirectory(t *testing.T) {
	e := newEnv(t, true)
	disk, _ := e.open("disk0", 0, abi.RightFdRead)
	type row struct {
		call                      string
		dot, dev, absent, nowhere abi.Errno
	}
	single := map[string]func(dirfd, p, n uint32) abi.Errno{
		"path_create_directory": e.w.PathCreateDirectory,
		"path_unlink_file":      e.w.PathUnlinkFile,
		"path_remove_directory": e.w.PathRemoveDirectory,
		"path_readlink": func(dirfd, p, n uint32) abi.Errno {
			return e.w.PathReadlink(dirfd, p, n, 0x1000, 64, 0x20)
		},
		"path_symlink": func(dirfd, p, n uint32) abi.Errno {
			tp, tn := e.path(3, "disk0")
			return e.w.PathSymlink(tp, tn, dirfd, p, n)
		},
		// link and rename with disk0 as the source, the path as the target.
		"path_link": func(dirfd, p, n uint32) abi.Errno {
			sp, sn := e.path(3, "disk0")
			return e.w.PathLink(DevFD, 0, sp, sn, dirfd, p, n)
		},
		"path_rename": func(dirfd, p, n uint32) abi.Errno {
			sp, sn := e.path(3, "disk0")
			return e.w.PathRename(DevFD, sp, sn, dirfd, p, n)
		},
	}
	for _, r := range []row{
		{"path_create_directory", abi.EEXIST, abi.EEXIST, abi.EPERM, abi.ENOENT},
		{"path_unlink_file", abi.EISDIR, abi.EPERM, abi.ENOENT, abi.ENOENT},
		{"path_remove_directory", abi.EINVAL, abi.ENOTDIR, abi.ENOENT, abi.ENOENT},
		{"path_readlink", abi.EINVAL, abi.EINVAL, abi.ENOENT, abi.ENOENT},
		{"path_symlink", abi.EEXIST, abi.EEXIST, abi.EPERM, abi.ENOENT},
		{"path_link", abi.EEXIST, abi.EEXIST, abi.EPERM, abi.ENOENT},
		{"path_rename", abi.EBUSY, abi.EPERM, abi.EPERM, abi.ENOENT},
	} {
		call := single[r.call]
		for _, c := range []struct {
			path string
			want abi.Errno
		}{
			{".", r.dot}, {"disk0", r.dev}, {"net0", r.dev}, {"newdir", r.absent},
			{"", r.nowhere}, {"..", r.nowhere}, {"a/b", r.nowhere}, {"./disk0", r.nowhere}, {"disk0/", r.nowhere},
		} {
			p, n := e.path(0, c.path)
			e.check(r.call+" "+strconv.Quote(c.path), call(DevFD, p, n), c.want)
		}
		p, n := e.path(0, "newdir")
		e.check(r.call+" relative to disk0", call(disk, p, n), abi.ENOTDIR)
		e.check(r.call+" bad dirfd", call(42, p, n), abi.EBADF)
		e.check(r.call+" path fault", call(DevFD, 0xfffe, 8), abi.EFAULT)
		e.check(r.call+" path too long", call(DevFD, 0, maxPath+1), abi.ENAMETOOLONG)
	}

	// Sources of link and rename.
	sp, sn := e.path(0, "nope")
	tp, tn := e.path(1, "other")
	e.check("path_link missing source", e.w.PathLink(DevFD, 0, sp, sn, DevFD, tp, tn), abi.ENOENT)
	e.check("path_rename missing source", e.w.PathRename(DevFD, sp, sn, DevFD, tp, tn), abi.ENOENT)
	sp, sn = e.path(0, ".")
	e.check("path_link of a directory", e.w.PathLink(DevFD, 0, sp, sn, DevFD, tp, tn), abi.EPERM)
	e.check("path_rename of .", e.w.PathRename(DevFD, sp, sn, DevFD, tp, tn), abi.EBUSY)
	sp, sn = e.path(0, "disk0")
	e.check("path_link source dirfd not a dir", e.w.PathLink(disk, 0, sp, sn, DevFD, tp, tn), abi.ENOTDIR)
	e.check("path_rename target dirfd bad", e.w.PathRename(DevFD, sp, sn, 42, tp, tn), abi.EBADF)
	e.check("path_rename onto itself", e.w.PathRename(DevFD, sp, sn, DevFD, sp, sn), abi.EPERM)
	e.check("path_symlink empty target", e.w.PathSymlink(sp, 0, DevFD, tp, tn), abi.ENOENT)
	e.check("path_symlink target fault", e.w.PathSymlink(0xfffe, 8, DevFD, tp, tn), abi.EFAULT)

	// Absent devices are absent names; nothing changed.
	e2 := newEnv(t, false)
	p, n := e2.path(0, "disk0")
	e2.check("unlink absent disk0", e2.w.PathUnlinkFile(DevFD, p, n), abi.ENOENT)
	e2.check("mkdir absent disk0", e2.w.PathCreateDirectory(DevFD, p, n), abi.EPERM)
	if list := e.w.entries(); len(list) != 2 {
		t.Errorf("/dev now holds %d entries", len(list))
	}
}

// TestNoFmtNoReflect: package shim is compiled into the Xen image (DESIGN.md §4); it
// must not pull in fmt or reflect, directly or through what it imports (abi included).
func TestNoFmtNoReflect(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	for _, goos := range []string{"", "wasip1"} {
		cmd := exec.Command("go", "list", "-deps", ".")
		if goos != "" {
			cmd.Env = append(cmd.Environ(), "GOOS="+goos, "GOARCH=wasm")
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps (GOOS=%s): %v\n%s", goos, err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 3 || deps[len(deps)-1] != "github.com/mwasm/mwasm/shim" {
			t.Fatalf("go list -deps gave an unexpected list: %q", deps)
		}
		for _, p := range deps {
			if p == "fmt" || p == "reflect" {
				t.Errorf("package shim depends on %s (go list -deps, GOOS=%q): remove the import that pulls it in", p, goos)
			}
		}
	}
}

// offloadNet is a fakeNet that declares (or not) checksum offload.
type offloadNet struct {
	fakeNet
	on bool
}

func (n *offloadNet) ChecksumOffload() bool { return n.on }

func TestEnvChecksumOffload(t *testing.T) {
	for _, c := range []struct {
		dev  NetDevice
		want bool
	}{
		{&fakeNet{}, false},
		{&offloadNet{on: false}, false},
		{&offloadNet{on: true}, true},
	} {
		// A user's own entry of the fact's name never survives.
		w := New(&fakePlatform{t: t}, &sliceMem{make([]byte, 16)}, Config{Net: c.dev, Env: []string{abi.EnvNet0Offload + "=user"}})
		var got []string
		for _, kv := range w.Env() {
			if strings.HasPrefix(kv, abi.EnvNet0Offload+"=") {
				got = append(got, kv)
			}
		}
		if c.want && (len(got) != 1 || got[0] != abi.EnvNet0Offload+"=csum") || !c.want && len(got) != 0 {
			t.Errorf("%T (offload %v): environment has %q", c.dev, c.want, got)
		}
	}
}

// TestSockets: the socket calls answer EBADF for a closed descriptor, EINVAL/EFAULT
// for bad iovecs and pointers, and otherwise ENOTSOCK on every kind of open
// descriptor, touching nothing.
func TestSockets(t *testing.T) {
	e := newEnv(t, true)
	netFd, errno := e.open("net0", 0, abi.RightsNet)
	e.check("open net0", errno, 0)
	diskFd, errno := e.open("disk0", 0, abi.RightsDisk)
	e.check("open disk0", errno, 0)
	iovs, n := e.iovs(0x1000, 16)
	const bad = 0xfffe // a 4-byte result here leaves the 64 KiB memory
	for _, fd := range []uint32{0, 1, 2, DevFD, netFd, diskFd} {
		e.put32(0x20, 0xdeadbeef)
		e.check("sock_accept fd "+strconv.Itoa(int(fd)), e.w.SockAccept(fd, 0, 0x20), abi.ENOTSOCK)
		if e.u32(0x20) != 0xdeadbeef {
			t.Errorf("sock_accept on fd %d wrote a result %#x", fd, e.u32(0x20))
		}
		e.check("sock_recv fd "+strconv.Itoa(int(fd)), e.w.SockRecv(fd, iovs, n, 0, 0x20, 0x24), abi.ENOTSOCK)
		e.check("sock_send fd "+strconv.Itoa(int(fd)), e.w.SockSend(fd, iovs, n, 0, 0x20), abi.ENOTSOCK)
		e.check("sock_shutdown fd "+strconv.Itoa(int(fd)), e.w.SockShutdown(fd, 3), abi.ENOTSOCK)
	}
	if len(e.net.sent) != 0 {
		t.Errorf("sock_send sent %d frames on net0", len(e.net.sent))
	}
	for _, fd := range []uint32{9, 1 << 31} {
		e.check("sock_accept bad fd", e.w.SockAccept(fd, 0, 0x20), abi.EBADF)
		e.check("sock_recv bad fd", e.w.SockRecv(fd, iovs, n, 0, 0x20, 0x24), abi.EBADF)
		e.check("sock_send bad fd", e.w.SockSend(fd, iovs, n, 0, 0x20), abi.EBADF)
		e.check("sock_shutdown bad fd", e.w.SockShutdown(fd, 3), abi.EBADF)
		// EBADF comes before EFAULT.
		e.check("sock_accept bad fd and pointer", e.w.SockAccept(fd, 0, bad), abi.EBADF)
	}
	e.check("closed fd", e.w.FdClose(netFd), 0)
	e.check("sock_accept closed fd", e.w.SockAccept(netFd, 0, 0x20), abi.EBADF)
	// EFAULT comes before ENOTSOCK.
	e.check("sock_accept result fault", e.w.SockAccept(1, 0, bad), abi.EFAULT)
	e.check("sock_recv datalen fault", e.w.SockRecv(1, iovs, n, 0, bad, 0x24), abi.EFAULT)
	e.check("sock_recv flags fault", e.w.SockRecv(1, iovs, n, 0, 0x20, 0xffff), abi.EFAULT)
	e.check("sock_recv flags at the end", e.w.SockRecv(1, iovs, n, 0, 0x20, 0xfffe), abi.ENOTSOCK)
	e.check("sock_recv iovec array fault", e.w.SockRecv(1, 0xfffc, 1, 0, 0x20, 0x24), abi.EFAULT)
	e.check("sock_send datalen fault", e.w.SockSend(1, iovs, n, 0, bad), abi.EFAULT)
	iovs, n = e.iovs(0xfff0, 0x20)
	e.check("sock_send buffer fault", e.w.SockSend(1, iovs, n, 0, 0x20), abi.EFAULT)
	e.check("sock_recv buffer fault", e.w.SockRecv(1, iovs, n, 0, 0x20, 0x24), abi.EFAULT)
	e.check("sock_recv too many iovecs", e.w.SockRecv(1, 0x100, 1025, 0, 0x20, 0x24), abi.EINVAL)
	e.check("sock_send too many iovecs", e.w.SockSend(1, 0x100, 1025, 0, 0x20), abi.EINVAL)

	// Through Provided, as the hosts call them.
	for name, p := range map[string][]uint64{
		"sock_accept":   {1, 0, 0x20},
		"sock_recv":     {1, 0x100, 0, 0, 0x20, 0x24},
		"sock_send":     {1, 0x100, 0, 0, 0x20},
		"sock_shutdown": {1, 3},
	} {
		f, ok := Lookup(name)
		if !ok || len(f.Params) != len(p) {
			t.Errorf("%s: provided %v", name, ok)
			continue
		}
		if r := f.Invoke(e.w, p); r != uint64(abi.ENOTSOCK) {
			t.Errorf("%s via Invoke: %d, want ENOTSOCK", name, r)
		}
		if r := f.Invoke(e.w, append([]uint64{77}, p[1:]...)); r != uint64(abi.EBADF) {
			t.Errorf("%s via Invoke on fd 77: %d, want EBADF", name, r)
		}
	}
}

// fakeVnet is a fakeNet that is also a VnetDevice: net0v packets go to vsent
// and come from vin; a header with flags 0xff is refused as malformed.
type fakeVnet struct {
	fakeNet
	vin, vsent [][]byte
}

func (n *fakeVnet) RecvVnet(buf []byte) (int, error) {
	if len(n.vin) == 0 {
		return 0, ErrAgain
	}
	p := n.vin[0]
	n.vin = n.vin[1:]
	return copy(buf, p), nil
}

func (n *fakeVnet) SendVnet(p []byte) error {
	if p[0] == 0xff {
		return fmt.Errorf("fake: %w", ErrBadVnet)
	}
	n.vsent = append(n.vsent, append([]byte(nil), p...))
	return nil
}

// /dev/net0v exists only for a VnetDevice; it moves header and frame in one
// call, frames beyond the MTU included, and a malformed header is EINVAL.
func TestNetVnet(t *testing.T) {
	e := newEnv(t, true)
	if _, errno := e.open("net0v", 0, abi.RightFdRead|abi.RightFdWrite); errno != abi.ENOENT {
		t.Errorf("net0v on a plain device: errno %d, want ENOENT", errno)
	}
	v := &fakeVnet{}
	e.w = New(e.p, e.m, Config{Net: v})
	if list := e.w.entries(); len(list) != 2 || list[1].name != "net0v" {
		t.Errorf("/dev lists %v", list)
	}
	fd, errno := e.open("net0v", 0, abi.RightFdRead|abi.RightFdWrite)
	e.check("open net0v", errno, 0)
	big := uint32(abi.VnetHdrLen + 3000) // beyond net0's MTU of 100
	for i := uint32(0); i < big; i++ {
		e.m.b[0x4000+i] = byte(i)
	}
	iovs, n := e.iovs(0x4000, 7, 0x4007, big-7)
	e.check("send", e.w.FdWrite(fd, iovs, n, 0x20), 0)
	if len(v.vsent) != 1 || len(v.vsent[0]) != int(big) || v.vsent[0][2999] != byte(2999%256) || e.u32(0x20) != big {
		t.Errorf("sent %d packets", len(v.vsent))
	}
	iovs, n = e.iovs(0x4000, abi.VnetHdrLen+13)
	e.check("send runt", e.w.FdWrite(fd, iovs, n, 0x20), abi.EINVAL)
	e.m.b[0x4000] = 0xff
	iovs, n = e.iovs(0x4000, 100)
	e.check("send malformed", e.w.FdWrite(fd, iovs, n, 0x20), abi.EINVAL)
	v.vin = [][]byte{append(make([]byte, abi.VnetHdrLen), make([]byte, 2000)...)}
	iovs, n = e.iovs(0x8000, 4000)
	e.check("recv", e.w.FdRead(fd, iovs, n, 0x20), 0)
	if e.u32(0x20) != abi.VnetHdrLen+2000 {
		t.Errorf("recv %d bytes", e.u32(0x20))
	}
	e.check("recv nothing", e.w.FdRead(fd, iovs, n, 0x20), abi.EAGAIN)
}
