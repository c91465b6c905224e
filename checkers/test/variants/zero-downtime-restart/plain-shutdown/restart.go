package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"time"
)

// The listening socket outlives every process: the running process passes it to the new one
// (fd 3), so the port never stops listening and the connections waiting in its accept queue
// are accepted by whichever process is serving. The new process says it is ready through a
// pipe (fd 4); only then does the old one stop accepting and drain (drain, below).
//
// LISTEN_FDS=1 with the socket at fd 3 is systemd's socket-activation convention: the same
// binary also runs behind a systemd .socket unit.

const readyTimeout = 10 * time.Second

// listen returns the socket inherited from the process this one replaces, or a new one.
func listen(addr string) (net.Listener, error) {
	if os.Getenv("LISTEN_FDS") != "1" {
		return net.Listen("tcp", addr)
	}
	f := os.NewFile(3, "listener")
	defer f.Close() // FileListener made its own copy of the descriptor
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("inherited listener: %w", err)
	}
	return ln, nil
}

// ready tells the process this one replaces that it may stop serving. Call it once the
// server is about to Serve: the release is loaded, the listener is there, the PID file written.
func ready() {
	if os.Getenv("READY_FD") != "4" {
		return // started by hand or by the supervisor: nobody is waiting
	}
	f := os.NewFile(4, "ready")
	f.Write([]byte{'1'})
	f.Close()
	os.Unsetenv("LISTEN_FDS")
	os.Unsetenv("READY_FD")
}

// handOver starts the new process with the listening socket and waits until it is ready.
// An error means the new process did not take over: keep serving.
func handOver(ln net.Listener) error {
	f, err := ln.(*net.TCPListener).File() // a duplicate of the socket's descriptor
	if err != nil {
		return err
	}
	defer f.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()

	exe, err := os.Executable()
	if err != nil {
		w.Close()
		return err
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{f, w} // fd 3 and fd 4 in the new process
	cmd.Env = append(os.Environ(), "LISTEN_FDS=1", "READY_FD=4")
	err = cmd.Start()
	w.Close() // the new process holds the only write end: EOF means it is gone
	if err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // reaps it if it dies; we exit first if it lives

	readyc := make(chan bool, 1)
	go func() {
		var b [1]byte
		n, _ := r.Read(b[:])
		readyc <- n == 1
	}()
	select {
	case ok := <-readyc:
		if ok {
			return nil
		}
		return fmt.Errorf("new process %d exited before it was ready: %v", cmd.Process.Pid, <-exited)
	case <-time.After(readyTimeout):
		cmd.Process.Kill()
		return errors.New("new process not ready in time")
	}
}

// drain is the old process's half of the hand-over: Shutdown closes the listener, closes the
// idle connections and waits for the active ones.
func drain(srv *http.Server, ln net.Listener, served <-chan struct{}, conns *connTracker) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		log.Printf("shutdown: %v", err)
	}
}

// connTracker follows the state of every connection (http.Server.ConnState).
type connTracker struct {
	mu     sync.Mutex
	states map[net.Conn]http.ConnState
}

func newConnTracker() *connTracker {
	return &connTracker{states: make(map[net.Conn]http.ConnState)}
}

func (t *connTracker) track(c net.Conn, s http.ConnState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s == http.StateClosed || s == http.StateHijacked {
		delete(t.states, c)
	} else {
		t.states[c] = s
	}
}

// unread counts the connections accepted whose first request has not been read yet.
func (t *connTracker) unread() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, s := range t.states {
		if s == http.StateNew {
			n++
		}
	}
	return n
}
