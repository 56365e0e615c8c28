//go:build unix && !linux

package main

import "syscall"

// childAttr puts mwasm in its own process group (stop signals the group).
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
