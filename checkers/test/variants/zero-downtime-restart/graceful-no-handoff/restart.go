package main

import (
	"context"
	"log"
	"net/http"
	"os"
	"os/exec"
	"time"
)

// restart replaces this process gracefully: finish the requests in flight (Shutdown), then
// start the new process, which listens on ADDR again, and exit.
func restart(srv *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		log.Printf("shutdown: %v", err)
	}

	exe, err := os.Executable()
	if err != nil {
		log.Fatalf("restart: %v", err)
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		log.Fatalf("restart: %v", err)
	}
	log.Printf("drained, started %d, exiting", cmd.Process.Pid)
	os.Exit(0)
}
