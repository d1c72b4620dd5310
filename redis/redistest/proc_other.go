//go:build !unix

package redistest

import (
	"os"
	"syscall"
)

var sigStop, sigCont os.Signal // no SIGSTOP here: Freeze and Thaw fail

func sysProcAttr() *syscall.SysProcAttr { return nil }
