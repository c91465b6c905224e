package main

import (
	"log"
	"net/http"
	"os"
	"os/exec"
)

// restart replaces this process with a new one running the same binary: stop serving,
// start the new process, exit. The new process reads the new release and listens on ADDR.
func restart(srv *http.Server) {
	srv.Close()

	exe, err := os.Executable()
	if err != nil {
		log.Fatalf("restart: %v", err)
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr // keep logging to the same place
	if err := cmd.Start(); err != nil {
		log.Fatalf("restart: %v", err)
	}
	log.Printf("started %d, exiting", cmd.Process.Pid)
	os.Exit(0)
}
