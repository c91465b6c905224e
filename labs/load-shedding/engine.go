// The pricing engine: keep this file as it is.
//
// It stands for any resource of fixed size behind a handler: a database pool with
// SetMaxOpenConns, a licence-limited library, a GPU, a downstream service with a
// connection limit. Workers quotes run at a time and each takes ServiceTime, so the
// engine's capacity is Workers / ServiceTime = 200 quotes per second on any machine:
// the time is spent waiting (time.Sleep), not computing, so a faster or a busier CPU
// does not change it.
package main

import (
	"expvar"
	"hash/fnv"
	"time"
)

const (
	// Workers is how many quotes the engine computes at the same time.
	Workers = 4
	// ServiceTime is how long one quote takes.
	ServiceTime = 20 * time.Millisecond
)

// Quote is the engine's answer.
type Quote struct {
	SKU        string `json:"sku"`
	PriceCents int    `json:"price_cents"`
}

var (
	engineWaiting = expvar.NewInt("engine_waiting") // callers blocked in Quote, waiting for a worker
	engineBusy    = expvar.NewInt("engine_busy")    // workers computing a quote
	engineQuotes  = expvar.NewInt("engine_quotes")  // quotes computed since start
)

// Engine computes quotes, Workers at a time.
type Engine struct {
	workers chan struct{}
}

// NewEngine returns an engine with Workers idle workers.
func NewEngine() *Engine {
	return &Engine{workers: make(chan struct{}, Workers)}
}

// Quote prices one SKU. It blocks until one of the Workers is free: it puts no bound on
// how many callers wait, serves them in arrival order, and, like many client libraries of
// fixed-size pools, takes no context: once called, the quote is computed even if the
// client that asked for it has gone.
func (e *Engine) Quote(sku string) Quote {
	engineWaiting.Add(1)
	e.workers <- struct{}{}
	engineWaiting.Add(-1)
	engineBusy.Add(1)
	defer func() {
		engineBusy.Add(-1)
		engineQuotes.Add(1)
		<-e.workers
	}()
	time.Sleep(ServiceTime)
	h := fnv.New32a()
	h.Write([]byte(sku))
	return Quote{SKU: sku, PriceCents: 100 + int(h.Sum32()%9900)}
}
