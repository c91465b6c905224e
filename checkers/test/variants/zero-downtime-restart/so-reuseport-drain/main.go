// Command quotes serves stock quotes. A deploy puts the new release in place (release.json,
// or a new binary) and sends SIGHUP: the server replaces itself with a new process running
// the new release, like nginx's binary upgrade or Envoy's hot restart.
//
// A variant of the solution: the new process opens its own SO_REUSEPORT socket on ADDR
// (restart.go), the old one drains once the new one is ready.
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
	addr := getenv("ADDR", "127.0.0.1:8080")

	// The release this process runs. A broken release.json must stop the new process here,
	// before it serves anything.
	rel, err := loadRelease(getenv("CONFIG", "release.json"))
	if err != nil {
		log.Fatalf("cannot start: %v", err)
	}

	ln, err := listen(addr)
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
	handedOver := make(chan struct{})
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			log.Printf("SIGHUP: starting the new release")
			if err := handOver(ln); err != nil {
				log.Printf("restart failed, still serving release %s: %v", rel.Version, err)
				continue
			}
			// The new process accepts from the same socket now.
			drain(srv, ln, served, conns)
			close(handedOver)
			return
		}
	}()

	// The deploy script signals the PID in this file.
	if err := writePIDFile(getenv("PID_FILE", "server.pid")); err != nil {
		log.Fatalf("pid file: %v", err)
	}
	ready()
	log.Printf("release %s serving on %s", rel.Version, ln.Addr())
	err = srv.Serve(ln)
	close(served)
	if !errors.Is(err, net.ErrClosed) && !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("serve: %v", err)
	}
	<-handedOver // Serve returned when drain closed the listener: wait until the drain is done
	log.Printf("handed over, exiting")
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
