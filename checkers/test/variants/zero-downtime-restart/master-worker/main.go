// Command quotes, as a master and its workers (the design of einhorn, overseer, nginx): the
// master process holds the listening socket and never serves; each worker gets a copy of the
// socket, loads the release and serves. On SIGHUP the master starts a new worker, waits until
// it is ready, then tells the old worker to drain (SIGTERM).
package main

import (
	"errors"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	log.SetPrefix("[" + strconv.Itoa(os.Getpid()) + "] ")
	if os.Getenv("QUOTES_WORKER") == "1" {
		worker()
		return
	}
	master()
}

func master() {
	ln, err := net.Listen("tcp", getenv("ADDR", "127.0.0.1:8080"))
	if err != nil {
		log.Fatalf("listen: %v", err)
	}
	sock, err := ln.(*net.TCPListener).File() // the master keeps this copy for every worker
	if err != nil {
		log.Fatalf("listener: %v", err)
	}
	ln.Close() // the master never accepts

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	// The deploy script signals the master; the file is there before anything is served.
	if err := writePIDFile(getenv("PID_FILE", "server.pid")); err != nil {
		log.Fatalf("pid file: %v", err)
	}
	current, err := startWorker(sock)
	if err != nil {
		log.Fatalf("first worker: %v", err)
	}
	for range hup {
		next, err := startWorker(sock)
		if err != nil {
			log.Printf("new release failed, worker %d keeps serving: %v", current.Process.Pid, err)
			continue
		}
		current.Process.Signal(syscall.SIGTERM) // drain and exit
		current = next
	}
}

func worker() {
	rel, err := loadRelease(getenv("CONFIG", "release.json"))
	if err != nil {
		log.Fatalf("cannot start: %v", err)
	}
	ln, err := listen("")
	if err != nil {
		log.Fatalf("listen: %v", err)
	}
	conns := newConnTracker()
	srv := &http.Server{
		Handler:           routes(rel),
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       60 * time.Second,
		ConnState:         conns.track,
	}
	served := make(chan struct{})
	drained := make(chan struct{})
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	go func() {
		<-term
		drain(srv, ln, served, conns)
		close(drained)
	}()
	ready()
	log.Printf("worker: release %s serving", rel.Version)
	err = srv.Serve(ln)
	close(served)
	if !errors.Is(err, net.ErrClosed) && !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("serve: %v", err)
	}
	<-drained
	log.Printf("worker: drained, exiting")
}

// writePIDFile writes this process's PID atomically (rename), so a reader never sees half a file.
func writePIDFile(path string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func getenv(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
