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
	"syscall"
	"time"
)

// Two sockets on one port (SO_REUSEPORT): the new process binds ADDR itself while the old one
// still listens, says it is ready through a pipe (fd 4), and only then does the old one stop
// accepting and drain (drain, below). The kernel spreads new connections over both sockets
// meanwhile. The residual race: a connection waiting in the OLD socket's accept queue at the
// moment it closes is reset, unless net.ipv4.tcp_migrate_req=1 (Linux 5.14+) moves it to the
// new socket.

const readyTimeout = 10 * time.Second

// soReusePort is SO_REUSEPORT on Linux (the frozen syscall package lacks it on amd64;
// golang.org/x/sys/unix has unix.SO_REUSEPORT).
const soReusePort = 0xf

// listen opens a listener of its own with SO_REUSEPORT: the old and the new process both
// listen on ADDR during the hand-over, each with its own socket and accept queue.
func listen(addr string) (net.Listener, error) {
	lc := net.ListenConfig{Control: func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, soReusePort, 1)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	return lc.Listen(context.Background(), "tcp", addr)
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

// handOver starts the new process (it binds ADDR itself) and waits until it is ready.
func handOver(ln net.Listener) error {
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
	cmd.ExtraFiles = []*os.File{nil, w}
	cmd.Env = append(os.Environ(), "READY_FD=4")
	err = cmd.Start()
	w.Close()
	if err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
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
		return fmt.Errorf("new process exited before it was ready: %v", <-exited)
	case <-time.After(readyTimeout):
		cmd.Process.Kill()
		return errors.New("new process not ready in time")
	}
}

// drain is the old process's half of the hand-over: stop accepting, answer every connection
// already accepted, exit. srv.Shutdown alone is not enough: a request it reads after it began
// is dropped without an answer (net/http, (*conn).serve: "if c.server.shuttingDown() { return }"
// after readRequest). On a kept-alive connection the client retries; on a connection accepted a
// moment ago, whose request is still on its way, the client just gets an empty reply. So the
// listener is closed first, and Shutdown waits until those connections have sent their request.
func drain(srv *http.Server, ln net.Listener, served <-chan struct{}, conns *connTracker) {
	ln.Close() // our descriptor only: the new process keeps the socket and its accept queue
	<-served   // Serve has returned: every connection it accepted is tracked
	deadline := time.Now().Add(2 * time.Second)
	for conns.unread() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Idle connections are closed now (their clients retry on the new process); active ones
	// finish their response first.
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, net.ErrClosed) {
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
