package main

// A fast local check of the same two cases as the checker, with go test (Go 1.25+).
//
// Inside synctest.Test time is virtual: the 1 s timeout and the 600 ms / 1.5 s lookups take
// no real time. When the test function returns, a goroutine started inside the bubble that
// is still blocked (for example on a channel send nobody will receive) fails the test with
// "deadlock: main bubble goroutine has exited but blocked goroutines remain".

import (
	"context"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"
)

func TestQuote(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		qs := &quoteServer{pricing: newPricingClient(), timeout: time.Second}
		rec := httptest.NewRecorder()
		qs.handleQuote(rec, httptest.NewRequest("GET", "/quote?sku=keyboard&qty=3", nil))
		if rec.Code != 200 || rec.Body.String() != `{"sku":"keyboard","qty":3,"unit_cents":4900,"total_cents":14700}`+"\n" {
			t.Fatalf("got %d %q", rec.Code, rec.Body.String())
		}
	})
}

func TestTimeoutLeavesNoGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		qs := &quoteServer{pricing: newPricingClient(), timeout: time.Second}
		rec := httptest.NewRecorder()
		qs.handleQuote(rec, httptest.NewRequest("GET", "/quote?sku=gpu", nil))
		if rec.Code != 504 {
			t.Fatalf("status %d, want 504", rec.Code)
		}
		// Give the 1.5 s lookup time to finish; whatever is still blocked after that leaked.
		time.Sleep(2 * time.Second)
	})
}

func TestClientAbortLeavesNoGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		qs := &quoteServer{pricing: newPricingClient(), timeout: time.Second}
		// The client goes away 100 ms into a 600 ms lookup: net/http cancels r.Context().
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		req := httptest.NewRequest("GET", "/quote?sku=monitor", nil).WithContext(ctx)
		qs.handleQuote(httptest.NewRecorder(), req)
		time.Sleep(2 * time.Second)
	})
}
