//go:build wasip1

package main

import "github.com/mwasm/mwasm/abi"

//go:wasmimport wasi_snapshot_preview1 sock_accept
func sock_accept(fd, flags, resultFD uint32) uint32

//go:wasmimport wasi_snapshot_preview1 sock_recv
func sock_recv(fd, iovs, iovsLen, riFlags, roDatalen, roFlags uint32) uint32

//go:wasmimport wasi_snapshot_preview1 sock_send
func sock_send(fd, iovs, iovsLen, siFlags, soDatalen uint32) uint32

//go:wasmimport wasi_snapshot_preview1 sock_shutdown
func sock_shutdown(fd, how uint32) uint32

// checkSockets: there are no socket descriptors, so the four socket calls answer
// ENOTSOCK on open descriptors (the console, /dev, disk0 when present), EBADF on a
// descriptor that is not open and EFAULT for a result pointer outside memory, and
// write nothing.
func checkSockets(env map[string]string) {
	fds := []struct {
		name string
		fd   uint32
	}{{"fd 1", 1}, {"/dev", abi.PreopenFD}}
	if _, ok := env[abi.EnvDisk0Sectors]; ok {
		fd, e := openAt(abi.PreopenFD, abi.DiskDev, 0, abi.RightsDisk, 0)
		if e != abi.ESUCCESS {
			fail("sock_* path_open disk0", "errno %d", e)
		} else {
			defer fd_close(fd)
			fds = append(fds, struct {
				name string
				fd   uint32
			}{"disk0", fd})
		}
	}
	buf := alloc(16)
	iov := iovecs([][]byte{buf})
	res, flags := alloc(4), alloc(4)
	for _, f := range fds {
		putU32(res, 0, 0xA5A5A5A5)
		check("sock_accept "+f.name+" ENOTSOCK", want(abi.Errno(sock_accept(f.fd, 0, addr(res))), abi.ENOTSOCK))
		if u32(res) != 0xA5A5A5A5 {
			fail("sock_accept "+f.name+" writes nothing", "result became %#x", u32(res))
		}
		check("sock_recv "+f.name+" ENOTSOCK", want(abi.Errno(sock_recv(f.fd, addr(iov), 1, 0, addr(res), addr(flags))), abi.ENOTSOCK))
		check("sock_send "+f.name+" ENOTSOCK", want(abi.Errno(sock_send(f.fd, addr(iov), 1, 0, addr(res))), abi.ENOTSOCK))
		check("sock_shutdown "+f.name+" ENOTSOCK", want(abi.Errno(sock_shutdown(f.fd, 3)), abi.ENOTSOCK))
	}
	const bad = 99
	check("sock_accept bad fd EBADF", want(abi.Errno(sock_accept(bad, 0, addr(res))), abi.EBADF))
	check("sock_recv bad fd EBADF", want(abi.Errno(sock_recv(bad, addr(iov), 1, 0, addr(res), addr(flags))), abi.EBADF))
	check("sock_send bad fd EBADF", want(abi.Errno(sock_send(bad, addr(iov), 1, 0, addr(res))), abi.EBADF))
	check("sock_shutdown bad fd EBADF", want(abi.Errno(sock_shutdown(bad, 3)), abi.EBADF))
	check("sock_accept result EFAULT", want(abi.Errno(sock_accept(1, 0, badAddrHigh)), abi.EFAULT))
	check("sock_recv ro_datalen EFAULT", want(abi.Errno(sock_recv(1, addr(iov), 1, 0, badAddrHigh, addr(flags))), abi.EFAULT))
	check("sock_send iovec array EFAULT", want(abi.Errno(sock_send(1, badAddrWrap, 4, 0, addr(res))), abi.EFAULT))
}
