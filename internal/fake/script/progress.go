package script

// progress says whether running a step writes to the client or waits, as far as the
// script tells: an endless repeat step whose steps never do would spin (and, in a
// testing/synctest bubble, stop the bubble's clock for good).
type progress uint8

const (
	progressNever  progress = iota // returns at once, writing nothing
	progressMaybe                  // depends on what a template expands to per request
	progressSurely                 // writes or waits
)

// stepsProgress returns the most that one of steps does.
func stepsProgress(steps []Step) progress {
	p := progressNever
	for i := range steps {
		p = max(p, steps[i].progress())
		if p == progressSurely {
			break
		}
	}
	return p
}

func (s *Step) progress() progress {
	switch s.Kind {
	case StepComment, StepEnd, StepDrop, StepHold, StepComplete, StepFail:
		return progressSurely // a comment writes ":" at least; an ending ends the round
	case StepEvent:
		return s.Event.progress()
	case StepRetry:
		if s.Num != nil && !s.Num.isTmpl {
			return progressSurely // "retry: 0" too
		}
		return progressMaybe
	case StepRaw:
		if s.Bytes != nil {
			return boolProgress(len(s.Bytes) > 0)
		}
		return textProgress(s.Text)
	case StepWait:
		return numProgress(s.Num)
	case StepRepeat:
		inner := stepsProgress(s.Steps)
		if s.Num == nil {
			return inner
		}
		return min(inner, numProgress(s.Num))
	}
	return progressNever // a publish reaches other streams, not necessarily this one
}

// progress of an event step: an event without type, id, data or retry writes nothing.
func (e *Event) progress() progress {
	if e == nil {
		return progressNever
	}
	p := max(textProgress(e.Type), textProgress(e.ID))
	if e.Data.isJSON {
		p = progressSurely
	} else {
		p = max(p, textProgress(e.Data.text))
	}
	if e.Retry != nil {
		p = max(p, numProgress(e.Retry))
	}
	return p
}

// textProgress: a static text writes when it is not empty; a template may expand empty.
func textProgress(t Template) progress {
	if t.IsStatic() {
		return boolProgress(t.src != "")
	}
	return progressMaybe
}

// numProgress: a literal does something when above 0 (a wait, a count, a retry time).
func numProgress(n *Num) progress {
	if n == nil {
		return progressNever
	}
	if n.isTmpl {
		return progressMaybe
	}
	return boolProgress(n.lit > 0)
}

func boolProgress(b bool) progress {
	if b {
		return progressSurely
	}
	return progressNever
}

// errSpins is the message of an endless repeat step whose steps never wait or write.
const errSpins = "a repeat step without a count must wait or write in every round, but its steps never do (it would spin): add a wait step, or give it a count"
