// Wrong fix: srv.Close() instead of srv.Shutdown(ctx). Close closes the listeners AND every
// connection, active ones included: the requests in flight are cut. The queue is handled right.
package main

import (
	"context"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
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
	srv := &http.Server{Addr: addr, Handler: mux}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.ListenAndServe() }()
	log.Printf("listening on %s", addr)
	select {
	case err := <-serveErr:
		log.Fatalf("listen: %v", err)
	case <-ctx.Done():
	}
	stop()
	log.Print("shutting down")

	if err := srv.Close(); err != nil {
		log.Printf("close: %v", err)
	}
	<-serveErr
	close(stopWorker)
	<-workerDone
	if _, err := queue.Persist(); err != nil {
		log.Printf("persist: %v", err)
		os.Exit(1)
	}
}

func getenv(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
