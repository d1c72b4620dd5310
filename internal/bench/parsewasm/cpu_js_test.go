//go:build js

package parsewasm_test

import "syscall/js"

// cpuClock returns the CPU time the Node process has used so far, in ns
// (process.cpuUsage: every thread, V8's collector and compilers included).
var cpuClock = func() int64 {
	u := js.Global().Get("process").Call("cpuUsage")
	return int64((u.Get("user").Float() + u.Get("system").Float()) * 1e3)
}
