package main

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// retryPolicy says how a call to another service is retried.
type retryPolicy struct {
	attempts       int           // at most, first attempt included
	attemptTimeout time.Duration // each attempt, dialing to the last byte
	deadline       time.Duration // the whole call, pauses included
	baseBackoff    time.Duration // the pause before retry n is random in [0, min(maxBackoff, baseBackoff·2ⁿ))
	maxBackoff     time.Duration
	budget         *tokenBucket // one token per retry
}

// do runs attempt until it succeeds, fails for good, or the policy says stop. attempt reports
// whether its failure is transient (worth another try); only idempotent calls are retried.
func do[T any](ctx context.Context, p retryPolicy, idempotent bool, attempt func(context.Context) (T, bool, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, p.deadline)
	defer cancel()
	for n := 1; ; n++ {
		actx, acancel := context.WithTimeout(ctx, p.attemptTimeout)
		v, transient, err := attempt(actx)
		acancel()
		if !transient || !idempotent || n >= p.attempts || ctx.Err() != nil || !p.budget.take() {
			return v, err
		}
		t := time.NewTimer(rand.N(min(p.maxBackoff, p.baseBackoff<<n)))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return v, err
		}
	}
}

// tokenBucket holds at most capacity tokens and gains perSecond tokens a second: retries
// never exceed capacity in a burst, nor perSecond on average.
type tokenBucket struct {
	mu        sync.Mutex
	tokens    float64
	capacity  float64
	perSecond float64
	last      time.Time
}

func newTokenBucket(capacity, perSecond float64) *tokenBucket {
	return &tokenBucket{tokens: capacity, capacity: capacity, perSecond: perSecond, last: time.Now()}
}

func (b *tokenBucket) take() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	b.tokens = min(b.capacity, b.tokens+now.Sub(b.last).Seconds()*b.perSecond)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
