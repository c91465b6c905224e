// Command reports is a small report service:
//
//	GET  /export   streams an export, row by row (about 1.1 s)
//	POST /jobs     queues a report job for the background worker; 202 with the job id
//	GET  /healthz  readiness: 200 while the service takes traffic
//
// It is the starter of the graceful-shutdown lab. It works until it is stopped: when the
// orchestrator sends SIGTERM (a deploy, a scale-down, a node drain), the process dies on
// the spot, exports in flight are cut and queued jobs vanish. Read README.md.
package main

import (
	"log"
	"net/http"
	"os"
)

func main() {
	addr := getenv("ADDR", "127.0.0.1:8080")
	queue, err := NewQueue(getenv("JOBS_DIR", "jobs"), 1000)
	if err != nil {
		log.Fatal(err)
	}
	go queue.Run(nil) // nil: the worker is never told to stop

	mux := http.NewServeMux()
	mux.HandleFunc("GET /export", exportHandler)
	mux.HandleFunc("POST /jobs", jobsHandler(queue))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})

	log.Printf("listening on %s", addr)
	// Nothing here handles SIGTERM. A Go program that has not called signal.Notify for it
	// takes the default action: the runtime re-raises the signal and the process dies at
	// once. Every request in flight is cut, every queued job is gone.
	log.Fatal(http.ListenAndServe(addr, mux))
}

func getenv(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
