package fake

import (
	"context"
	"errors"
	"strconv"
	"time"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/internal/fake/script"
)

// errTooLong is the error of a step longer than script.MaxExpanded once expanded.
var errTooLong = errors.New("longer than 1 MiB once expanded")

// IdleRound is how long an endless repeat step waits, on the Go runtime's clock, after a
// round that neither wrote nor waited (its templates expanded empty), so that it never
// spins: the script checks reject an endless repeat that can never write or wait, and
// this covers those whose templates decide per request.
const IdleRound = 10 * time.Millisecond

// runSteps runs steps on c with v (v.I is set inside repeat steps) and returns the
// ending, if the last step is one. It stops at the first error: the connection ended,
// the scope was reset, or a template expanded to a value its field does not take.
func runSteps(c *Conn, steps []script.Step, v script.Vars) (*script.Step, error) {
	for i := range steps {
		st := &steps[i]
		if st.Kind.IsEnding() {
			return st, nil
		}
		if err := runStep(c, st, &v); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

func runStep(c *Conn, st *script.Step, v *script.Vars) error {
	fieldErr := func(err error) error {
		return &script.FieldError{Field: st.Kind.String(), Err: err}
	}
	switch st.Kind {
	case script.StepEvent:
		x, err := st.Event.Expand(v)
		if err != nil {
			return err
		}
		ev := toSSE(x)
		if ev.Type != "" || ev.ID != "" || ev.Data != "" || ev.Retry > 0 {
			c.progressed.Add(1) // an empty event writes nothing
		}
		return c.Send(ev)
	case script.StepComment:
		t := st.Text.Expand(v)
		if len(t) > script.MaxExpanded {
			return fieldErr(errTooLong)
		}
		c.progressed.Add(1)
		return c.Comment(t)
	case script.StepRetry:
		ms, ok, err := st.Num.Expand(v)
		if err != nil {
			return fieldErr(err)
		}
		if !ok {
			return nil // an empty template drops the step
		}
		c.progressed.Add(1)
		if ms == 0 {
			return c.Raw([]byte("retry: 0\n\n")) // an Event cannot say 0
		}
		return c.Send(sse.Event{Retry: time.Duration(ms) * time.Millisecond})
	case script.StepRaw:
		b := st.Bytes
		if b == nil {
			t := st.Text.Expand(v)
			if len(t) > script.MaxExpanded {
				return fieldErr(errTooLong)
			}
			b = []byte(t)
		}
		if len(b) > 0 {
			c.progressed.Add(1)
		}
		return c.Raw(b)
	case script.StepWait:
		ms, ok, err := st.Num.Expand(v)
		if err != nil {
			return fieldErr(err)
		}
		if !ok || ms == 0 {
			return nil
		}
		c.progressed.Add(1)
		return c.Sleep(time.Duration(ms) * time.Millisecond)
	case script.StepPublish:
		x, err := st.Event.Expand(v)
		if err != nil {
			return err
		}
		topic := st.Topic.Expand(v)
		if c.x == nil {
			return nil
		}
		_, err = c.x.s.Publish(context.WithoutCancel(c.req.Context()), topic, toSSE(x))
		return err
	case script.StepRepeat:
		return runRepeat(c, st, *v)
	}
	return errors.New("fake: step " + strconv.Quote(st.Kind.String()) + " cannot run here")
}

// runRepeat runs a repeat step's steps n times (n nil: until the connection ends), with
// v.I the 1-based round. An endless round that neither wrote nor waited is followed by a
// wait of IdleRound: a round that writes cannot spin (Push waits for the session's queue,
// and a plain response's writes wait for the client), one that does nothing would.
func runRepeat(c *Conn, st *script.Step, v script.Vars) error {
	n := int64(-1)
	if st.Num != nil {
		x, ok, err := st.Num.Expand(&v)
		if err != nil {
			return &script.FieldError{Field: "repeat", Err: err}
		}
		if !ok {
			return nil
		}
		n = x
	}
	for i := int64(1); n < 0 || i <= n; i++ {
		v.I = int(i)
		before := c.progressed.Load()
		if _, err := runSteps(c, st.Steps, v); err != nil {
			return err
		}
		if n < 0 && len(st.Steps) > 0 && c.progressed.Load() == before {
			if err := c.Sleep(IdleRound); err != nil {
				return err
			}
		}
		if len(st.Steps) == 0 || n < 0 {
			// An endless (or empty) loop still yields to the connection's end and resets.
			select {
			case <-c.Done():
				return c.ended()
			default:
			}
			if c.x != nil {
				select {
				case <-c.x.gen.done:
					return ErrReset
				default:
				}
			}
		}
		if len(st.Steps) == 0 && n < 0 {
			return c.Sleep(time.Duration(1 << 62)) // nothing to repeat: hold
		}
	}
	return nil
}
