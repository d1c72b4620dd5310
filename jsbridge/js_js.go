package jsbridge

import (
	"errors"
	"sync"
	"syscall/js"

	"github.com/polysse/sse"
)

// jsError is a JavaScript exception or rejection value turned into a Go error.
type jsError struct {
	name, message string
}

func (e *jsError) Error() string {
	if e.name == "" {
		return "jsbridge: " + e.message
	}
	return "jsbridge: " + e.name + ": " + e.message
}

func newJSError(v js.Value) *jsError {
	if v.Type() == js.TypeObject {
		name, msg := v.Get("name"), v.Get("message")
		if name.Type() == js.TypeString || msg.Type() == js.TypeString {
			return &jsError{name: stringOr(name, ""), message: stringOr(msg, "")}
		}
	}
	return &jsError{message: safeString(v)}
}

func stringOr(v js.Value, def string) string {
	if v.Type() == js.TypeString {
		return v.String()
	}
	return def
}

// safeString converts any JavaScript value to a string without throwing.
func safeString(v js.Value) (s string) {
	defer func() {
		if recover() != nil {
			s = "<unprintable value>"
		}
	}()
	return js.Global().Get("String").Invoke(v).String()
}

// try runs f and turns a JavaScript exception (which syscall/js raises as a panic of
// js.Error) into an error.
func try(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if je, ok := r.(js.Error); ok {
				err = newJSError(je.Value)
				return
			}
			panic(r)
		}
	}()
	f()
	return nil
}

var errNotPromise = errors.New("jsbridge: not a promise")

// await waits for a thenable and returns its value, or its rejection as an error. It must
// not be called from inside a js.FuncOf callback: it blocks the calling goroutine.
func await(p js.Value) (js.Value, error) {
	if p.Type() != js.TypeObject && p.Type() != js.TypeFunction || p.Get("then").Type() != js.TypeFunction {
		return js.Undefined(), errNotPromise
	}
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	onValue := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{v: arg(args, 0)}
		return nil
	})
	onError := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{err: newJSError(arg(args, 0))}
		return nil
	})
	defer onValue.Release()
	defer onError.Release()
	if err := try(func() { p.Call("then", onValue, onError) }); err != nil {
		return js.Undefined(), err
	}
	r := <-ch
	return r.v, r.err
}

func arg(args []js.Value, i int) js.Value {
	if i < len(args) {
		return args[i]
	}
	return js.Undefined()
}

// isFunction reports whether v is callable.
func isFunction(v js.Value) bool { return v.Type() == js.TypeFunction }

var noop = js.FuncOf(func(js.Value, []js.Value) any { return nil })

// ignoreRejection marks a promise whose outcome nobody awaits as handled, so that a
// rejection (a cancelled stream, say) does not surface as an unhandled rejection.
func ignoreRejection(p js.Value) {
	if p.Type() == js.TypeObject && isFunction(p.Get("catch")) {
		p.Call("catch", noop)
	}
}

// onDone calls f once ctx is done, unless the returned stop function is called first. It
// uses one goroutine, which stop ends.
func onDone(ctx sse.Context, f func()) (stop func()) {
	quit := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			f()
		case <-quit:
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(quit) }) }
}
