package main

import "syscall"

// childAttrs makes the kernel kill a server the benchmark started when the
// benchmark itself dies, so an interrupted run leaves nothing listening.
func childAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
