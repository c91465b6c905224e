// A different correct fix: signal.Notify on a channel instead of NotifyContext, srv.Serve on
// its own listener, a sync.WaitGroup for the worker, and the job queue drained (every queued
// job runs before exit) instead of persisted. No readiness delay: the listener closes at once.
package main

import (
	"context"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	addr := getenv("ADDR", "127.0.0.1:8080")
	queue, err := NewQueue(getenv("JOBS_DIR", "jobs"), 1000)
	if err != nil {
		log.Fatal(err)
	}
	var workers sync.WaitGroup
	workers.Go(func() { queue.Run(nil) })

	var draining atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("GET /export", exportHandler)
	mux.HandleFunc("POST /jobs", jobsHandler(queue))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if draining.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
	})

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Printf("listening on %s", addr)

	select {
	case err := <-served:
		log.Fatal(err)
	case sig := <-sigs:
		log.Printf("%v: draining", sig)
	}
	signal.Stop(sigs)
	draining.Store(true)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		log.Printf("shutdown: %v", err)
		srv.Close()
	}
	<-served
	// No handler is left to Submit: close the queue and let the worker finish every job.
	queue.Close()
	workers.Wait()
	log.Print("queue drained")
}

func getenv(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
