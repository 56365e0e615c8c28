//go:build wasip1

package main

import (
	"errors"
	"io/fs"
	"os"

	"github.com/mwasm/mwasm/abi"
)

// checkDescriptorOps checks fd_renumber, fd_fdstat_set_rights and the calls that
// would resize or retime a descriptor, on descriptors every shim has (the console and
// /dev); checkDiskFixed does disk0.
func checkDescriptorOps() {
	// fd_renumber moves an object onto an open number and closes the old one.
	a, e1 := openAt(abi.PreopenFD, ".", abi.OflagDirectory, abi.RightsDir, 0)
	b, e2 := openAt(abi.PreopenFD, ".", abi.OflagDirectory, abi.RightsDir, 0)
	if e1 != abi.ESUCCESS || e2 != abi.ESUCCESS {
		fail("fd_renumber", "opening . twice: errno %d, %d", e1, e2)
	} else {
		check("fd_fdstat_set_rights drop FD_READDIR", want(abi.Errno(fd_fdstat_set_rights(a, abi.RightsDir&^abi.RightFdReaddir, 0)), abi.ESUCCESS))
		e := abi.Errno(fd_renumber(a, b))
		st, eb := fdstatOf(b)
		_, ea := fdstatOf(a)
		switch {
		case e != abi.ESUCCESS:
			fail("fd_renumber", "errno %d", e)
		case eb != abi.ESUCCESS || st.filetype != abi.FiletypeDirectory || st.rightsBase != abi.RightsDir&^abi.RightFdReaddir || st.rightsInheriting != 0:
			fail("fd_renumber", "fd %d after renumbering %d onto it: errno %d, filetype %d, rights 0x%x/0x%x (want the moved object's)",
				b, a, eb, st.filetype, st.rightsBase, st.rightsInheriting)
		case ea != abi.EBADF:
			fail("fd_renumber", "the old number %d still answers fd_fdstat_get (errno %d), want EBADF", a, ea)
		default:
			pass("fd_renumber")
		}
		check("fd_renumber from a closed fd EBADF", want(abi.Errno(fd_renumber(a, b)), abi.EBADF))
		check("fd_renumber onto a closed fd EBADF", want(abi.Errno(fd_renumber(b, a)), abi.EBADF))
		check("fd_renumber onto itself", want(abi.Errno(fd_renumber(b, b)), abi.ESUCCESS))
		check("fd_fdstat_set_rights add ENOTCAPABLE", want(abi.Errno(fd_fdstat_set_rights(b, abi.RightsDir, 0)), abi.ENOTCAPABLE))
		fd_close(b)
	}
	check("fd_renumber bad fd EBADF", want(abi.Errno(fd_renumber(99, 1)), abi.EBADF))
	check("fd_fdstat_set_rights bad fd EBADF", want(abi.Errno(fd_fdstat_set_rights(99, 0, 0)), abi.EBADF))
	check("fd_fdstat_set_rights console unchanged", want(abi.Errno(fd_fdstat_set_rights(1, abi.RightsConsole, 0)), abi.ESUCCESS))

	check("fd_allocate 1 ESPIPE", want(abi.Errno(fd_allocate(1, 0, 1)), abi.ESPIPE))
	check("fd_allocate 3 ESPIPE", want(abi.Errno(fd_allocate(abi.PreopenFD, 0, 1)), abi.ESPIPE))
	check("fd_allocate bad fd EBADF", want(abi.Errno(fd_allocate(99, 0, 1)), abi.EBADF))
	check("fd_filestat_set_size 1 EINVAL", want(abi.Errno(fd_filestat_set_size(1, 0)), abi.EINVAL))
	check("fd_filestat_set_size 3 EISDIR", want(abi.Errno(fd_filestat_set_size(abi.PreopenFD, 0)), abi.EISDIR))
	check("fd_filestat_set_size bad fd EBADF", want(abi.Errno(fd_filestat_set_size(99, 0)), abi.EBADF))
	check("fd_filestat_set_times 1 ENOTSUP", want(abi.Errno(fd_filestat_set_times(1, 1, 2, abi.FstflagAtim|abi.FstflagMtim)), abi.ENOTSUP))
	check("fd_filestat_set_times 3 MTIM_NOW ENOTSUP", want(abi.Errno(fd_filestat_set_times(abi.PreopenFD, 0, 0, abi.FstflagMtimNow)), abi.ENOTSUP))
	check("fd_filestat_set_times nothing", want(abi.Errno(fd_filestat_set_times(1, 0, 0, 0)), abi.ESUCCESS))
	check("fd_filestat_set_times ATIM|ATIM_NOW EINVAL", want(abi.Errno(fd_filestat_set_times(1, 0, 0, abi.FstflagAtim|abi.FstflagAtimNow)), abi.EINVAL))
	check("fd_filestat_set_times unknown flag EINVAL", want(abi.Errno(fd_filestat_set_times(1, 0, 0, 1<<4)), abi.EINVAL))
	check("fd_filestat_set_times bad fd EBADF", want(abi.Errno(fd_filestat_set_times(99, 0, 0, 0)), abi.EBADF))
	check("path_filestat_set_times . ENOTSUP", want(setTimesAt(abi.PreopenFD, ".", abi.FstflagMtim), abi.ENOTSUP))
	check("path_filestat_set_times nope ENOENT", want(setTimesAt(abi.PreopenFD, "nope", abi.FstflagMtim), abi.ENOENT))
	check("path_filestat_set_times relative to fd 1 ENOTDIR", want(setTimesAt(1, ".", abi.FstflagMtim), abi.ENOTDIR))
}

// checkFixedDir checks the calls that would change /dev, which is fixed when the
// image is built: the errno table of abi/README.md, section 2.
func checkFixedDir(env map[string]string) {
	type row struct {
		name                      string
		call                      func(path string) abi.Errno
		dot, dev, absent, nowhere abi.Errno
	}
	rows := []row{
		{"path_create_directory", func(p string) abi.Errno { return mkdirAt(abi.PreopenFD, p) },
			abi.EEXIST, abi.EEXIST, abi.EPERM, abi.ENOENT},
		{"path_unlink_file", func(p string) abi.Errno { return unlinkAt(abi.PreopenFD, p) },
			abi.EISDIR, abi.EPERM, abi.ENOENT, abi.ENOENT},
		{"path_remove_directory", func(p string) abi.Errno { return rmdirAt(abi.PreopenFD, p) },
			abi.EINVAL, abi.ENOTDIR, abi.ENOENT, abi.ENOENT},
		{"path_readlink", func(p string) abi.Errno { return readlinkAt(abi.PreopenFD, p) },
			abi.EINVAL, abi.EINVAL, abi.ENOENT, abi.ENOENT},
		{"path_symlink", func(p string) abi.Errno { return symlinkAt("net0", abi.PreopenFD, p) },
			abi.EEXIST, abi.EEXIST, abi.EPERM, abi.ENOENT},
		{"path_link", func(p string) abi.Errno { return linkAt(abi.PreopenFD, ".", abi.PreopenFD, p) },
			abi.EEXIST, abi.EEXIST, abi.EPERM, abi.ENOENT},
		{"path_rename", func(p string) abi.Errno { return renameAt(abi.PreopenFD, ".", abi.PreopenFD, p) },
			abi.EBUSY, abi.EBUSY, abi.EBUSY, abi.ENOENT},
	}
	devs := devicesFrom(env)
	for _, r := range rows {
		check(r.name+" .", want(r.call("."), r.dot))
		check(r.name+" newname", want(r.call("newname"), r.absent))
		check(r.name+" a/b", want(r.call("a/b"), r.nowhere))
		check(r.name+" ..", want(r.call(".."), r.nowhere))
		for _, d := range devs {
			check(r.name+" "+d, want(r.call(d), r.dev))
		}
	}
	for _, d := range []string{abi.NetDev, abi.DiskDev} {
		present := false
		for _, x := range devs {
			present = present || x == d
		}
		if !present {
			check("path_unlink_file absent "+d+" ENOENT", want(unlinkAt(abi.PreopenFD, d), abi.ENOENT))
		}
	}
	check("path_create_directory relative to fd 1 ENOTDIR", want(mkdirAt(1, "x"), abi.ENOTDIR))
	check("path_unlink_file bad dirfd EBADF", want(unlinkAt(99, "x"), abi.EBADF))
	check("path_link missing source ENOENT", want(linkAt(abi.PreopenFD, "nope", abi.PreopenFD, "newname"), abi.ENOENT))
	check("path_rename missing source ENOENT", want(renameAt(abi.PreopenFD, "nope", abi.PreopenFD, "newname"), abi.ENOENT))
	check("path_symlink empty target ENOENT", want(symlinkAt("", abi.PreopenFD, "newname"), abi.ENOENT))
	for _, d := range devs {
		check("path_rename "+d+" EPERM", want(renameAt(abi.PreopenFD, d, abi.PreopenFD, "newname"), abi.EPERM))
		check("path_link "+d+" EPERM", want(linkAt(abi.PreopenFD, d, abi.PreopenFD, "newname"), abi.EPERM))
	}
	if len(devs) > 0 {
		// Nothing above changed /dev.
		buf, e := readdir(abi.PreopenFD, 4096, 0)
		if got := parseDirents(buf); e != abi.ESUCCESS || len(got) != len(devs) {
			fail("fd_readdir after the refused changes", "errno %d, %d entries, want %d", e, len(got), len(devs))
		} else {
			pass("fd_readdir after the refused changes")
		}
	}

	// What Go's os package makes of these errnos: the errors a Go program tests for.
	err := os.Remove("/dev/nope")
	if !errors.Is(err, fs.ErrNotExist) {
		fail("os.Remove missing is ErrNotExist", "%v", err)
	} else {
		pass("os.Remove missing is ErrNotExist")
	}
	if err := os.RemoveAll("/dev/nope"); err != nil {
		fail("os.RemoveAll missing", "%v", err)
	} else {
		pass("os.RemoveAll missing")
	}
	if err := os.Mkdir("/dev/newdir", 0o755); !errors.Is(err, fs.ErrPermission) {
		fail("os.Mkdir is ErrPermission", "%v", err)
	} else {
		pass("os.Mkdir is ErrPermission")
	}
	if err := os.MkdirAll("/dev", 0o755); err != nil {
		fail("os.MkdirAll /dev", "%v", err)
	} else {
		pass("os.MkdirAll /dev")
	}
	if err := os.Mkdir("/dev", 0o755); !errors.Is(err, fs.ErrExist) {
		fail("os.Mkdir /dev is ErrExist", "%v", err)
	} else {
		pass("os.Mkdir /dev is ErrExist")
	}
	for _, d := range devs {
		if _, err := os.Readlink("/dev/" + d); err == nil {
			fail("os.Readlink "+d, "succeeded on a device")
		} else {
			pass("os.Readlink " + d)
		}
		if err := os.Remove("/dev/" + d); !errors.Is(err, fs.ErrPermission) {
			fail("os.Remove "+d+" is ErrPermission", "%v", err)
		} else {
			pass("os.Remove " + d + " is ErrPermission")
		}
	}
}

// checkDiskFixed checks fd_allocate, fd_filestat_set_size, the set_times calls and
// fd_renumber on disk0 (fd is open on it; size is its size in bytes).
func checkDiskFixed(fd uint32, size, sector uint64) {
	check("fd_allocate disk0 whole", want(abi.Errno(fd_allocate(fd, 0, size)), abi.ESUCCESS))
	check("fd_allocate disk0 last byte", want(abi.Errno(fd_allocate(fd, size-1, 1)), abi.ESUCCESS))
	check("fd_allocate disk0 past the end ENOSPC", want(abi.Errno(fd_allocate(fd, size-sector, 2*sector)), abi.ENOSPC))
	check("fd_allocate disk0 at the end ENOSPC", want(abi.Errno(fd_allocate(fd, size, 1)), abi.ENOSPC))
	check("fd_allocate disk0 length 0 EINVAL", want(abi.Errno(fd_allocate(fd, 0, 0)), abi.EINVAL))
	check("fd_filestat_set_size disk0 to its size", want(abi.Errno(fd_filestat_set_size(fd, size)), abi.ESUCCESS))
	check("fd_filestat_set_size disk0 smaller EINVAL", want(abi.Errno(fd_filestat_set_size(fd, size-sector)), abi.EINVAL))
	check("fd_filestat_set_size disk0 bigger EINVAL", want(abi.Errno(fd_filestat_set_size(fd, size+sector)), abi.EINVAL))
	if fs, e := filestatOf(fd); e != abi.ESUCCESS || fs.size != size {
		fail("disk0 size unchanged", "errno %d, size %d, want %d", e, fs.size, size)
	} else {
		pass("disk0 size unchanged")
	}
	check("fd_filestat_set_times disk0 ENOTSUP", want(abi.Errno(fd_filestat_set_times(fd, 1, 2, abi.FstflagMtim)), abi.ENOTSUP))
	check("path_filestat_set_times disk0 ENOTSUP", want(setTimesAt(abi.PreopenFD, abi.DiskDev, abi.FstflagAtimNow), abi.ENOTSUP))

	// fd_renumber carries the position along.
	d2, e1 := openAt(abi.PreopenFD, abi.DiskDev, 0, abi.RightsDisk, 0)
	dir, e2 := openAt(abi.PreopenFD, ".", 0, abi.RightsDir, 0)
	if e1 != abi.ESUCCESS || e2 != abi.ESUCCESS {
		fail("fd_renumber disk0", "opening: errno %d, %d", e1, e2)
		return
	}
	seekFD(d2, int64(sector), abi.WhenceSet)
	e := abi.Errno(fd_renumber(d2, dir))
	pos, et := tellFD(dir)
	fs, ef := filestatOf(dir)
	if e != abi.ESUCCESS || et != abi.ESUCCESS || pos != sector || ef != abi.ESUCCESS || fs.filetype != abi.FiletypeBlockDevice {
		fail("fd_renumber disk0", "errno %d; at the new number: tell %d (errno %d), filetype %d (errno %d); want position %d, BLOCK_DEVICE",
			e, pos, et, fs.filetype, ef, sector)
	} else {
		pass("fd_renumber disk0")
	}
	fd_close(dir) // d2 was renumbered onto dir
}
