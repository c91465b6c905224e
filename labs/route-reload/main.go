// Command stubd is a configurable HTTP stub server: it answers the routes listed in a
// JSON file (ROUTES_FILE, default routes.json) and re-reads that file on SIGHUP, so
// routes can be added and removed without a restart.
//
// It is the starter of the route-reload lab: it works, until it is reloaded while it
// is serving. Read README.md.
package main

import (
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	addr := envOr("ADDR", "127.0.0.1:8080")
	file := envOr("ROUTES_FILE", "routes.json")

	rt := newRouter()
	if err := rt.reload(file); err != nil {
		log.Printf("routes: %v (no routes until the next reload)", err)
	}

	// Subscribe before serving: SIGHUP's default action would kill the process.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			if err := rt.reload(file); err != nil {
				log.Printf("routes: reload failed, keeping the old routes: %v", err)
			}
		}
	}()

	srv := &http.Server{
		Addr:              addr,
		Handler:           rt,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	log.Printf("listening on %s (routes from %s, kill -HUP %d to reload)", addr, file, os.Getpid())
	log.Fatal(srv.ListenAndServe())
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
