package jsbridge

import (
	"sync"
	"syscall/js"

	"github.com/polysse/sse/internal/eventsource"
)

// jsError is a JavaScript exception or rejection value turned into a Go error. cors and
// permanent carry the flags the fetch helpers set on their errors.
//
// Its text is the JavaScript error's message alone, which the fetch helpers word for users
// ("request failed: ...", "connection lost: ..."): it reaches them as the message of the
// error and close events. A JavaScript error without a message is shown by its name.
type jsError struct {
	name, message   string
	cors, permanent bool
}

func (e *jsError) Error() string {
	if e.message == "" {
		return e.name
	}
	return e.message
}

// classified is an error whose text is its cause's alone: the sentinels it also matches
// (eventsource.ErrPermanent, errCORS) classify it without adding words for users, as
// errors.Join would.
type classified struct {
	cause error
	marks []error
}

// classify returns cause marked with marks (nil ones left out).
func classify(cause error, marks ...error) error {
	return &classified{cause: cause, marks: marks}
}

func (e *classified) Error() string { return e.cause.Error() }

func (e *classified) Unwrap() []error {
	errs := []error{e.cause}
	for _, m := range e.marks {
		if m != nil {
			errs = append(errs, m)
		}
	}
	return errs
}

func newJSError(v js.Value) *jsError {
	if v.Type() == js.TypeObject {
		name, msg := v.Get("name"), v.Get("message")
		if name.Type() == js.TypeString || msg.Type() == js.TypeString {
			return &jsError{name: stringOr(name, ""), message: stringOr(msg, ""),
				cors: v.Get("cors").Truthy(), permanent: v.Get("permanent").Truthy()}
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
// js.Error) or a value of the wrong type (a panic of *js.ValueError, say Int on a string)
// into an error, so that bad values from JavaScript end one source, never the module.
func try(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			switch e := r.(type) {
			case js.Error:
				err = newJSError(e.Value)
			case *js.ValueError:
				err = &jsError{name: "TypeError", message: e.Error()}
			default:
				panic(r)
			}
		}
	}()
	f()
	return nil
}

// await waits for a thenable and returns its value, or its rejection as an error, or
// ctx's error once ctx is done (the callbacks then stay registered until the promise
// settles, and release themselves). A value that is not a thenable is returned as is. It
// must not be called from inside a js.FuncOf callback: it blocks the calling goroutine.
func await(ctx eventsource.Context, p js.Value) (js.Value, error) {
	if (p.Type() != js.TypeObject && p.Type() != js.TypeFunction) || p.Get("then").Type() != js.TypeFunction {
		return p, nil
	}
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	var onValue, onError js.Func
	settle := func(r result) {
		ch <- r
		onValue.Release()
		onError.Release()
	}
	onValue = js.FuncOf(func(_ js.Value, args []js.Value) any {
		settle(result{v: arg(args, 0)})
		return nil
	})
	onError = js.FuncOf(func(_ js.Value, args []js.Value) any {
		settle(result{err: newJSError(arg(args, 0))})
		return nil
	})
	if err := try(func() { p.Call("then", onValue, onError) }); err != nil {
		onValue.Release()
		onError.Release()
		return js.Undefined(), err
	}
	var done <-chan struct{}
	if ctx != nil {
		done = ctx.Done()
	}
	select {
	case r := <-ch:
		return r.v, r.err
	case <-done:
		return js.Undefined(), ctx.Err()
	}
}

func arg(args []js.Value, i int) js.Value {
	if i < len(args) {
		return args[i]
	}
	return js.Undefined()
}

// isFunction reports whether v is callable.
func isFunction(v js.Value) bool { return v.Type() == js.TypeFunction }

// onDone calls f once ctx is done, unless the returned stop function is called first. It
// uses one goroutine, which stop ends.
func onDone(ctx eventsource.Context, f func()) (stop func()) {
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
