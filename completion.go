package sse

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/polysse/sse/internal/protocol"
)

// Outcome is how a stream ended for good: the value a completion token records and the
// value of the SSE-Outcome response header when a client redeems the token.
type Outcome string

// The outcomes a completion token can record.
const (
	// OutcomeComplete: the stream finished its work (Complete). Clients stop without error.
	OutcomeComplete Outcome = protocol.OutcomeComplete
	// OutcomeFatal: the stream failed for good (Fail). Clients stop with a failure.
	OutcomeFatal Outcome = protocol.OutcomeFatal
)

// DefaultMaxTokens is how many unredeemed tokens a MemoryStore keeps by default.
const DefaultMaxTokens = 100_000

// IsToken reports whether s has the form of a completion token (see NewToken): a UUID in
// its canonical 36-character text form. A server calls the CompletionStore only for such
// ids.
func IsToken(s string) bool { return protocol.IsToken(s) }

// NewToken returns a new completion token: a random (version 4) UUID in its canonical
// 36-character form, read from the platform's cryptographic random source. It returns an
// error only when that source fails.
func NewToken() (string, error) {
	var u [16]byte
	if err := randomBytes(u[:]); err != nil {
		return "", err
	}
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	const hex = "0123456789abcdef"
	var s [36]byte
	j := 0
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			s[j] = '-'
			j++
		}
		s[j], s[j+1] = hex[c>>4], hex[c&0x0f]
		j += 2
	}
	return string(s[:]), nil
}

// CompletionStore records completion tokens and redeems them once.
//
// Implementations must be safe for concurrent use, and Redeem must be atomic: of any number
// of concurrent Redeem calls for one recorded token, exactly one reports it found. The
// server passes a context derived from the request it serves; a store that does I/O
// should honour its deadline and cancellation.
type CompletionStore interface {
	// Record stores token with its outcome for ttl (DefaultTokenTTL when ttl <= 0).
	Record(ctx context.Context, token string, outcome Outcome, ttl time.Duration) error
	// Redeem removes token and returns its outcome and true, or "" and false when the
	// token is unknown, already redeemed or expired. An error means the store could not
	// tell (it is unreachable, say).
	Redeem(ctx context.Context, token string) (Outcome, bool, error)
}

// MemoryStore is a bounded in-memory CompletionStore for one process.
//
// It holds at most Max tokens (DefaultMaxTokens when zero); recording one more first drops
// expired tokens and then, if still full, the token closest to expiry. Expired tokens are
// never redeemed. The zero value is ready to use; a MemoryStore must not be copied after
// first use. It is safe for concurrent use.
type MemoryStore struct {
	// Max bounds the number of tokens kept; zero means DefaultMaxTokens.
	Max int

	mu       sync.Mutex
	tokens   map[string]*tokenEntry
	byExpiry expiryHeap
}

type tokenEntry struct {
	token   string
	outcome Outcome
	expires time.Time
	index   int // in byExpiry
}

// Record implements CompletionStore.
func (s *MemoryStore) Record(_ context.Context, token string, outcome Outcome, ttl time.Duration) error {
	if ttl <= 0 {
		ttl = DefaultTokenTTL
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tokens == nil {
		s.tokens = make(map[string]*tokenEntry)
	}
	if old, ok := s.tokens[token]; ok {
		old.outcome = outcome
		old.expires = now.Add(ttl)
		heap.Fix(&s.byExpiry, old.index)
		return nil
	}
	s.expireLocked(now)
	max := s.Max
	if max <= 0 {
		max = DefaultMaxTokens
	}
	for len(s.byExpiry) >= max {
		s.removeLocked(s.byExpiry[0])
	}
	e := &tokenEntry{token: token, outcome: outcome, expires: now.Add(ttl)}
	s.tokens[token] = e
	heap.Push(&s.byExpiry, e)
	return nil
}

// Redeem implements CompletionStore.
func (s *MemoryStore) Redeem(_ context.Context, token string) (Outcome, bool, error) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.tokens[token]
	if !ok {
		return "", false, nil
	}
	s.removeLocked(e)
	if !now.Before(e.expires) {
		return "", false, nil
	}
	return e.outcome, true, nil
}

// Len returns the number of tokens held, expired ones not yet dropped included.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tokens)
}

func (s *MemoryStore) expireLocked(now time.Time) {
	for len(s.byExpiry) > 0 && !now.Before(s.byExpiry[0].expires) {
		s.removeLocked(s.byExpiry[0])
	}
}

func (s *MemoryStore) removeLocked(e *tokenEntry) {
	heap.Remove(&s.byExpiry, e.index)
	delete(s.tokens, e.token)
}

type expiryHeap []*tokenEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }
func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *expiryHeap) Push(x any) {
	e := x.(*tokenEntry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
