// A circuit breaker for one dependency.
//
// Variant (wrong fix): once open, this breaker stays open: no cool-down, no half-open probe.
// The outage is handled perfectly, and when the service comes back nobody notices: every page
// shows the fallback until the server is restarted.
package main

import (
	"errors"
	"sync"
	"time"
)

// ErrOpen is returned instead of calling a dependency whose breaker is open.
var ErrOpen = errors.New("circuit breaker open")

type breakerState int

const (
	closed   breakerState = iota // calls go through; consecutive failures are counted
	open                         // calls fail at once, until the cool-down has passed
	halfOpen                     // one probe call goes through; its outcome decides
)

func (s breakerState) String() string {
	return [...]string{"closed", "open", "half-open"}[s]
}

// Breaker opens after threshold consecutive failures. Once open, it rejects every call for
// coolDown, then lets a single probe through (half-open): a success closes it, a failure
// opens it for another coolDown. While the probe is in flight, every other call is rejected.
type Breaker struct {
	threshold int
	coolDown  time.Duration

	mu       sync.Mutex
	state    breakerState
	failures int       // consecutive failures while closed
	openedAt time.Time // when it last opened
	probing  bool      // a half-open probe is in flight
}

// NewBreaker returns a closed breaker.
func NewBreaker(threshold int, coolDown time.Duration) *Breaker {
	return &Breaker{threshold: threshold, coolDown: coolDown}
}

// Allow reports whether a call may go to the dependency now. Every call it allows must be
// followed by exactly one of Success, Failure or Abandon.
func (b *Breaker) Allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case closed:
		return true
	case open:
		return false // "it will be fixed by a deploy anyway"
	default: // half-open: one probe at a time
		if b.probing {
			return false
		}
		b.probing = true
		return true
	}
}

// Success records a call that the dependency answered well: the breaker closes.
func (b *Breaker) Success() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
	b.failures = 0
	b.setState(closed)
}

// Failure records a call that failed because of the dependency (an error, a timeout, a 5xx).
func (b *Breaker) Failure() {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case halfOpen:
		b.probing = false
		b.trip()
	case closed:
		b.failures++
		if b.failures >= b.threshold {
			b.trip()
		}
	}
	// open: a call that started before the breaker opened; nothing more to learn.
}

// Abandon records a call that ended without a verdict on the dependency: our own caller went
// away. A half-open probe that is abandoned frees its place for the next call.
func (b *Breaker) Abandon() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == halfOpen {
		b.probing = false
	}
}

func (b *Breaker) trip() {
	b.failures = 0
	b.openedAt = time.Now()
	b.setState(open)
}

func (b *Breaker) setState(s breakerState) {
	if b.state != s {
		breakerChanges.Add(s.String(), 1)
		b.state = s
	}
}
