package main

import "syscall"

// childAttr puts mwasm in its own process group (stop signals the group) and
// has the kernel kill it if netbench dies without cleaning up.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
