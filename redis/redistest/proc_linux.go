package redistest

import "syscall"

var sigStop, sigCont = syscall.SIGSTOP, syscall.SIGCONT

// sysProcAttr makes the kernel kill the server when the test process dies (a test binary
// killed by its -timeout leaves no redis-server behind).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
