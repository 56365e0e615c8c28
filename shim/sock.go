package shim

import "github.com/mwasm/mwasm/abi"

// The socket calls of WASI preview 1 operate on socket descriptors, and the mwasm
// ABI has none: networking is Ethernet frames on /dev/net0 with a TCP/IP stack in
// the app (Go: package mnet), and no call creates a socket. The four functions
// exist because ordinary programs link them without calling them (Go's net
// package keeps poll.FD.Accept reachable through reflection), and a missing import
// would refuse such programs at load time. Each answers honestly, in the order
// the other calls check their arguments:
//
//	EBADF    fd is not an open descriptor
//	EINVAL   sock_recv/sock_send: more than 1024 iovecs (as fd_read/fd_write)
//	EFAULT   a pointer argument (iovec array, iovec buffers, result pointers) lies outside memory
//	ENOTSOCK otherwise: fd is open but is not a socket (none is)
//
// Nothing is read, written or consumed.

// SockAccept is sock_accept(fd, flags, result_fd_ptr).
func (w *WASI) SockAccept(fd, flags, resultPtr uint32) abi.Errno {
	if w.file(fd) == nil {
		return abi.EBADF
	}
	if !w.valid(resultPtr, 4) {
		return abi.EFAULT
	}
	return abi.ENOTSOCK
}

// SockRecv is sock_recv(fd, ri_data, ri_data_len, ri_flags, ro_datalen_ptr, ro_flags_ptr).
func (w *WASI) SockRecv(fd, iovsPtr, iovsLen, riFlags, roDatalenPtr, roFlagsPtr uint32) abi.Errno {
	if w.file(fd) == nil {
		return abi.EBADF
	}
	if !w.valid(roDatalenPtr, 4) || !w.valid(roFlagsPtr, 2) {
		return abi.EFAULT
	}
	if _, _, e := w.readIovecs(iovsPtr, iovsLen); e != abi.ESUCCESS {
		return e
	}
	return abi.ENOTSOCK
}

// SockSend is sock_send(fd, si_data, si_data_len, si_flags, so_datalen_ptr).
func (w *WASI) SockSend(fd, iovsPtr, iovsLen, siFlags, soDatalenPtr uint32) abi.Errno {
	if w.file(fd) == nil {
		return abi.EBADF
	}
	if !w.valid(soDatalenPtr, 4) {
		return abi.EFAULT
	}
	if _, _, e := w.readIovecs(iovsPtr, iovsLen); e != abi.ESUCCESS {
		return e
	}
	return abi.ENOTSOCK
}

// SockShutdown is sock_shutdown(fd, how).
func (w *WASI) SockShutdown(fd, how uint32) abi.Errno {
	if w.file(fd) == nil {
		return abi.EBADF
	}
	return abi.ENOTSOCK
}
