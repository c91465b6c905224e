// Wrong fix: a hand-rolled drain. A middleware counts the requests in flight; on SIGTERM main
// waits for the count to reach zero, saves the queue and exits. It never stops the listener:
// new connections are accepted (and /healthz says 200) until the very end.
package main

import (
	"context"
	"log"
	"net/http"
	"os"
	"os/signal"
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
	stopWorker := make(chan struct{})
	workerDone := make(chan struct{})
	go func() {
		defer close(workerDone)
		queue.Run(stopWorker)
	}()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /export", exportHandler)
	mux.HandleFunc("POST /jobs", jobsHandler(queue))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	var inFlight atomic.Int64
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inFlight.Add(1)
		defer inFlight.Add(-1)
		mux.ServeHTTP(w, r)
	})

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() { log.Fatal(http.ListenAndServe(addr, counted)) }()
	log.Printf("listening on %s", addr)
	<-ctx.Done()

	log.Print("draining")
	for inFlight.Load() > 0 {
		time.Sleep(20 * time.Millisecond)
	}
	close(stopWorker)
	<-workerDone
	if _, err := queue.Persist(); err != nil {
		log.Printf("persist: %v", err)
		os.Exit(1)
	}
	log.Print("bye")
}

func getenv(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
