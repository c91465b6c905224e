// Command reports is a small report service:
//
//	GET  /export   streams an export, row by row (about 1.1 s)
//	POST /jobs     queues a report job for the background worker; 202 with the job id
//	GET  /healthz  readiness: 200 while the service takes traffic, 503 once it drains
//
// Solution of the graceful-shutdown lab. On SIGTERM (or Ctrl-C) it
//  1. flips readiness to 503 and gives the load balancer a moment to notice,
//  2. stops accepting connections and waits, with a deadline, for the requests in flight
//     (http.Server.Shutdown),
//  3. stops the worker after the job in hand and persists the jobs still queued,
//  4. returns from main: exit code 0, well within the grace period.
package main

import (
	"context"
	"errors"
	"log"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	// readinessDelay: how long the server keeps serving, with /healthz answering 503, before
	// it closes its listener. Behind Kubernetes this is a few seconds (longer than the
	// readiness probe's periodSeconds × failureThreshold); the checker allows at most 0.5 s.
	readinessDelay = 250 * time.Millisecond
	// shutdownTimeout bounds the wait for requests in flight. The whole shutdown
	// (readinessDelay + shutdownTimeout + one job + Persist) must fit in the grace period
	// the orchestrator gives before SIGKILL (Kubernetes: 30 s; the checker: 8 s).
	shutdownTimeout = 5 * time.Second
)

func main() {
	addr := getenv("ADDR", "127.0.0.1:8080")
	queue, err := NewQueue(getenv("JOBS_DIR", "jobs"), 1000)
	if err != nil {
		log.Fatal(err)
	}
	stopWorker := make(chan struct{})
	workerDone := make(chan struct{})
	go func() {
		defer close(workerDone)
		queue.Run(stopWorker)
	}()

	var draining atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("GET /export", exportHandler)
	mux.HandleFunc("POST /jobs", jobsHandler(queue))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if draining.Load() {
			http.Error(w, "draining", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
	})
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}

	// SIGTERM is what Kubernetes, systemd and `docker stop` send; os.Interrupt is Ctrl-C.
	// From here on these signals cancel ctx instead of killing the process.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.ListenAndServe() }()
	log.Printf("listening on %s", addr)

	select {
	case err := <-serveErr:
		// Nobody has called Shutdown yet, so this is a real error (address in use...).
		log.Fatalf("listen: %v", err)
	case <-ctx.Done():
	}
	// Restore the default action: a second SIGTERM or Ctrl-C now kills at once.
	stop()
	log.Printf("shutdown: %v; draining", context.Cause(ctx))

	// 1. Readiness first: the load balancer stops sending new requests.
	draining.Store(true)
	time.Sleep(readinessDelay)

	// 2. Close the listener and wait for the requests in flight. Shutdown does not cancel
	// their contexts; it closes idle connections and polls until the active ones are done.
	// ListenAndServe has already returned ErrServerClosed: main must not return before
	// Shutdown does.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		// The deadline passed with requests still running: cut them, knowingly.
		log.Printf("shutdown: %v; closing the remaining connections", err)
		srv.Close()
	}
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		log.Printf("serve: %v", err)
	}

	// 3. No handler runs any more, so nothing can Submit: stop the worker after the job
	// in hand, wait for it, and persist what is still queued.
	close(stopWorker)
	<-workerDone
	n, err := queue.Persist()
	if err != nil {
		log.Printf("shutdown: persisting the queue: %v", err)
		os.Exit(1)
	}
	log.Printf("shutdown: complete, %d queued jobs persisted", n)
}

func getenv(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
