// Package stdfds makes file descriptors 0, 1 and 2 safe before a process opens
// anything: each one that is closed is opened on /dev/null.
//
// Why: open(2) returns the lowest free descriptor. A program started with
// stdout closed (`prog >&-`) that opens a disk image gets fd 1 for it, and
// everything it later prints lands in the image. mwasm's CLI calls Ensure first
// thing in main (package initialisers open no descriptor that stays open), and
// the native executables do the same in their start-up code (aot/image/linuxexe).
package stdfds

import "syscall"

// Ensure opens /dev/null on each of fds 0, 1 and 2 that is closed. It returns
// an error only when one is closed and /dev/null cannot take its place; the
// caller should then stop without opening anything.
func Ensure() error {
	for fd := 0; fd <= 2; fd++ {
		if _, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0); e != syscall.EBADF {
			continue
		}
		// The lower descriptors are open, so the lowest free one is fd.
		got, err := syscall.Open("/dev/null", syscall.O_RDWR, 0)
		if err != nil {
			return err
		}
		if got != fd {
			syscall.Close(got)
			return syscall.EBADF
		}
	}
	return nil
}
