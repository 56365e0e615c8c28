// Package treetest checks, through the WASI calls an app makes, that a preopened
// directory tree (shim.Dir) keeps the app inside it: ".." above the root,
// absolute paths, symbolic links pointing out (absolute and relative, as the
// last component and in the middle of a path) and writes below a read-only
// preopen. shim/hosted runs it on host directories, shim/memfs on in-memory
// trees, so both homes of a tree are held to the same answers.
package treetest

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/mwasm/mwasm/abi"
	"github.com/mwasm/mwasm/shim"
)

// Mem is a shim.Memory over a byte slice.
type Mem struct{ B []byte }

func (m *Mem) Read(off uint32, dst []byte) bool {
	if uint64(off)+uint64(len(dst)) > uint64(len(m.B)) {
		return false
	}
	copy(dst, m.B[off:])
	return true
}

func (m *Mem) Write(off uint32, src []byte) bool {
	if uint64(off)+uint64(len(src)) > uint64(len(m.B)) {
		return false
	}
	copy(m.B[off:], src)
	return true
}

// Platform is a shim.Platform that needs nothing: a fixed clock, no input.
type Platform struct{ T *testing.T }

func (p Platform) Console(int, []byte) error    { return nil }
func (p Platform) Stdin() shim.Stdin            { return nil }
func (p Platform) Now(shim.Clock) uint64        { return 1_700_000_000_000_000_000 }
func (p Platform) Resolution(shim.Clock) uint64 { return 1 }
func (p Platform) Random(b []byte) error        { return nil }
func (p Platform) Wait(uint64)                  { p.T.Fatal("Wait called by a file test") }
func (p Platform) Exit(code uint32)             { p.T.Fatalf("Exit(%d) called by a file test", code) }

// Env is a WASI instance with preopens at fds 4, 5, ...
type Env struct {
	T *testing.T
	W *shim.WASI
	M *Mem
}

// New makes an Env over the given preopens.
func New(t *testing.T, dirs ...shim.Preopen) *Env {
	m := &Mem{B: make([]byte, 1<<16)}
	return &Env{T: t, M: m, W: shim.New(Platform{t}, m, shim.Config{Dirs: dirs})}
}

const (
	pathAt   = 0x1000
	path2At  = 0x2000
	resultAt = 0x3000
	iovAt    = 0x3100
	bufAt    = 0x4000
)

// All rights an app may ask for on a file.
const allRights = ^uint64(0) >> 35

func (e *Env) put(at uint32, s string) uint32 {
	copy(e.M.B[at:], s)
	return uint32(len(s))
}

// Open is path_open on dirfd: it returns the new fd or the errno.
func (e *Env) Open(dirfd uint32, path string, follow bool, oflags uint32, rights uint64) (uint32, abi.Errno) {
	n := e.put(pathAt, path)
	var lf uint32
	if follow {
		lf = 1
	}
	errno := e.W.PathOpen(dirfd, lf, pathAt, n, oflags, rights, rights, 0, resultAt)
	return binary.LittleEndian.Uint32(e.M.B[resultAt:]), errno
}

// Read reads up to n bytes from fd.
func (e *Env) Read(fd uint32, n int) (string, abi.Errno) {
	binary.LittleEndian.PutUint32(e.M.B[iovAt:], bufAt)
	binary.LittleEndian.PutUint32(e.M.B[iovAt+4:], uint32(n))
	errno := e.W.FdRead(fd, iovAt, 1, resultAt)
	if errno != abi.ESUCCESS {
		return "", errno
	}
	got := binary.LittleEndian.Uint32(e.M.B[resultAt:])
	return string(e.M.B[bufAt : bufAt+got]), errno
}

// Write writes s to fd.
func (e *Env) Write(fd uint32, s string) abi.Errno {
	n := e.put(bufAt, s)
	binary.LittleEndian.PutUint32(e.M.B[iovAt:], bufAt)
	binary.LittleEndian.PutUint32(e.M.B[iovAt+4:], n)
	return e.W.FdWrite(fd, iovAt, 1, resultAt)
}

// Readlink is path_readlink.
func (e *Env) Readlink(dirfd uint32, path string) (string, abi.Errno) {
	n := e.put(pathAt, path)
	errno := e.W.PathReadlink(dirfd, pathAt, n, bufAt, 512, resultAt)
	if errno != abi.ESUCCESS {
		return "", errno
	}
	return string(e.M.B[bufAt : bufAt+binary.LittleEndian.Uint32(e.M.B[resultAt:])]), errno
}

// Mkdir, Unlink, Rmdir, Symlink and Rename are the path_ calls of the same names.
func (e *Env) Mkdir(dirfd uint32, path string) abi.Errno {
	return e.W.PathCreateDirectory(dirfd, pathAt, e.put(pathAt, path))
}
func (e *Env) Unlink(dirfd uint32, path string) abi.Errno {
	return e.W.PathUnlinkFile(dirfd, pathAt, e.put(pathAt, path))
}
func (e *Env) Rmdir(dirfd uint32, path string) abi.Errno {
	return e.W.PathRemoveDirectory(dirfd, pathAt, e.put(pathAt, path))
}
func (e *Env) Symlink(target string, dirfd uint32, path string) abi.Errno {
	return e.W.PathSymlink(path2At, e.put(path2At, target), dirfd, pathAt, e.put(pathAt, path))
}
func (e *Env) Rename(dirfd uint32, from, to string) abi.Errno {
	return e.W.PathRename(dirfd, pathAt, e.put(pathAt, from), dirfd, path2At, e.put(path2At, to))
}

// Expect fails the test when got is not want.
func (e *Env) Expect(what string, got, want abi.Errno) {
	e.T.Helper()
	if got != want {
		e.T.Errorf("%s: errno %d, want %d", what, got, want)
	}
}

// Layout is what Escapes needs in the tree it is given at fd 4 (writable):
//
//	file              a regular file holding FileText
//	sub/              a directory
//	abs  -> /...      a symbolic link to an absolute path (one that exists on the host)
//	up   -> ../...    a symbolic link to a path above the tree's root
//	subup -> sub/../..  a link that climbs out through a directory
//
// and, at fd 5, a read-only preopen holding "file" with FileText too.
const FileText = "inside\n"

// Escapes runs the checks on an Env built over a tree with the Layout.
func Escapes(e *Env) {
	const root, ro = 4, 5
	t := e.T
	t.Helper()

	// A file inside can be read: the checks below fail for the right reason.
	fd, errno := e.Open(root, "file", false, 0, allRights)
	e.Expect("open file", errno, abi.ESUCCESS)
	if got, _ := e.Read(fd, 64); got != FileText {
		t.Errorf("read file: %q, want %q", got, FileText)
	}
	e.W.FdClose(fd)
	fd, errno = e.Open(root, "sub/../file", false, 0, allRights)
	e.Expect("open sub/../file", errno, abi.ESUCCESS)
	e.W.FdClose(fd)

	// "..": never above the root, however it is reached.
	for _, p := range []string{"..", "../", "../file", "sub/../../file", "./sub/../../etc", "sub/../../../../../etc/passwd"} {
		_, errno = e.Open(root, p, false, 0, allRights)
		e.Expect("open "+p, errno, abi.EPERM)
		_, errno = e.Open(root, p, true, 0, allRights)
		e.Expect("open (follow) "+p, errno, abi.EPERM)
	}
	e.Expect("mkdir ../x", e.Mkdir(root, "../x"), abi.EPERM)
	e.Expect("unlink ../file", e.Unlink(root, "../file"), abi.EPERM)
	e.Expect("rename file ../x", e.Rename(root, "file", "../x"), abi.EPERM)
	e.Expect("symlink ../x", e.Symlink("file", root, "../x"), abi.EPERM)

	// An absolute path.
	_, errno = e.Open(root, "/etc/passwd", true, 0, allRights)
	e.Expect("open /etc/passwd", errno, abi.EPERM)

	// Links pointing out, followed: the last component, and in the middle.
	for _, p := range []string{"abs", "up", "subup", "abs/", "up/", "subup/x"} {
		_, errno = e.Open(root, p, true, 0, allRights)
		e.Expect("open (follow) "+p, errno, abi.EPERM)
	}
	// Not followed: a link is not a file to open.
	for _, p := range []string{"abs", "up"} {
		_, errno = e.Open(root, p, false, 0, allRights)
		e.Expect("open (nofollow) "+p, errno, abi.ELOOP)
		if _, errno = e.Readlink(root, p); errno != abi.ESUCCESS {
			t.Errorf("readlink %s: errno %d", p, errno)
		}
	}
	// Creating through a link that points out creates nothing outside.
	_, errno = e.Open(root, "up", true, 1 /* CREAT */, allRights)
	e.Expect("create through up", errno, abi.EPERM)

	// A link made by the app to a path outside can be made (it is only a string)
	// but never followed out.
	e.Expect("symlink ../../etc", e.Symlink("../../etc", root, "mine"), abi.ESUCCESS)
	_, errno = e.Open(root, "mine/passwd", true, 0, allRights)
	e.Expect("open mine/passwd", errno, abi.EPERM)
	e.Expect("unlink mine", e.Unlink(root, "mine"), abi.ESUCCESS)

	// A read-only preopen: reads yes, every change EROFS, and nothing changed.
	fd, errno = e.Open(ro, "file", false, 0, abi.RightFdRead)
	e.Expect("open ro file for reading", errno, abi.ESUCCESS)
	if got, _ := e.Read(fd, 64); got != FileText {
		t.Errorf("read ro file: %q, want %q", got, FileText)
	}
	e.W.FdClose(fd)
	// Go's os.Open asks for FD_FILESTAT_SET_SIZE even to read: still a read.
	fd, errno = e.Open(ro, "file", false, 0, abi.RightFdRead|abi.RightFdFilestatSetSize|abi.RightFdSeek)
	e.Expect("open ro file as Go's os.Open does", errno, abi.ESUCCESS)
	e.Expect("fd_filestat_set_size on it (as ftruncate on a read-only descriptor)", e.W.FdFilestatSetSize(fd, 0), abi.EINVAL)
	e.W.FdClose(fd)
	_, errno = e.Open(ro, "file", false, 0, abi.RightFdWrite)
	e.Expect("open ro file for writing", errno, abi.EROFS)
	_, errno = e.Open(ro, "file", false, 8 /* TRUNC */, abi.RightFdRead)
	e.Expect("truncate ro file", errno, abi.EROFS)
	_, errno = e.Open(ro, "new", false, 1 /* CREAT */, allRights)
	e.Expect("create in ro", errno, abi.EROFS)
	e.Expect("mkdir in ro", e.Mkdir(ro, "d"), abi.EROFS)
	e.Expect("unlink in ro", e.Unlink(ro, "file"), abi.EROFS)
	e.Expect("symlink in ro", e.Symlink("file", ro, "l"), abi.EROFS)
	e.Expect("rename in ro", e.Rename(ro, "file", "moved"), abi.EROFS)
	fd, errno = e.Open(ro, "file", false, 0, abi.RightFdRead)
	e.Expect("open ro file again", errno, abi.ESUCCESS)
	if got, _ := e.Read(fd, 64); got != FileText {
		t.Errorf("ro file after the refused changes: %q, want %q", got, FileText)
	}
	e.Expect("write to a read-only handle", e.Write(fd, "x"), abi.EBADF)
	e.W.FdClose(fd)
}

// HostLayout makes treetest's layout under a temporary directory: root/ (the
// writable preopen), ro/ (the read-only one) and outside/, which must stay out
// of reach. It returns the three paths.
func HostLayout(t *testing.T) (root, ro, outside string) {
	t.Helper()
	base := t.TempDir()
	root, ro, outside = filepath.Join(base, "root"), filepath.Join(base, "ro"), filepath.Join(base, "outside")
	for _, d := range []string{root, ro, outside, filepath.Join(root, "sub"), filepath.Join(outside, "x")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(root, "file"), FileText)
	write(filepath.Join(ro, "file"), FileText)
	write(filepath.Join(outside, "secret"), "secret\n")
	for name, target := range map[string]string{
		"abs":   filepath.Join(outside, "secret"),
		"up":    "../outside/secret",
		"subup": "sub/../../outside",
	} {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	return root, ro, outside
}
