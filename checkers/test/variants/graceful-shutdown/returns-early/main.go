// Wrong fix: the signal handling and Shutdown live in a goroutine, and main returns as soon
// as ListenAndServe returns. ListenAndServe returns http.ErrServerClosed the moment Shutdown
// starts, so the process exits while Shutdown is still waiting for the requests in flight.
package main

import (
	"context"
	"errors"
	"log"
	"net/http"
	"os"
	"os/signal"
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
	srv := &http.Server{Addr: addr, Handler: mux}

	go func() {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		defer stop()
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			log.Printf("shutdown: %v", err)
		}
		close(stopWorker)
		<-workerDone
		if _, err := queue.Persist(); err != nil {
			log.Printf("persist: %v", err)
		}
	}()

	log.Printf("listening on %s", addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
	log.Print("server stopped")
}

func getenv(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
