//go:build linux

package hosted

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/mwasm/mwasm/abi"
	"github.com/mwasm/mwasm/shim"
)

// A host directory preopened for the app (mwasm run --dir). Every call works on
// a directory descriptor with the *at system calls and O_NOFOLLOW, one path
// component at a time (package shim resolves paths), so no name the app gives,
// and no symbolic link swapped in while a call runs, reaches outside the
// directory: a swapped link makes the call fail (ELOOP or ENOTDIR), it is never
// followed.

// OpenHostDir opens the host directory path as a tree for the app.
func OpenHostDir(path string) (shim.Dir, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		var st unix.Stat_t
		if unix.Stat(path, &st) == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
			return nil, fmt.Errorf("%s is not a directory", path)
		}
		return nil, fmt.Errorf("cannot open directory %s: %v", path, err)
	}
	return &hostDir{fd: fd}, nil
}

type hostDir struct{ fd int }

type hostFile struct{ fd int }

// hostErrno maps a host error to its WASI errno.
func hostErrno(err error) abi.Errno {
	if err == nil {
		return abi.ESUCCESS
	}
	var en unix.Errno
	if !errors.As(err, &en) {
		return abi.EIO
	}
	switch en {
	case unix.EPERM:
		return abi.EPERM
	case unix.ENOENT:
		return abi.ENOENT
	case unix.EIO:
		return abi.EIO
	case unix.EBADF:
		return abi.EBADF
	case unix.EACCES:
		return abi.EACCES
	case unix.EEXIST:
		return abi.EEXIST
	case unix.EXDEV:
		return abi.EXDEV
	case unix.ENOTDIR:
		return abi.ENOTDIR
	case unix.EISDIR:
		return abi.EISDIR
	case unix.EINVAL:
		return abi.EINVAL
	case unix.EMFILE:
		return abi.EMFILE
	case unix.ENFILE:
		return abi.ENFILE
	case unix.EFBIG:
		return abi.EFBIG
	case unix.ENOSPC:
		return abi.ENOSPC
	case unix.EROFS:
		return abi.EROFS
	case unix.EMLINK:
		return abi.EMLINK
	case unix.ENAMETOOLONG:
		return abi.ENAMETOOLONG
	case unix.ENOTEMPTY:
		return abi.ENOTEMPTY
	case unix.ELOOP:
		return abi.ELOOP
	case unix.EBUSY:
		return abi.EBUSY
	case unix.ETXTBSY:
		return abi.ETXTBSY
	case unix.EOPNOTSUPP:
		return abi.ENOTSUP
	case unix.EAGAIN:
		return abi.EAGAIN
	case unix.EDQUOT:
		return abi.EDQUOT
	case unix.ENXIO:
		return abi.ENXIO
	case unix.ENODEV:
		return abi.ENODEV
	case unix.EOVERFLOW:
		return abi.EOVERFLOW
	case unix.EILSEQ:
		return abi.EILSEQ
	case unix.ESPIPE:
		return abi.ESPIPE
	case unix.EINTR:
		return abi.EINTR
	case unix.ENOMEM:
		return abi.ENOMEM
	}
	return abi.EIO
}

func ts(t unix.Timespec) uint64 { return uint64(t.Sec)*1e9 + uint64(t.Nsec) }

func filestat(st *unix.Stat_t) shim.Filestat {
	return shim.Filestat{
		Dev: st.Dev, Ino: st.Ino, Type: shim.FiletypeOfMode(st.Mode), Nlink: uint64(st.Nlink),
		Size: uint64(st.Size), Atim: ts(st.Atim), Mtim: ts(st.Mtim), Ctim: ts(st.Ctim),
	}
}

// retry repeats a call interrupted by a signal.
func retry(f func() error) error {
	for {
		err := f()
		if err != unix.EINTR {
			return err
		}
	}
}

func (d *hostDir) Stat() (shim.Filestat, abi.Errno) {
	var st unix.Stat_t
	if err := unix.Fstat(d.fd, &st); err != nil {
		return shim.Filestat{}, hostErrno(err)
	}
	return filestat(&st), abi.ESUCCESS
}

func (d *hostDir) Lstat(name string) (shim.Filestat, abi.Errno) {
	var st unix.Stat_t
	if err := unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return shim.Filestat{}, hostErrno(err)
	}
	return filestat(&st), abi.ESUCCESS
}

func (d *hostDir) openat(name string, flags int, mode uint32) (int, error) {
	var fd int
	err := retry(func() (err error) {
		fd, err = unix.Openat(d.fd, name, flags|unix.O_NOFOLLOW|unix.O_CLOEXEC, mode)
		return err
	})
	return fd, err
}

func (d *hostDir) OpenDir(name string) (shim.Dir, abi.Errno) {
	fd, err := d.openat(name, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, hostErrno(err)
	}
	return &hostDir{fd: fd}, abi.ESUCCESS
}

func (d *hostDir) OpenFile(name string, flags int) (shim.File, abi.Errno) {
	of := unix.O_RDONLY | unix.O_NONBLOCK // never wait on a FIFO
	if flags&shim.OpenWrite != 0 {
		of = unix.O_RDWR | unix.O_NONBLOCK
	}
	if flags&shim.OpenCreate != 0 {
		of |= unix.O_CREAT
	}
	if flags&shim.OpenExcl != 0 {
		of |= unix.O_EXCL
	}
	if flags&shim.OpenTrunc != 0 {
		of |= unix.O_TRUNC
	}
	fd, err := d.openat(name, of, 0o666)
	if err == unix.EACCES && flags&shim.OpenWrite != 0 {
		fd, err = d.openat(name, of&^unix.O_RDWR|unix.O_WRONLY, 0o666)
	}
	if err != nil {
		return nil, hostErrno(err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, hostErrno(err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		unix.Close(fd)
		return nil, abi.EISDIR
	}
	return &hostFile{fd: fd}, abi.ESUCCESS
}

func (d *hostDir) Mkdir(name string) abi.Errno {
	return hostErrno(unix.Mkdirat(d.fd, name, 0o777))
}

func (d *hostDir) Rmdir(name string) abi.Errno {
	return hostErrno(unix.Unlinkat(d.fd, name, unix.AT_REMOVEDIR))
}

func (d *hostDir) Unlink(name string) abi.Errno {
	return hostErrno(unix.Unlinkat(d.fd, name, 0))
}

func (d *hostDir) Symlink(target, name string) abi.Errno {
	return hostErrno(unix.Symlinkat(target, d.fd, name))
}

func (d *hostDir) Readlink(name string) (string, abi.Errno) {
	for size := 256; ; size *= 2 {
		b := make([]byte, size)
		n, err := unix.Readlinkat(d.fd, name, b)
		if err != nil {
			return "", hostErrno(err)
		}
		if n < size {
			return string(b[:n]), abi.ESUCCESS
		}
	}
}

func (d *hostDir) other(to shim.Dir) (*hostDir, abi.Errno) {
	t, ok := to.(*hostDir)
	if !ok {
		return nil, abi.EXDEV
	}
	return t, abi.ESUCCESS
}

func (d *hostDir) Link(name string, to shim.Dir, toName string) abi.Errno {
	t, e := d.other(to)
	if e != abi.ESUCCESS {
		return e
	}
	return hostErrno(unix.Linkat(d.fd, name, t.fd, toName, 0))
}

func (d *hostDir) Rename(name string, to shim.Dir, toName string) abi.Errno {
	t, e := d.other(to)
	if e != abi.ESUCCESS {
		return e
	}
	return hostErrno(unix.Renameat(d.fd, name, t.fd, toName))
}

// timespecs turns WASI times and fstflags into utimensat's pair.
func timespecs(atim, mtim uint64, flags uint32) [2]unix.Timespec {
	pick := func(t uint64, set, now uint32) unix.Timespec {
		switch {
		case flags&now != 0:
			return unix.Timespec{Nsec: unix.UTIME_NOW}
		case flags&set != 0:
			return unix.NsecToTimespec(int64(t))
		}
		return unix.Timespec{Nsec: unix.UTIME_OMIT}
	}
	return [2]unix.Timespec{pick(atim, 1, 2), pick(mtim, 4, 8)}
}

func (d *hostDir) SetTimes(name string, atim, mtim uint64, flags uint32) abi.Errno {
	t := timespecs(atim, mtim, flags)
	return hostErrno(unix.UtimesNanoAt(d.fd, name, t[:], unix.AT_SYMLINK_NOFOLLOW))
}

func (d *hostDir) Entries() ([]shim.Dirent, abi.Errno) {
	fd, err := d.openat(".", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, hostErrno(err)
	}
	defer unix.Close(fd)
	var list []shim.Dirent
	buf := make([]byte, 32<<10)
	for {
		n, err := unix.Getdents(fd, buf)
		if err != nil {
			return nil, hostErrno(err)
		}
		if n <= 0 {
			break
		}
		// struct linux_dirent64 { u64 ino; s64 off; u16 reclen; u8 type; char name[]; }
		for b := buf[:n]; len(b) >= 19; {
			reclen := int(binary.LittleEndian.Uint16(b[16:]))
			if reclen < 19 || reclen > len(b) {
				return nil, abi.EIO
			}
			name := b[19:reclen]
			for i, c := range name {
				if c == 0 {
					name = name[:i]
					break
				}
			}
			list = append(list, shim.Dirent{
				Name: string(name), Ino: binary.LittleEndian.Uint64(b), Type: direntType(b[18]),
			})
			b = b[reclen:]
		}
	}
	// "." and ".." first, as the interface promises.
	out := make([]shim.Dirent, 0, len(list))
	for _, want := range []string{".", ".."} {
		for _, e := range list {
			if e.Name == want {
				out = append(out, e)
			}
		}
	}
	for _, e := range list {
		if e.Name != "." && e.Name != ".." {
			out = append(out, e)
		}
	}
	return out, abi.ESUCCESS
}

func direntType(t uint8) uint8 {
	switch t {
	case unix.DT_DIR:
		return shim.FiletypeDirectory
	case unix.DT_REG:
		return shim.FiletypeRegular
	case unix.DT_LNK:
		return shim.FiletypeSymlink
	case unix.DT_CHR:
		return shim.FiletypeCharacter
	case unix.DT_BLK:
		return shim.FiletypeBlock
	case unix.DT_SOCK:
		return shim.FiletypeSocket
	}
	return shim.FiletypeUnknown
}

func (d *hostDir) Close() { unix.Close(d.fd) }

func (f *hostFile) ReadAt(p []byte, off uint64) (int, abi.Errno) {
	if off > 1<<63-1 {
		return 0, abi.ESUCCESS
	}
	var n int
	err := retry(func() (err error) { n, err = unix.Pread(f.fd, p, int64(off)); return err })
	if err != nil {
		return 0, hostErrno(err)
	}
	return n, abi.ESUCCESS
}

func (f *hostFile) WriteAt(p []byte, off uint64) (int, abi.Errno) {
	done := 0
	for done < len(p) {
		var n int
		err := retry(func() (err error) { n, err = unix.Pwrite(f.fd, p[done:], int64(off)+int64(done)); return err })
		done += n
		if err != nil {
			return done, hostErrno(err)
		}
		if n == 0 {
			return done, abi.EIO
		}
	}
	return done, abi.ESUCCESS
}

func (f *hostFile) Stat() (shim.Filestat, abi.Errno) {
	var st unix.Stat_t
	if err := unix.Fstat(f.fd, &st); err != nil {
		return shim.Filestat{}, hostErrno(err)
	}
	return filestat(&st), abi.ESUCCESS
}

func (f *hostFile) Truncate(size uint64) abi.Errno {
	return hostErrno(retry(func() error { return unix.Ftruncate(f.fd, int64(size)) }))
}

func (f *hostFile) Allocate(off, n uint64) abi.Errno {
	err := retry(func() error { return unix.Fallocate(f.fd, 0, int64(off), int64(n)) })
	if err == unix.EOPNOTSUPP {
		// The file system cannot reserve space: at least make the file as long.
		st, e := f.Stat()
		if e != abi.ESUCCESS {
			return e
		}
		if off+n > st.Size {
			return f.Truncate(off + n)
		}
		return abi.ESUCCESS
	}
	return hostErrno(err)
}

func (f *hostFile) SetTimes(atim, mtim uint64, flags uint32) abi.Errno {
	t := timespecs(atim, mtim, flags)
	// utimensat(fd, NULL, times, 0) sets the times of the open file itself.
	_, _, en := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(f.fd), 0, uintptr(unsafe.Pointer(&t[0])), 0, 0, 0)
	if en != 0 {
		return hostErrno(en)
	}
	return abi.ESUCCESS
}

func (f *hostFile) Sync() abi.Errno {
	return hostErrno(retry(func() error { return unix.Fsync(f.fd) }))
}

func (f *hostFile) Close() { unix.Close(f.fd) }
