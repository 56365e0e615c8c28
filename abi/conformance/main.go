//go:build wasip1

// Command conformance checks that a shim provides the mwasm ABI (abi/README.md)
// exactly. It calls every ABI function raw, through its own //go:wasmimport
// declarations, so it sees the exact errnos rather than what Go's syscall package
// makes of them, and prints one line per check:
//
//	ok   NAME
//	FAIL NAME: detail
//
// then "SUCCESS" (exit status 0) or "FAILURE: N checks failed" (exit status 1).
//
// Invocation: the app expects the arguments "a" "b" after argv[0] and the
// environment variable MWASM_CONF=1, e.g.
//
//	GOOS=wasip1 GOARCH=wasm go build -o conf.wasm ./abi/conformance
//	mwasm run --env MWASM_CONF=1 --disk scratch.img --net user conf.wasm a b
//
// The device checks run only for the devices the environment announces; without
// them the app checks that the devices are absent. The disk checks write to the last
// sectors of /dev/disk0 and restore their contents, but use a scratch disk all the
// same. The network checks send ARP requests for the gateway and expect a reply
// within 2 s (the hosted user-mode network answers them).
package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mwasm/mwasm/abi"
)

var failures int

// say writes one line to stdout with the raw fd_write, retrying short writes.
func say(line string) {
	b := bytesOf(line + "\n")
	for len(b) > 0 {
		n, e := writeFD(1, b)
		if e != abi.ESUCCESS || n == 0 {
			return
		}
		b = b[n:]
	}
}

func pass(name string) { say("ok   " + name) }

func fail(name, format string, args ...any) {
	failures++
	say("FAIL " + name + ": " + fmt.Sprintf(format, args...))
}

// check records one check: it passes when detail is empty.
func check(name, detail string) {
	if detail == "" {
		pass(name)
	} else {
		fail(name, "%s", detail)
	}
}

// want returns "" if got is the expected errno, else a description.
func want(got, expected abi.Errno) string {
	if got == expected {
		return ""
	}
	return fmt.Sprintf("errno %d, want %d", got, expected)
}

func main() {
	env := checkArgsEnv()
	checkFaults()
	checkClocks()
	checkRandom()
	checkConsole()
	checkPreopen()
	checkPaths()
	checkReaddir(env)
	checkDescriptorOps()
	checkFixedDir(env)
	checkPoll()
	checkBadFD()
	checkSockets(env)
	checkDisk(env)
	checkNet(env)
	checkNetVnet(env)

	if failures == 0 {
		say("SUCCESS")
		proc_exit(0)
	}
	say(fmt.Sprintf("FAILURE: %d checks failed", failures))
	proc_exit(1)
}

// getStrings runs a sizes_get/get pair (args or environ) and returns the strings.
func getStrings(name string, sizes, get func(uint32, uint32) uint32) ([]string, bool) {
	cb, sb := alloc(4), alloc(4)
	if e := abi.Errno(sizes(addr(cb), addr(sb))); e != abi.ESUCCESS {
		fail(name, "%s_sizes_get: errno %d", name, e)
		return nil, false
	}
	count, size := int(u32(cb)), int(u32(sb))
	if count > 1<<16 || size > 1<<24 {
		fail(name, "implausible sizes: count %d, buffer %d bytes", count, size)
		return nil, false
	}
	ptrs, buf := alloc(4*count), alloc(size)
	if e := abi.Errno(get(addr(ptrs), addr(buf))); e != abi.ESUCCESS {
		fail(name, "%s_get: errno %d", name, e)
		return nil, false
	}
	list, ok := cstrings(ptrs, buf, count)
	if !ok {
		fail(name, "a pointer from %s_get lies outside the buffer or a string lacks its NUL", name)
		return nil, false
	}
	total := 0
	for _, s := range list {
		total += len(s) + 1
	}
	if total != size {
		fail(name, "strings need %d bytes with NULs, %s_sizes_get said %d", total, name, size)
		return nil, false
	}
	return list, true
}

func checkArgsEnv() map[string]string {
	if args, ok := getStrings("args", args_sizes_get, args_get); ok {
		switch {
		case len(args) != 3 || args[1] != "a" || args[2] != "b":
			fail("args", "got %q, want [argv0 \"a\" \"b\"] (run the app with the arguments a b)", args)
		case args[0] == "":
			fail("args", "argv[0] is empty, want the app's name")
		default:
			pass("args")
		}
	}

	env := map[string]string{}
	list, ok := getStrings("environ", environ_sizes_get, environ_get)
	if ok {
		detail := ""
		for _, kv := range list {
			k, v, found := strings.Cut(kv, "=")
			if !found || k == "" {
				detail = fmt.Sprintf("entry %q is not KEY=VALUE", kv)
				break
			}
			env[k] = v
		}
		if detail == "" && env["MWASM_CONF"] != "1" {
			detail = fmt.Sprintf("MWASM_CONF=1 missing from %q (run the app with that variable set)", list)
		}
		check("environ", detail)
	}

	// A device's variables come all together or not at all.
	group := func(name string, required, all []string) {
		n := 0
		for _, k := range all {
			if _, ok := env[k]; ok {
				n++
			}
		}
		missing := []string{}
		for _, k := range required {
			if _, ok := env[k]; !ok {
				missing = append(missing, k)
			}
		}
		if n > 0 && len(missing) > 0 {
			fail(name, "some device variables are set but %v are not", missing)
			return
		}
		pass(name)
	}
	group("environ net0 variables", []string{abi.EnvNet0MAC, abi.EnvNet0MTU, abi.EnvNet0IPv4},
		[]string{abi.EnvNet0MAC, abi.EnvNet0MTU, abi.EnvNet0IPv4, abi.EnvNet0Gateway})
	group("environ disk0 variables", []string{abi.EnvDisk0Sector, abi.EnvDisk0Sectors},
		[]string{abi.EnvDisk0Sector, abi.EnvDisk0Sectors})
	return env
}

// checkFaults passes addresses outside memory: the shim must answer EFAULT and write
// nothing.
func checkFaults() {
	check("EFAULT random_get wrapping 2^32", want(abi.Errno(random_get(badAddrWrap, 64)), abi.EFAULT))
	check("EFAULT random_get high", want(abi.Errno(random_get(badAddrHigh, 16)), abi.EFAULT))
	check("EFAULT clock_time_get result", want(abi.Errno(clock_time_get(abi.ClockMonotonic, 1, 0xFFFFFFFC)), abi.EFAULT))
	ok := alloc(4)
	check("EFAULT args_sizes_get result", want(abi.Errno(args_sizes_get(badAddrHigh, addr(ok))), abi.EFAULT))

	// An iovec whose buffer leaves memory, and an iovec array that does.
	iov := alloc(abi.IovecSize)
	putU32(iov, 0, 0xFFFFFF00)
	putU32(iov, 4, 0x200)
	n := alloc(4)
	check("EFAULT fd_write iovec buffer", want(abi.Errno(fd_write(1, addr(iov), 1, addr(n))), abi.EFAULT))
	check("EFAULT fd_write iovec array", want(abi.Errno(fd_write(1, badAddrWrap, 4, addr(n))), abi.EFAULT))
	msg := bytesOf("")
	iov2 := iovecs([][]byte{msg})
	check("EFAULT fd_write result", want(abi.Errno(fd_write(1, addr(iov2), 1, badAddrHigh)), abi.EFAULT))
	check("EFAULT path_open path", want(abi.Errno(path_open(abi.PreopenFD, 0, badAddrWrap, 32, 0, 0, 0, 0, addr(n))), abi.EFAULT))
	check("EFAULT poll_oneoff", want(abi.Errno(poll_oneoff(badAddrHigh, badAddrHigh, 1, addr(n))), abi.EFAULT))
}

func putU32(b []byte, off int, v uint32) {
	b[off], b[off+1], b[off+2], b[off+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func checkClocks() {
	rt, e := clockTime(abi.ClockRealtime)
	const jan2020 = 1577836800 * 1_000_000_000
	switch {
	case e != abi.ESUCCESS:
		fail("clock_time_get REALTIME", "errno %d", e)
	case rt < jan2020:
		fail("clock_time_get REALTIME", "%d ns since the epoch is before 2020", rt)
	default:
		pass("clock_time_get REALTIME")
	}

	t1, e1 := clockTime(abi.ClockMonotonic)
	t2, e2 := clockTime(abi.ClockMonotonic)
	switch {
	case e1 != abi.ESUCCESS || e2 != abi.ESUCCESS:
		fail("clock_time_get MONOTONIC", "errno %d, %d", e1, e2)
	case t2 < t1:
		fail("clock_time_get MONOTONIC", "went back from %d to %d", t1, t2)
	default:
		pass("clock_time_get MONOTONIC")
	}
	// Advancing: spin on sched_yield for at most 1e6 rounds until the clock moves.
	moved := false
	for i := 0; i < 1_000_000 && !moved; i++ {
		sched_yield()
		moved = monotonic() > t2
	}
	if moved {
		pass("clock_time_get MONOTONIC advances")
	} else {
		fail("clock_time_get MONOTONIC advances", "stuck at %d", t2)
	}

	for _, id := range []uint32{abi.ClockRealtime, abi.ClockMonotonic} {
		name := fmt.Sprintf("clock_res_get %d", id)
		r, e := clockRes(id)
		switch {
		case e != abi.ESUCCESS:
			fail(name, "errno %d", e)
		case r == 0 || r > 1_000_000:
			fail(name, "resolution %d ns, want 1..1000000", r)
		default:
			pass(name)
		}
	}
	for _, id := range []uint32{abi.ClockProcessCputimeID, abi.ClockThreadCputimeID, 99} {
		_, e := clockTime(id)
		check(fmt.Sprintf("clock_time_get %d EINVAL", id), want(e, abi.EINVAL))
		_, e = clockRes(id)
		check(fmt.Sprintf("clock_res_get %d EINVAL", id), want(e, abi.EINVAL))
	}
}

func checkRandom() {
	a, b := alloc(64), alloc(64)
	e1 := abi.Errno(random_get(addr(a), 64))
	e2 := abi.Errno(random_get(addr(b), 64))
	zero := true
	for _, x := range a {
		if x != 0 {
			zero = false
		}
	}
	switch {
	case e1 != abi.ESUCCESS || e2 != abi.ESUCCESS:
		fail("random_get", "errno %d, %d", e1, e2)
	case zero:
		fail("random_get", "64 bytes all zero")
	case string(a) == string(b):
		fail("random_get", "two draws of 64 bytes are equal")
	default:
		pass("random_get")
	}
	empty := alloc(0)
	check("random_get length 0", want(abi.Errno(random_get(addr(empty), 0)), abi.ESUCCESS))
	check("sched_yield", want(abi.Errno(sched_yield()), abi.ESUCCESS))
}

func checkConsole() {
	p1, p2 := bytesOf("conformance: fd_write gathers "), bytesOf("two iovecs\n")
	n, e := writeFD(1, p1, p2)
	if d := want(e, abi.ESUCCESS); d != "" {
		fail("fd_write 1", "%s", d)
	} else if n != uint32(len(p1)+len(p2)) {
		fail("fd_write 1", "wrote %d of %d bytes", n, len(p1)+len(p2))
	} else {
		pass("fd_write 1")
	}
	msg := bytesOf("conformance: a line on stderr\n")
	n, e = writeFD(2, msg)
	if d := want(e, abi.ESUCCESS); d != "" {
		fail("fd_write 2", "%s", d)
	} else if n != uint32(len(msg)) {
		fail("fd_write 2", "wrote %d of %d bytes", n, len(msg))
	} else {
		pass("fd_write 2")
	}
	n, e = writeFD(1)
	if e != abi.ESUCCESS || n != 0 {
		fail("fd_write no iovecs", "errno %d, %d bytes", e, n)
	} else {
		pass("fd_write no iovecs")
	}

	// A standard stream has the type of what the host put there (a terminal or
	// the Xen console is a character device, a file a regular file, a pipe
	// UNKNOWN): never a directory or a link, and the same in both calls.
	for fd := uint32(0); fd <= 2; fd++ {
		name := fmt.Sprintf("fd_fdstat_get %d", fd)
		st, e := fdstatOf(fd)
		switch {
		case e != abi.ESUCCESS:
			fail(name, "errno %d", e)
		case !streamFiletype(st.filetype):
			fail(name, "filetype %d, want a stream's (UNKNOWN, BLOCK_DEVICE, CHARACTER_DEVICE, REGULAR_FILE or a socket)", st.filetype)
		case st.rightsBase&(abi.RightFdSeek|abi.RightFdTell) != 0:
			fail(name, "rights 0x%x include FD_SEEK or FD_TELL (wasi-libc's isatty needs them absent)", st.rightsBase)
		default:
			pass(name)
		}
		fs, e2 := filestatOf(fd)
		name = fmt.Sprintf("fd_filestat_get %d", fd)
		if e2 != abi.ESUCCESS || e == abi.ESUCCESS && fs.filetype != st.filetype {
			fail(name, "errno %d, filetype %d (fd_fdstat_get: %d)", e2, fs.filetype, st.filetype)
		} else {
			pass(name)
		}
	}
	_, e = readFD(1, alloc(8))
	check("fd_read 1 EBADF", want(e, abi.EBADF))
	_, e = writeFD(0, bytesOf("x"))
	check("fd_write 0 EBADF", want(e, abi.EBADF))
	_, e = seekFD(1, 0, abi.WhenceCur)
	check("fd_seek 1 ESPIPE", want(e, abi.ESPIPE))
	_, e = tellFD(1)
	check("fd_tell 1 ESPIPE", want(e, abi.ESPIPE))
	_, e = pwriteFD(1, 0, bytesOf("x"))
	check("fd_pwrite 1 ESPIPE", want(e, abi.ESPIPE))
	_, e = preadFD(0, 0, alloc(1))
	check("fd_pread 0 ESPIPE", want(e, abi.ESPIPE))
	check("fd_advise 1 ESPIPE", want(abi.Errno(fd_advise(1, 0, 0, abi.AdviceNormal)), abi.ESPIPE))
	check("fd_sync 1", want(abi.Errno(fd_sync(1)), abi.ESUCCESS))
	check("fd_datasync 1", want(abi.Errno(fd_datasync(1)), abi.ESUCCESS))
}

func checkPreopen() {
	st, e := fdstatOf(abi.PreopenFD)
	if e != abi.ESUCCESS || st.filetype != abi.FiletypeDirectory {
		fail("fd_fdstat_get 3", "errno %d, filetype %d, want DIRECTORY (%d)", e, st.filetype, abi.FiletypeDirectory)
	} else {
		pass("fd_fdstat_get 3")
	}
	fs, e := filestatOf(abi.PreopenFD)
	if e != abi.ESUCCESS || fs.filetype != abi.FiletypeDirectory {
		fail("fd_filestat_get 3", "errno %d, filetype %d", e, fs.filetype)
	} else {
		pass("fd_filestat_get 3")
	}

	pre := alloc(abi.PrestatSize)
	e = abi.Errno(fd_prestat_get(abi.PreopenFD, addr(pre)))
	nameLen := u32(pre[abi.PrestatNameLenOffset:])
	if e != abi.ESUCCESS || pre[0] != abi.PreopentypeDir || nameLen != uint32(len(abi.DevDir)) {
		fail("fd_prestat_get 3", "errno %d, tag %d, name length %d; want 0, %d", e, pre[0], nameLen, len(abi.DevDir))
	} else {
		pass("fd_prestat_get 3")
	}
	name := alloc(len(abi.DevDir))
	e = abi.Errno(fd_prestat_dir_name(abi.PreopenFD, addr(name), uint32(len(name))))
	if e != abi.ESUCCESS || string(name) != abi.DevDir {
		fail("fd_prestat_dir_name 3", "errno %d, name %q, want %q", e, name, abi.DevDir)
	} else {
		pass("fd_prestat_dir_name 3")
	}
	short := alloc(2)
	check("fd_prestat_dir_name short buffer EINVAL",
		want(abi.Errno(fd_prestat_dir_name(abi.PreopenFD, addr(short), uint32(len(short)))), abi.EINVAL))
	check("fd_prestat_get 4 EBADF", want(abi.Errno(fd_prestat_get(4, addr(pre))), abi.EBADF))
	check("fd_prestat_get 0 EBADF", want(abi.Errno(fd_prestat_get(0, addr(pre))), abi.EBADF))
}

func checkPaths() {
	_, e := openAt(abi.PreopenFD, "nope", 0, abi.RightFdRead, 0)
	check("path_open nope ENOENT", want(e, abi.ENOENT))
	_, e = openAt(abi.PreopenFD, "net0/x", 0, abi.RightFdRead, 0)
	check("path_open net0/x ENOENT", want(e, abi.ENOENT))
	_, e = openAt(1, "net0", 0, abi.RightFdRead, 0)
	check("path_open relative to fd 1 ENOTDIR", want(e, abi.ENOTDIR))
	_, e = openAt(77, "net0", 0, abi.RightFdRead, 0)
	check("path_open relative to fd 77 EBADF", want(e, abi.EBADF))

	fd, e := openAt(abi.PreopenFD, ".", abi.OflagDirectory, abi.RightsDir, 0)
	if e != abi.ESUCCESS {
		fail("path_open .", "errno %d", e)
	} else {
		st, e := fdstatOf(fd)
		if e != abi.ESUCCESS || st.filetype != abi.FiletypeDirectory || fd == abi.PreopenFD || fd <= 2 {
			fail("path_open .", "fd %d: errno %d, filetype %d", fd, e, st.filetype)
		} else {
			pass("path_open .")
		}
		_, e = readFD(fd, alloc(16))
		check("fd_read directory EISDIR", want(e, abi.EISDIR))
		check("fd_close", want(abi.Errno(fd_close(fd)), abi.ESUCCESS))
		check("fd_close again EBADF", want(abi.Errno(fd_close(fd)), abi.EBADF))
		_, e = fdstatOf(fd)
		check("fd_fdstat_get closed EBADF", want(e, abi.EBADF))
	}

	_, e = openAt(abi.PreopenFD, ".", 0, abi.RightFdRead|abi.RightFdWrite, 0)
	check("path_open . for writing EISDIR", want(e, abi.EISDIR))

	fs, e := pathFilestatOf(abi.PreopenFD, ".")
	if e != abi.ESUCCESS || fs.filetype != abi.FiletypeDirectory {
		fail("path_filestat_get .", "errno %d, filetype %d", e, fs.filetype)
	} else {
		pass("path_filestat_get .")
	}
	_, e = pathFilestatOf(abi.PreopenFD, "nope")
	check("path_filestat_get nope ENOENT", want(e, abi.ENOENT))
}

// devicesFrom lists the devices the environment announces, in readdir order.
func devicesFrom(env map[string]string) []string {
	var devs []string
	if _, ok := env[abi.EnvNet0MAC]; ok {
		devs = append(devs, abi.NetDev)
		if env[abi.EnvNet0Vnet] == "1" {
			devs = append(devs, abi.NetVnetDev)
		}
	}
	if _, ok := env[abi.EnvDisk0Sectors]; ok {
		devs = append(devs, abi.DiskDev)
	}
	return devs
}

func checkReaddir(env map[string]string) {
	devs := devicesFrom(env)
	buf, e := readdir(abi.PreopenFD, 4096, 0)
	if e != abi.ESUCCESS {
		fail("fd_readdir 3", "errno %d", e)
		return
	}
	ents := parseDirents(buf)
	var names []string
	detail := ""
	for i, d := range ents {
		names = append(names, d.name)
		wantType := uint8(abi.FiletypeCharacterDevice)
		switch d.name {
		case abi.DiskDev:
			wantType = abi.FiletypeBlockDevice
		}
		if d.filetype != wantType && detail == "" {
			detail = fmt.Sprintf("%s has type %d, want %d", d.name, d.filetype, wantType)
		}
		if d.next != uint64(i+1) && detail == "" {
			detail = fmt.Sprintf("entry %d (%s) has d_next %d, want %d", i, d.name, d.next, i+1)
		}
	}
	if strings.Join(names, ",") != strings.Join(devs, ",") {
		detail = fmt.Sprintf("entries %q, want %q (the devices the environment announces, no . or ..)", names, devs)
	}
	check("fd_readdir 3", detail)

	if len(devs) > 0 {
		// A buffer too small for the first entry comes back full: more to read.
		small, e := readdir(abi.PreopenFD, abi.DirentSize+1, 0)
		if e != abi.ESUCCESS || len(small) != abi.DirentSize+1 {
			fail("fd_readdir small buffer", "errno %d, %d bytes used, want %d", e, len(small), abi.DirentSize+1)
		} else {
			pass("fd_readdir small buffer")
		}
		// Resuming at the first entry's cookie gives the rest.
		rest, e := readdir(abi.PreopenFD, 4096, 1)
		got := []string{}
		for _, d := range parseDirents(rest) {
			got = append(got, d.name)
		}
		if e != abi.ESUCCESS || strings.Join(got, ",") != strings.Join(devs[1:], ",") {
			fail("fd_readdir cookie 1", "errno %d, entries %q, want %q", e, got, devs[1:])
		} else {
			pass("fd_readdir cookie 1")
		}
	}
	for _, d := range []string{abi.NetDev, abi.NetVnetDev, abi.DiskDev} {
		present := false
		for _, x := range devs {
			present = present || x == d
		}
		if present {
			continue
		}
		_, e := openAt(abi.PreopenFD, d, 0, abi.RightFdRead, 0)
		check("path_open absent "+d+" ENOENT", want(e, abi.ENOENT))
	}
}

func checkPoll() {
	_, e := poll()
	check("poll_oneoff no subscriptions EINVAL", want(e, abi.EINVAL))

	const ms = 1_000_000
	start := monotonic()
	evs, e := poll(clockSub(7, 20*ms))
	elapsed := monotonic() - start
	switch {
	case e != abi.ESUCCESS:
		fail("poll_oneoff 20 ms", "errno %d", e)
	case len(evs) != 1 || evs[0].userdata != 7 || evs[0].typ != abi.EventtypeClock || evs[0].errno != 0:
		fail("poll_oneoff 20 ms", "events %+v, want one clock event with userdata 7", evs)
	case elapsed < 20*ms:
		fail("poll_oneoff 20 ms", "returned after %d ns", elapsed)
	case elapsed > 1000*ms:
		fail("poll_oneoff 20 ms", "returned only after %d ms", elapsed/ms)
	default:
		pass("poll_oneoff 20 ms")
	}

	start = monotonic()
	abs := clockSub(8, start+20*ms)
	abs.flags = abi.SubscriptionClockAbstime
	evs, e = poll(abs)
	elapsed = monotonic() - start
	if e != abi.ESUCCESS || len(evs) != 1 || evs[0].userdata != 8 || elapsed < 20*ms || elapsed > 1000*ms {
		fail("poll_oneoff absolute", "errno %d, events %+v after %d ns", e, evs, elapsed)
	} else {
		pass("poll_oneoff absolute")
	}

	rt, _ := clockTime(abi.ClockRealtime)
	absRT := sub{userdata: 9, tag: abi.EventtypeClock, clockID: abi.ClockRealtime, timeout: rt + 20*ms, flags: abi.SubscriptionClockAbstime}
	start = monotonic()
	evs, e = poll(absRT)
	elapsed = monotonic() - start
	if e != abi.ESUCCESS || len(evs) != 1 || evs[0].userdata != 9 || elapsed < 15*ms || elapsed > 1000*ms {
		fail("poll_oneoff absolute REALTIME", "errno %d, events %+v after %d ns", e, evs, elapsed)
	} else {
		pass("poll_oneoff absolute REALTIME")
	}

	// The earliest deadline wins; the later one is not reported.
	start = monotonic()
	evs, e = poll(clockSub(1, 600*ms), clockSub(2, 10*ms))
	elapsed = monotonic() - start
	if e != abi.ESUCCESS || len(evs) != 1 || evs[0].userdata != 2 || elapsed < 10*ms || elapsed >= 500*ms {
		fail("poll_oneoff earliest deadline", "errno %d, events %+v after %d ms", e, evs, elapsed/ms)
	} else {
		pass("poll_oneoff earliest deadline")
	}

	// A past deadline and a zero timeout fire at once.
	evs, e = poll(clockSub(3, 0))
	if e != abi.ESUCCESS || len(evs) != 1 || evs[0].userdata != 3 {
		fail("poll_oneoff zero timeout", "errno %d, events %+v", e, evs)
	} else {
		pass("poll_oneoff zero timeout")
	}

	// The console is always writable.
	start = monotonic()
	evs, e = poll(fdSub(4, abi.EventtypeFdWrite, 1), clockSub(5, 1000*ms))
	elapsed = monotonic() - start
	if e != abi.ESUCCESS || len(evs) != 1 || evs[0].userdata != 4 || evs[0].typ != abi.EventtypeFdWrite || evs[0].errno != 0 || elapsed > 500*ms {
		fail("poll_oneoff FD_WRITE 1", "errno %d, events %+v", e, evs)
	} else {
		pass("poll_oneoff FD_WRITE 1")
	}

	// A bad descriptor is an event with an error, not a failed call.
	evs, e = poll(fdSub(6, abi.EventtypeFdRead, 99), clockSub(5, 1000*ms))
	if e != abi.ESUCCESS || len(evs) != 1 || evs[0].userdata != 6 || evs[0].errno != abi.EBADF {
		fail("poll_oneoff bad fd event EBADF", "errno %d, events %+v", e, evs)
	} else {
		pass("poll_oneoff bad fd event EBADF")
	}

	// An unsupported clock is an event with EINVAL.
	bad := clockSub(10, 10*ms)
	bad.clockID = abi.ClockProcessCputimeID
	evs, e = poll(bad, clockSub(5, 1000*ms))
	if e != abi.ESUCCESS || len(evs) != 1 || evs[0].userdata != 10 || evs[0].errno != abi.EINVAL {
		fail("poll_oneoff bad clock event EINVAL", "errno %d, events %+v", e, evs)
	} else {
		pass("poll_oneoff bad clock event EINVAL")
	}

	_, e = poll(sub{userdata: 11, tag: 9})
	check("poll_oneoff bad tag EINVAL", want(e, abi.EINVAL))
}

func checkBadFD() {
	const bad = 99
	_, e := writeFD(bad, bytesOf("x"))
	check("fd_write bad fd EBADF", want(e, abi.EBADF))
	_, e = readFD(bad, alloc(4))
	check("fd_read bad fd EBADF", want(e, abi.EBADF))
	_, e = fdstatOf(bad)
	check("fd_fdstat_get bad fd EBADF", want(e, abi.EBADF))
	_, e = filestatOf(bad)
	check("fd_filestat_get bad fd EBADF", want(e, abi.EBADF))
	check("fd_close bad fd EBADF", want(abi.Errno(fd_close(bad)), abi.EBADF))
	_, e = seekFD(bad, 0, abi.WhenceSet)
	check("fd_seek bad fd EBADF", want(e, abi.EBADF))
	check("fd_sync bad fd EBADF", want(abi.Errno(fd_sync(bad)), abi.EBADF))
	check("fd_fdstat_set_flags bad fd EBADF", want(abi.Errno(fd_fdstat_set_flags(bad, 0)), abi.EBADF))
	_, e = pathFilestatOf(bad, "net0")
	check("path_filestat_get bad fd EBADF", want(e, abi.EBADF))
}

// envInt parses a decimal device variable; ok is false (and a failure recorded) if
// it does not parse.
func envInt(env map[string]string, key string) (uint64, bool) {
	v, err := strconv.ParseUint(env[key], 10, 64)
	if err != nil || v == 0 {
		fail("environ "+key, "%q is not a positive decimal number", env[key])
		return 0, false
	}
	return v, true
}

// streamFiletype reports whether t is a filetype a standard stream can have.
func streamFiletype(t uint8) bool {
	switch t {
	case abi.FiletypeUnknown, abi.FiletypeBlockDevice, abi.FiletypeCharacterDevice,
		abi.FiletypeRegularFile, abi.FiletypeSocketDgram, abi.FiletypeSocketStream:
		return true
	}
	return false
}
