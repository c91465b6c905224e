// Command rawhttp is a hand-written HTTP/1.1 server: no net/http server, just a
// net.Listener and one goroutine per connection.
//
// Wrong fix (test variant): the solution, except that it makes a new bufio.Reader for
// every request. The old one may hold the next pipelined requests in its buffer.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

const (
	// maxHeaderBytes bounds a request head (net/http's default, DefaultMaxHeaderBytes,
	// is 1 MiB; nginx's large_client_header_buffers is 4 × 8 KiB).
	maxHeaderBytes = 16 << 10
	// maxBodyBytes bounds a request body: the application reads bodies whole.
	maxBodyBytes = 1 << 20
	// headTimeout bounds the wait for the next request head, idle time included: a client
	// that sends nothing, or a head a byte at a time, loses its connection after this.
	headTimeout = 2 * time.Second
	// bodyTimeout and writeTimeout bound the body and the response.
	bodyTimeout  = 5 * time.Second
	writeTimeout = 5 * time.Second
)

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("listening on %s", addr)
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Printf("accept: %v", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		go serveConn(c)
	}
}

// serveConn answers the requests of one connection in order, until the client closes it,
// asks to close it, times out or sends something the server will not read.
func serveConn(c net.Conn) {
	defer c.Close()
	// limit counts the bytes taken from the connection; the bufio.Reader on top of it lives
	// as long as the connection, so the bytes it reads ahead (the next pipelined request)
	// are still there for the next ReadRequest.
	limit := &io.LimitedReader{R: c}
	for {
		br := bufio.NewReader(limit) // wrong: whatever the previous reader read ahead is lost
		// The head: its own deadline and byte budget, armed again for every request.
		// (The bufio slack: up to br.Size() bytes of this head may already be buffered.)
		c.SetReadDeadline(time.Now().Add(headTimeout))
		limit.N = maxHeaderBytes + int64(br.Size())
		req, err := http.ReadRequest(br)
		if err != nil {
			switch {
			case limit.N <= 0:
				reject(c, http.StatusRequestHeaderFieldsTooLarge)
			case errors.Is(err, io.EOF), isTimeout(err):
				// The client closed the connection, or was too slow or idle too long:
				// close without an answer, as net/http does.
			default:
				reject(c, http.StatusBadRequest)
			}
			return
		}

		// The body: read whole (the application wants it as bytes), bounded in size and time.
		if req.ContentLength > maxBodyBytes {
			reject(c, http.StatusRequestEntityTooLarge)
			return
		}
		// "Expect: 100-continue": the client waits for this line before it sends the body
		// (curl does for bodies over 1 MiB, and sends anyway after 1 s of silence).
		if req.ProtoAtLeast(1, 1) && req.ContentLength != 0 && strings.EqualFold(req.Header.Get("Expect"), "100-continue") {
			io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\n")
		}
		c.SetReadDeadline(time.Now().Add(bodyTimeout))
		limit.N = maxBodyBytes + int64(br.Size())
		body, err := io.ReadAll(io.LimitReader(req.Body, maxBodyBytes+1))
		req.Body.Close()
		if err != nil {
			return
		}
		if len(body) > maxBodyBytes {
			reject(c, http.StatusRequestEntityTooLarge)
			return
		}

		resp := handle(Request{Method: req.Method, Path: req.RequestURI, Body: body})
		// req.Close: "Connection: close", or HTTP/1.0 without "Connection: keep-alive".
		c.SetWriteDeadline(time.Now().Add(writeTimeout))
		if err := writeResponse(c, resp, req); err != nil || req.Close {
			return
		}
	}
}

// writeResponse writes the status line, the headers and the body in one write.
func writeResponse(w io.Writer, r Response, req *http.Request) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", r.Status, http.StatusText(r.Status))
	fmt.Fprintf(&b, "Content-Type: %s\r\nContent-Length: %d\r\n", r.ContentType, len(r.Body))
	switch {
	case req.Close:
		b.WriteString("Connection: close\r\n")
	case req.ProtoMajor == 1 && req.ProtoMinor == 0:
		b.WriteString("Connection: keep-alive\r\n") // an HTTP/1.0 client that asked for it
	}
	b.WriteString("\r\n")
	b.Write(r.Body)
	_, err := w.Write(b.Bytes())
	return err
}

// reject answers a request the server will not read to its end, and closes the
// connection the way net/http does: send the answer, half-close (FIN), and give the client
// a moment to read it before the final close, which resets the connection if the client
// is still sending (a reset can destroy the answer in the client's receive buffer).
func reject(c net.Conn, status int) {
	msg := fmt.Sprintf("%d %s", status, http.StatusText(status))
	c.SetWriteDeadline(time.Now().Add(time.Second))
	fmt.Fprintf(c, "HTTP/1.1 %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", msg, len(msg), msg)
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
		time.Sleep(500 * time.Millisecond)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
