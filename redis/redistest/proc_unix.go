//go:build unix && !linux

package redistest

import "syscall"

var sigStop, sigCont = syscall.SIGSTOP, syscall.SIGCONT

func sysProcAttr() *syscall.SysProcAttr { return nil }
