//go:build wasip1

package main

import "github.com/mwasm/mwasm/abi"

// checkDisk exercises /dev/disk0 when the environment announces it. It works on the
// last two sectors (one if the disk has only one) and restores what it overwrote.
func checkDisk(env map[string]string) {
	if _, ok := env[abi.EnvDisk0Sectors]; !ok {
		say("skip disk0: " + abi.EnvDisk0Sectors + " is not set")
		return
	}
	sector, ok1 := envInt(env, abi.EnvDisk0Sector)
	sectors, ok2 := envInt(env, abi.EnvDisk0Sectors)
	if !ok1 || !ok2 {
		return
	}
	size := sector * sectors
	last := size - sector

	fd, e := openAt(abi.PreopenFD, abi.DiskDev, 0, abi.RightsDisk, 0)
	if e != abi.ESUCCESS {
		fail("path_open disk0", "errno %d", e)
		return
	}
	pass("path_open disk0")
	defer func() { check("fd_close disk0", want(abi.Errno(fd_close(fd)), abi.ESUCCESS)) }()

	fs, e := filestatOf(fd)
	if e != abi.ESUCCESS || fs.filetype != abi.FiletypeBlockDevice || fs.size != size {
		fail("fd_filestat_get disk0", "errno %d, filetype %d, size %d; want BLOCK_DEVICE (%d), %d = %d x %d",
			e, fs.filetype, fs.size, abi.FiletypeBlockDevice, size, sectors, sector)
	} else {
		pass("fd_filestat_get disk0")
	}
	fs, e = pathFilestatOf(abi.PreopenFD, abi.DiskDev)
	if e != abi.ESUCCESS || fs.filetype != abi.FiletypeBlockDevice || fs.size != size {
		fail("path_filestat_get disk0", "errno %d, filetype %d, size %d", e, fs.filetype, fs.size)
	} else {
		pass("path_filestat_get disk0")
	}
	st, e := fdstatOf(fd)
	if e != abi.ESUCCESS || st.filetype != abi.FiletypeBlockDevice {
		fail("fd_fdstat_get disk0", "errno %d, filetype %d", e, st.filetype)
	} else {
		pass("fd_fdstat_get disk0")
	}

	// Save the last sector, then write, read back, and check.
	orig := alloc(int(sector))
	n, e := preadFD(fd, last, orig)
	if e != abi.ESUCCESS || n != uint32(sector) {
		fail("fd_pread disk0", "errno %d, %d of %d bytes", e, n, sector)
		return // nothing else is safe to try
	}
	pass("fd_pread disk0")

	pattern := alloc(int(sector))
	random_get(addr(pattern), uint32(len(pattern)))
	pattern[0] ^= 0xA5 // differ from orig even if the disk holds random bytes by chance
	if orig[0] == pattern[0] {
		pattern[0]++
	}
	n, e = pwriteFD(fd, last, pattern)
	if e != abi.ESUCCESS || n != uint32(sector) {
		fail("fd_pwrite disk0", "errno %d, %d of %d bytes", e, n, sector)
	} else {
		pass("fd_pwrite disk0")
	}
	back := alloc(int(sector))
	n, e = preadFD(fd, last, back)
	if e != abi.ESUCCESS || n != uint32(sector) || string(back) != string(pattern) {
		fail("fd_pwrite/fd_pread round trip", "errno %d, %d bytes, equal %v", e, n, string(back) == string(pattern))
	} else {
		pass("fd_pwrite/fd_pread round trip")
	}

	// Scatter/gather: only the total length must be a multiple of the sector size.
	half := int(sector / 2)
	g1, g2 := alloc(half), alloc(int(sector)-half)
	random_get(addr(g1), uint32(len(g1)))
	random_get(addr(g2), uint32(len(g2)))
	n, e = pwriteFD(fd, last, g1, g2)
	r1, r2 := alloc(int(sector)-half), alloc(half)
	n2, e2 := preadFD(fd, last, r1, r2)
	joinedW, joinedR := string(g1)+string(g2), string(r1)+string(r2)
	if e != abi.ESUCCESS || e2 != abi.ESUCCESS || n != uint32(sector) || n2 != uint32(sector) || joinedW != joinedR {
		fail("fd_pwrite/fd_pread two iovecs", "errno %d/%d, %d/%d bytes, equal %v", e, e2, n, n2, joinedW == joinedR)
	} else {
		pass("fd_pwrite/fd_pread two iovecs")
	}

	// Misuse. Each write below, if wrongly accepted, writes bytes the disk already
	// holds there (or the saved sector, restored at the end).
	if sectors >= 2 {
		two := alloc(int(2 * sector))
		if _, e := preadFD(fd, last-sector, two); e == abi.ESUCCESS {
			_, e = pwriteFD(fd, last-sector+1, two[1:1+sector])
			check("fd_pwrite unaligned offset EINVAL", want(e, abi.EINVAL))
		} else {
			fail("fd_pwrite unaligned offset EINVAL", "reading the last two sectors: errno %d", e)
		}
	}
	cur := alloc(int(sector))
	preadFD(fd, last, cur)
	_, e = pwriteFD(fd, last, cur[:sector-1])
	check("fd_pwrite unaligned length EINVAL", want(e, abi.EINVAL))
	_, e = pwriteFD(fd, size, cur)
	check("fd_pwrite at the end EINVAL", want(e, abi.EINVAL))
	straddle := alloc(int(2 * sector))
	copy(straddle, cur)
	_, e = pwriteFD(fd, last, straddle)
	check("fd_pwrite across the end EINVAL", want(e, abi.EINVAL))
	_, e = preadFD(fd, last, alloc(int(2*sector)))
	check("fd_pread across the end EINVAL", want(e, abi.EINVAL))
	_, e = preadFD(fd, 1, alloc(int(sector)))
	check("fd_pread unaligned offset EINVAL", want(e, abi.EINVAL))
	n, e = preadFD(fd, size, alloc(int(sector)))
	if e != abi.ESUCCESS || n != 0 {
		fail("fd_pread at the end reads 0", "errno %d, %d bytes", e, n)
	} else {
		pass("fd_pread at the end reads 0")
	}

	check("fd_datasync disk0", want(abi.Errno(fd_datasync(fd)), abi.ESUCCESS))
	check("fd_sync disk0", want(abi.Errno(fd_sync(fd)), abi.ESUCCESS))
	check("fd_advise disk0", want(abi.Errno(fd_advise(fd, 0, size, abi.AdviceSequential)), abi.ESUCCESS))
	check("fd_advise bad advice EINVAL", want(abi.Errno(fd_advise(fd, 0, size, 9)), abi.EINVAL))
	check("fd_fdstat_set_flags disk0 NONBLOCK", want(abi.Errno(fd_fdstat_set_flags(fd, abi.FdflagNonblock)), abi.ESUCCESS))
	check("fd_fdstat_set_flags disk0 APPEND ENOTSUP", want(abi.Errno(fd_fdstat_set_flags(fd, abi.FdflagAppend)), abi.ENOTSUP))
	check("fd_fdstat_set_flags disk0 SYNC ENOTSUP", want(abi.Errno(fd_fdstat_set_flags(fd, abi.FdflagSync)), abi.ENOTSUP))
	check("fd_fdstat_set_flags disk0 unknown bit EINVAL", want(abi.Errno(fd_fdstat_set_flags(fd, 1<<7)), abi.EINVAL))
	check("fd_fdstat_set_flags disk0 back to 0", want(abi.Errno(fd_fdstat_set_flags(fd, 0)), abi.ESUCCESS))

	// The position: fd_seek, fd_tell, fd_read and fd_write.
	pos, e := seekFD(fd, 0, abi.WhenceEnd)
	t, e2 := tellFD(fd)
	if e != abi.ESUCCESS || e2 != abi.ESUCCESS || pos != size || t != size {
		fail("fd_seek END/fd_tell disk0", "errno %d/%d, position %d/%d, want %d", e, e2, pos, t, size)
	} else {
		pass("fd_seek END/fd_tell disk0")
	}
	n, e = readFD(fd, alloc(int(sector)))
	if e != abi.ESUCCESS || n != 0 {
		fail("fd_read at the end reads 0", "errno %d, %d bytes", e, n)
	} else {
		pass("fd_read at the end reads 0")
	}
	pos, e = seekFD(fd, -int64(sector), abi.WhenceEnd)
	if e != abi.ESUCCESS || pos != last {
		fail("fd_seek END-sector", "errno %d, position %d, want %d", e, pos, last)
	} else {
		pass("fd_seek END-sector")
	}
	rd := alloc(int(sector))
	n, e = readFD(fd, rd)
	t, _ = tellFD(fd)
	if e != abi.ESUCCESS || n != uint32(sector) || string(rd) != joinedW || t != size {
		fail("fd_read disk0", "errno %d, %d bytes, data as written %v, position after %d, want %d",
			e, n, string(rd) == joinedW, t, size)
	} else {
		pass("fd_read disk0")
	}
	_, e = seekFD(fd, -1, abi.WhenceSet)
	check("fd_seek negative EINVAL", want(e, abi.EINVAL))
	_, e = seekFD(fd, 0, 7)
	check("fd_seek bad whence EINVAL", want(e, abi.EINVAL))
	pos, e = seekFD(fd, int64(last)+1, abi.WhenceSet)
	if e != abi.ESUCCESS || pos != last+1 {
		fail("fd_seek unaligned", "errno %d, position %d", e, pos)
	} else {
		pass("fd_seek unaligned")
	}
	_, e = readFD(fd, alloc(int(sector)))
	check("fd_read unaligned position EINVAL", want(e, abi.EINVAL))

	// Restore the saved sector with fd_write at the position, and make it durable.
	pos, e = seekFD(fd, -int64(sector), abi.WhenceCur)
	if e != abi.ESUCCESS || pos != last-sector+1 {
		fail("fd_seek CUR", "errno %d, position %d, want %d", e, pos, last-sector+1)
	} else {
		pass("fd_seek CUR")
	}
	seekFD(fd, int64(last), abi.WhenceSet)
	n, e = writeFD(fd, orig)
	t, _ = tellFD(fd)
	restored := alloc(int(sector))
	preadFD(fd, last, restored)
	if e != abi.ESUCCESS || n != uint32(sector) || t != size || string(restored) != string(orig) {
		fail("fd_write disk0", "errno %d, %d bytes, position after %d, restored %v", e, n, t, string(restored) == string(orig))
	} else {
		pass("fd_write disk0")
	}
	check("fd_datasync disk0 after restore", want(abi.Errno(fd_datasync(fd)), abi.ESUCCESS))

	checkDiskFixed(fd, size, sector)

	evs, e := poll(fdSub(1, abi.EventtypeFdRead, fd), fdSub(2, abi.EventtypeFdWrite, fd), clockSub(3, 1_000_000_000))
	if e != abi.ESUCCESS || len(evs) != 2 || evs[0].userdata == 3 || evs[1].userdata == 3 {
		fail("poll_oneoff disk0 ready", "errno %d, events %+v, want the FD_READ and FD_WRITE events", e, evs)
	} else {
		pass("poll_oneoff disk0 ready")
	}

	// A second descriptor for the same device sees the same data.
	fd2, e := openAt(abi.PreopenFD, abi.DiskDev, 0, abi.RightsDisk, 0)
	if e != abi.ESUCCESS {
		fail("path_open disk0 twice", "errno %d", e)
		return
	}
	again := alloc(int(sector))
	n, e = preadFD(fd2, last, again)
	if e != abi.ESUCCESS || n != uint32(sector) || string(again) != string(orig) || fd2 == fd {
		fail("path_open disk0 twice", "fd %d and %d, errno %d, same data %v", fd, fd2, e, string(again) == string(orig))
	} else {
		pass("path_open disk0 twice")
	}
	fd_close(fd2)
}
