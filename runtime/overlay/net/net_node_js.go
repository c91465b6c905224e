// Copyright 2026 Go HA Labs. Use of this source code is governed by a BSD-style license.

// Real TCP for js/wasm under Node (added to package net by `go build -overlay`).
//
// When the launcher (runtime/launcher/run-wasm.mjs) has installed globalThis.__ghlNet, every TCP
// listener is a Node net.Server on the same host:port and every TCP dial is a Node socket, so a
// Go program's unchanged http.ListenAndServe serves real connections, and dials reach real
// servers (or are refused by the kernel). The relay lives here, in the netFD: Node events arrive
// through one js.Func dispatcher and fill per-connection buffers; Read, Write and Accept wait on
// channels with the fake network's deadline timers. No goroutine is added per connection or per
// listener, so goroutine counts match a native build.
//
// Fidelity to a native Linux build:
//   - port 0 gets a real port, Addr() reports it; wildcard listeners (":p", "0.0.0.0:p", "[::]:p")
//     are real wildcard listeners; EADDRINUSE and friends come back as "bind: ..." errors;
//   - a dial nobody listens for is refused (ECONNREFUSED) by the kernel;
//   - backpressure: a connection's buffer pauses the Node socket past nodeReadHigh bytes, and a
//     Write returns once Node has taken the bytes below its high-water mark (else after 'drain');
//   - half-close: CloseWrite sends FIN, the peer's FIN reads as io.EOF after the buffered bytes;
//   - resets: SetLinger(0) then Close, or Close with unread bytes, sends RST (as close(2) does);
//     a peer's RST reads as ECONNRESET;
//   - Close with bytes still queued flushes them before FIN, like close(2);
//   - the open-files limit (RLIMIT_NOFILE) is emulated when the launcher got --max-files: a native
//     process at rest holds nodeBaseFiles descriptors, and every listener and connection one more;
//     past the limit Accept fails with EMFILE and the connection waits (as in the kernel's queue).
// Without the launcher's bridge, TCP falls back to the in-process fake network.

//go:build js

package net

import (
	"context"
	"internal/bytealg"
	"io"
	"os"
	"sync"
	"syscall"
	"syscall/js"
)

// Event codes sent by runtime/launcher/node-net.mjs (keep in sync).
const (
	nodeEvListening    = 1
	nodeEvListenError  = 2
	nodeEvConn         = 3
	nodeEvConnected    = 4
	nodeEvConnectError = 5
	nodeEvData         = 6
	nodeEvEnd          = 7
	nodeEvError        = 8
	nodeEvClose        = 9
	nodeEvDrain        = 10
)

// Write results from the bridge's write (keep in sync).
const (
	nodeWriteOK        = 1
	nodeWriteWaitDrain = 0
	nodeWriteGone      = -1
)

const (
	// nodeReadHigh pauses the Node socket when this many received bytes wait for Read.
	nodeReadHigh = 128 << 10
	// nodeReadLow resumes it once Read brought the buffer below this.
	nodeReadLow = 32 << 10
	// nodeBaseFiles is what a native Go server holds before its first listener:
	// stdin, stdout, stderr, two cgroup files, the epoll and the eventfd descriptors.
	nodeBaseFiles = 7
)

type nodeBridge struct {
	once     sync.Once
	obj      js.Value
	ok       bool
	maxFiles int

	// the bridge's functions, looked up once (a lookup by name costs a call into JS)
	fnWrite, fnPause, fnResume, fnReset, fnClose, fnEnd js.Value
	// writes are copied into this JS buffer, which the bridge copies into a Buffer for Node
	// (no JS object per write on the Go side)
	scratch js.Value

	mu        sync.Mutex
	conns     map[int]*nodeConn
	listeners map[int]*nodeListener
	openFiles int
	dispatch  js.Func
}

var nodeNet nodeBridge

// nodeNetEnabled reports whether TCP goes through Node (the launcher's bridge is installed).
func nodeNetEnabled() bool {
	nodeNet.once.Do(func() {
		obj := js.Global().Get("__ghlNet")
		if obj.Type() != js.TypeObject {
			return
		}
		nodeNet.obj = obj
		nodeNet.ok = true
		if mf := obj.Get("maxFiles"); mf.Type() == js.TypeNumber {
			nodeNet.maxFiles = mf.Int()
		}
		nodeNet.fnWrite = obj.Get("write")
		nodeNet.fnPause = obj.Get("pause")
		nodeNet.fnResume = obj.Get("resume")
		nodeNet.fnReset = obj.Get("reset")
		nodeNet.fnClose = obj.Get("close")
		nodeNet.fnEnd = obj.Get("end")
		nodeNet.scratch = obj.Get("scratch")
		nodeNet.conns = make(map[int]*nodeConn)
		nodeNet.listeners = make(map[int]*nodeListener)
		nodeNet.dispatch = js.FuncOf(nodeDispatch)
		obj.Call("setDispatcher", nodeNet.dispatch)
	})
	return nodeNet.ok
}

func isNodeTCP(network string, sotype int) bool {
	if sotype != syscall.SOCK_STREAM {
		return false
	}
	switch network {
	case "tcp", "tcp4", "tcp6":
		return nodeNetEnabled()
	}
	return false
}

// nodeOpenFile takes one emulated file descriptor, or fails with EMFILE past the limit.
func nodeOpenFile() bool {
	nodeNet.mu.Lock()
	defer nodeNet.mu.Unlock()
	if nodeNet.maxFiles > 0 && nodeBaseFiles+nodeNet.openFiles >= nodeNet.maxFiles {
		return false
	}
	nodeNet.openFiles++
	return true
}

func nodeCloseFile() {
	nodeNet.mu.Lock()
	nodeNet.openFiles--
	nodeNet.mu.Unlock()
}

var nodeErrnos = map[string]syscall.Errno{
	"EACCES":        syscall.EACCES,
	"EADDRINUSE":    syscall.EADDRINUSE,
	"EADDRNOTAVAIL": syscall.EADDRNOTAVAIL,
	"EAFNOSUPPORT":  syscall.EAFNOSUPPORT,
	"ECONNABORTED":  syscall.ECONNABORTED,
	"ECONNREFUSED":  syscall.ECONNREFUSED,
	"ECONNRESET":    syscall.ECONNRESET,
	"EHOSTUNREACH":  syscall.EHOSTUNREACH,
	"EINVAL":        syscall.EINVAL,
	"EMFILE":        syscall.EMFILE,
	"ENETUNREACH":   syscall.ENETUNREACH,
	"ENFILE":        syscall.ENFILE,
	"ENOBUFS":       syscall.ENOBUFS,
	"EPERM":         syscall.EPERM,
	"EPIPE":         syscall.EPIPE,
	"ETIMEDOUT":     syscall.ETIMEDOUT,
}

func nodeErrno(code string) syscall.Errno {
	if e, ok := nodeErrnos[code]; ok {
		return e
	}
	return syscall.EIO
}

// nodeTCPAddr turns Node's address strings into what a native accept/getsockname gives:
// a 4-byte IP for IPv4, 16 bytes (with IPv4-mapped addresses printing as IPv4) for IPv6.
func nodeTCPAddr(address string, port int) *TCPAddr {
	zone := ""
	if i := bytealg.IndexByteString(address, '%'); i >= 0 {
		address, zone = address[:i], address[i+1:]
	}
	ip := ParseIP(address)
	if ip4 := ip.To4(); ip4 != nil && bytealg.IndexByteString(address, ':') < 0 {
		ip = ip4
	}
	return &TCPAddr{IP: ip, Port: port, Zone: zone}
}

// nodeDispatch receives every event of the bridge. It runs on the js/wasm event goroutine and
// must never block: it only updates state under short locks and wakes waiters.
func nodeDispatch(this js.Value, args []js.Value) any {
	code := args[0].Int()
	id := args[1].Int()
	switch code {
	case nodeEvListening, nodeEvListenError, nodeEvConn:
		nodeNet.mu.Lock()
		ln := nodeNet.listeners[id]
		nodeNet.mu.Unlock()
		if ln == nil {
			if code == nodeEvConn {
				nodeNet.fnReset.Invoke(args[2].Int())
			}
			return nil
		}
		switch code {
		case nodeEvListening:
			ln.ready <- nodeListenResult{port: args[2].Int(), address: args[3].String()}
		case nodeEvListenError:
			ln.ready <- nodeListenResult{errno: nodeErrno(args[2].String())}
		case nodeEvConn:
			ln.incoming(args[2].Int(), nodeTCPAddr(args[3].String(), args[4].Int()), nodeTCPAddr(args[5].String(), args[6].Int()))
		}
		return nil
	}

	nodeNet.mu.Lock()
	c := nodeNet.conns[id]
	nodeNet.mu.Unlock()
	if c == nil {
		return nil
	}
	switch code {
	case nodeEvConnected:
		c.connected <- nodeConnectResult{laddr: nodeTCPAddr(args[2].String(), args[3].Int()), raddr: nodeTCPAddr(args[4].String(), args[5].Int())}
	case nodeEvConnectError:
		c.connected <- nodeConnectResult{errno: nodeErrno(args[2].String())}
	case nodeEvData:
		buf := make([]byte, args[2].Length())
		js.CopyBytesToGo(buf, args[2])
		c.received(buf)
	case nodeEvEnd:
		c.update(func() { c.eof = true })
	case nodeEvError:
		errno := nodeErrno(args[2].String())
		c.update(func() {
			if errno == syscall.EPIPE {
				c.werr = errno
			} else if c.rerr == nil {
				c.rerr = errno
			}
		})
	case nodeEvClose:
		nodeNet.mu.Lock()
		delete(nodeNet.conns, id)
		nodeNet.mu.Unlock()
		c.update(func() { c.gone = true })
	case nodeEvDrain:
		c.update(func() { c.drained = true })
	}
	return nil
}

// ---- listeners ----

type nodeListenResult struct {
	port    int
	address string
	errno   syscall.Errno
}

type nodeListener struct {
	id    int
	fd    *netFD
	ready chan nodeListenResult

	mu      sync.Mutex
	pending []*netFD
	closed  bool
	changed chan struct{} // closed and replaced when pending or closed changes
}

// nodeListen opens a Node server for fd on laddr and waits until it listens or fails.
func nodeListen(fd *netFD, family int, ipv6only bool, laddr sockaddr) error {
	var ip IP
	port := 0
	if la, ok := laddr.(*TCPAddr); ok && la != nil {
		ip, port = la.IP, la.Port
	}
	if port < 0 || port >= 1<<16 {
		return &AddrError{Err: "port out of range", Addr: laddr.String()}
	}
	host := ""
	switch {
	case ip == nil || ip.IsUnspecified():
		if family == syscall.AF_INET {
			host = "0.0.0.0"
		} else {
			host = "::"
		}
	default:
		host = ip.String()
	}
	if !nodeOpenFile() {
		return os.NewSyscallError("socket", syscall.EMFILE)
	}
	ln := &nodeListener{fd: fd, ready: make(chan nodeListenResult, 1), changed: make(chan struct{})}
	nodeNet.mu.Lock()
	ln.id = nodeNet.obj.Call("listen", host, port, ipv6only, listenerBacklog()).Int()
	nodeNet.listeners[ln.id] = ln
	nodeNet.mu.Unlock()

	r := <-ln.ready
	if r.errno != 0 {
		nodeNet.mu.Lock()
		delete(nodeNet.listeners, ln.id)
		nodeNet.mu.Unlock()
		nodeCloseFile()
		return os.NewSyscallError("bind", r.errno)
	}
	fd.laddr = nodeTCPAddr(r.address, r.port)
	fd.fakeNetFD.nodeLn = ln
	return nil
}

// incoming queues a connection Node accepted; Accept hands it to Go.
func (ln *nodeListener) incoming(id int, laddr, raddr *TCPAddr) {
	c := newNodeConn(id)
	nodeNet.mu.Lock()
	nodeNet.conns[id] = c
	nodeNet.mu.Unlock()
	fd := &netFD{family: ln.fd.family, sotype: syscall.SOCK_STREAM, net: ln.fd.net, laddr: laddr, raddr: raddr, isConnected: true}
	fd.fakeNetFD = newFakeNetFD(fd)
	fd.fakeNetFD.node = c

	ln.mu.Lock()
	if ln.closed {
		ln.mu.Unlock()
		c.forget()
		nodeNet.fnReset.Invoke(id)
		return
	}
	ln.pending = append(ln.pending, fd)
	ln.broadcast()
	ln.mu.Unlock()
}

func (ln *nodeListener) broadcast() {
	close(ln.changed)
	ln.changed = make(chan struct{})
}

func (ln *nodeListener) accept(dt *deadlineTimer) (*netFD, error) {
	for {
		select {
		case <-dt.expired:
			return nil, os.ErrDeadlineExceeded
		default:
		}
		ln.mu.Lock()
		if ln.closed {
			ln.mu.Unlock()
			return nil, ErrClosed
		}
		if len(ln.pending) > 0 {
			if !nodeOpenFile() {
				// The connection stays queued, as it would in the kernel's accept queue.
				ln.mu.Unlock()
				return nil, os.NewSyscallError("accept", syscall.EMFILE)
			}
			fd := ln.pending[0]
			ln.pending[0] = nil
			ln.pending = ln.pending[1:]
			ln.mu.Unlock()
			fd.fakeNetFD.node.counted = true
			nodeNet.fnResume.Invoke(fd.fakeNetFD.node.id)
			return fd, nil
		}
		changed := ln.changed
		ln.mu.Unlock()
		select {
		case <-changed:
		case <-dt.expired:
			return nil, os.ErrDeadlineExceeded
		}
	}
}

func (ln *nodeListener) close() error {
	ln.mu.Lock()
	if ln.closed {
		ln.mu.Unlock()
		return ErrClosed
	}
	ln.closed = true
	pending := ln.pending
	ln.pending = nil
	ln.broadcast()
	ln.mu.Unlock()

	nodeNet.mu.Lock()
	delete(nodeNet.listeners, ln.id)
	nodeNet.mu.Unlock()
	nodeNet.obj.Call("closeServer", ln.id)
	// Connections still in the accept queue of a closed listener are reset.
	for _, fd := range pending {
		fd.fakeNetFD.node.forget()
		nodeNet.fnReset.Invoke(fd.fakeNetFD.node.id)
	}
	nodeCloseFile()
	return nil
}

// ---- connections ----

type nodeConnectResult struct {
	laddr, raddr *TCPAddr
	errno        syscall.Errno
}

type nodeConn struct {
	id        int
	connected chan nodeConnectResult
	counted   bool // holds an emulated file descriptor

	mu       sync.Mutex
	chunks   [][]byte // received, not yet read; chunks[0][off:] is next
	off      int
	buffered int
	paused   bool
	eof      bool  // the peer sent FIN
	rerr     error // the peer reset the connection, or the socket failed
	werr     error // a write failed (EPIPE: the peer is gone); reads see EOF or rerr
	gone     bool  // Node closed the socket
	drained  bool  // 'drain' since the last write that had to wait
	closed   bool  // Go closed it
	readShut bool
	wrShut   bool
	linger   int // -1: default (graceful close); 0: reset on Close
	changed  chan struct{}
}

func newNodeConn(id int) *nodeConn {
	return &nodeConn{id: id, linger: -1, changed: make(chan struct{}), connected: make(chan nodeConnectResult, 1)}
}

// forget drops the connection from the dispatcher's table (no more events for it).
func (c *nodeConn) forget() {
	nodeNet.mu.Lock()
	delete(nodeNet.conns, c.id)
	nodeNet.mu.Unlock()
}

// update changes the state under the lock and wakes every waiter.
func (c *nodeConn) update(f func()) {
	c.mu.Lock()
	f()
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

func (c *nodeConn) received(b []byte) {
	pause := false
	c.update(func() {
		if c.closed || c.readShut {
			return
		}
		c.chunks = append(c.chunks, b)
		c.buffered += len(b)
		if c.buffered >= nodeReadHigh && !c.paused {
			c.paused = true
			pause = true
		}
	})
	if pause {
		nodeNet.fnPause.Invoke(c.id)
	}
}

// nodeConnect dials raddr through a Node socket and waits until it connects, fails or ctx ends.
func nodeConnect(ctx context.Context, fd *netFD, laddr, raddr sockaddr) error {
	ra, ok := raddr.(*TCPAddr)
	if !ok || ra == nil {
		return os.NewSyscallError("connect", syscall.EINVAL)
	}
	if ra.Port <= 0 || ra.Port >= 1<<16 {
		return &AddrError{Err: "port out of range", Addr: ra.String()}
	}
	if ctx.Err() != nil {
		return mapErr(ctx.Err())
	}
	local := ""
	if la, ok := laddr.(*TCPAddr); ok && la != nil && la.IP != nil && !la.IP.IsUnspecified() {
		local = la.IP.String()
	}
	host := ra.IP.String()
	if ra.Zone != "" {
		host += "%" + ra.Zone
	}
	if !nodeOpenFile() {
		return os.NewSyscallError("socket", syscall.EMFILE)
	}
	nodeNet.mu.Lock()
	id := nodeNet.obj.Call("connect", host, ra.Port, local).Int()
	c := newNodeConn(id)
	c.counted = true
	nodeNet.conns[id] = c
	nodeNet.mu.Unlock()

	var r nodeConnectResult
	select {
	case r = <-c.connected:
	case <-ctx.Done():
		c.forget()
		nodeNet.fnReset.Invoke(id)
		nodeCloseFile()
		return mapErr(ctx.Err())
	}
	if r.errno != 0 {
		c.forget()
		nodeCloseFile()
		return os.NewSyscallError("connect", r.errno)
	}
	fd.laddr, fd.raddr = r.laddr, r.raddr
	fd.isConnected = true
	fd.fakeNetFD.node = c
	return nil
}

func (c *nodeConn) read(p []byte, dt *deadlineTimer) (int, error) {
	for {
		select {
		case <-dt.expired:
			return 0, os.ErrDeadlineExceeded
		default:
		}
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return 0, ErrClosed
		}
		if c.buffered > 0 && !c.readShut {
			n := 0
			for n < len(p) && len(c.chunks) > 0 {
				k := copy(p[n:], c.chunks[0][c.off:])
				n += k
				c.off += k
				if c.off == len(c.chunks[0]) {
					c.chunks[0] = nil
					c.chunks = c.chunks[1:]
					c.off = 0
				}
			}
			c.buffered -= n
			resume := c.paused && c.buffered < nodeReadLow
			if resume {
				c.paused = false
			}
			c.mu.Unlock()
			if resume {
				nodeNet.fnResume.Invoke(c.id)
			}
			return n, nil
		}
		switch {
		case len(p) == 0:
			c.mu.Unlock()
			return 0, nil
		case c.readShut:
			c.mu.Unlock()
			return 0, io.EOF
		case c.rerr != nil:
			err := c.rerr
			c.mu.Unlock()
			return 0, os.NewSyscallError("read", err)
		case c.eof || c.gone:
			c.mu.Unlock()
			return 0, io.EOF
		}
		changed := c.changed
		c.mu.Unlock()
		select {
		case <-changed:
		case <-dt.expired:
			return 0, os.ErrDeadlineExceeded
		}
	}
}

func (c *nodeConn) writeState() error {
	switch {
	case c.closed:
		return ErrClosed
	case c.rerr != nil:
		return os.NewSyscallError("write", c.rerr)
	case c.werr != nil:
		return os.NewSyscallError("write", c.werr)
	case c.wrShut || c.gone:
		return os.NewSyscallError("write", syscall.EPIPE)
	}
	return nil
}

func (c *nodeConn) write(p []byte, dt *deadlineTimer) (int, error) {
	select {
	case <-dt.expired:
		return 0, os.ErrDeadlineExceeded
	default:
	}
	c.mu.Lock()
	if err := c.writeState(); err != nil {
		c.mu.Unlock()
		return 0, err
	}
	c.drained = false
	c.mu.Unlock()
	if len(p) == 0 {
		return 0, nil
	}
	result := nodeWriteOK
	for off := 0; off < len(p); {
		n := js.CopyBytesToJS(nodeNet.scratch, p[off:])
		off += n
		if r := nodeNet.fnWrite.Invoke(c.id, n).Int(); r != nodeWriteOK {
			result = r
			if r == nodeWriteGone {
				break
			}
		}
	}
	switch result {
	case nodeWriteOK:
		return len(p), nil
	case nodeWriteGone:
		c.mu.Lock()
		err := c.writeState()
		c.mu.Unlock()
		if err == nil {
			err = os.NewSyscallError("write", syscall.EPIPE)
		}
		return 0, err
	}
	// Node queued the bytes past its high-water mark: wait until it drained them,
	// as a native write waits for room in the socket's send buffer.
	for {
		c.mu.Lock()
		if c.drained {
			c.mu.Unlock()
			return len(p), nil
		}
		if err := c.writeState(); err != nil {
			c.mu.Unlock()
			return 0, err
		}
		changed := c.changed
		c.mu.Unlock()
		select {
		case <-changed:
		case <-dt.expired:
			return len(p), os.ErrDeadlineExceeded
		}
	}
}

func (c *nodeConn) close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	unread := c.buffered > 0
	reset := c.linger == 0 || unread
	c.closed = true
	c.chunks = nil
	c.buffered = 0
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()

	c.forget()
	if reset {
		nodeNet.fnReset.Invoke(c.id)
	} else {
		nodeNet.fnClose.Invoke(c.id)
	}
	if c.counted {
		nodeCloseFile()
	}
	return nil
}

func (c *nodeConn) closeWrite() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	already := c.wrShut
	c.wrShut = true
	c.mu.Unlock()
	if !already {
		nodeNet.fnEnd.Invoke(c.id)
	}
	return nil
}

func (c *nodeConn) closeRead() error {
	resume := false
	c.update(func() {
		c.readShut = true
		c.chunks = nil
		c.buffered = 0
		resume = c.paused
		c.paused = false
	})
	if resume {
		nodeNet.fnResume.Invoke(c.id)
	}
	return nil
}

func (c *nodeConn) setLinger(sec int) error {
	c.mu.Lock()
	c.linger = sec
	c.mu.Unlock()
	return nil
}
