// Command rawhttp is a hand-written HTTP/1.1 server: no net/http server, just a
// net.Listener, one goroutine per connection and one reusable buffer each. It is the
// "custom HTTP server skeleton" of the source article (§4.3), written to "control the read
// and write buffers directly" and to avoid net/http's "deep wrapping".
//
// It is the starter of the raw-conn-server lab. curl is happy with it. A client that sends
// its request in two TCP segments, three pipelined requests, a huge header or nothing at
// all is not. Read README.md.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
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

// serveConn answers the requests of one connection, one after the other, and keeps the
// connection open between them (HTTP/1.1 keep-alive). One 64 KiB buffer per connection,
// reused for every read: no bufio, no copies.
func serveConn(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf) // one Read, one request
		if n == 0 || err != nil {
			return
		}
		req, err := parseRequest(buf[:n])
		if err != nil {
			writeResponse(c, Response{Status: 400, ContentType: "text/plain; charset=utf-8", Body: []byte(err.Error() + "\n")})
			return
		}
		if err := writeResponse(c, handle(req)); err != nil {
			return
		}
	}
}

// parseRequest parses "METHOD TARGET HTTP/1.x", the header lines, the blank line, and
// Content-Length bytes of body.
func parseRequest(b []byte) (Request, error) {
	head, rest, ok := bytes.Cut(b, []byte("\r\n\r\n"))
	if !ok {
		return Request{}, errors.New("malformed request: no end of head")
	}
	lines := strings.Split(string(head), "\r\n")
	parts := strings.Fields(lines[0])
	if len(parts) != 3 || !strings.HasPrefix(parts[2], "HTTP/1.") {
		return Request{}, fmt.Errorf("malformed request line %q", lines[0])
	}
	req := Request{Method: parts[0], Path: parts[1]}
	for _, line := range lines[1:] {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return Request{}, fmt.Errorf("malformed header line %q", line)
		}
		if strings.EqualFold(strings.TrimSpace(name), "Content-Length") {
			n, err := strconv.Atoi(strings.TrimSpace(value))
			if err != nil || n < 0 || n > len(rest) {
				return Request{}, errors.New("malformed request: body shorter than Content-Length")
			}
			req.Body = rest[:n]
		}
	}
	return req, nil
}

// writeResponse writes the status line, the headers and the body.
func writeResponse(w io.Writer, r Response) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", r.Status, http.StatusText(r.Status))
	fmt.Fprintf(&b, "Content-Type: %s\r\nContent-Length: %d\r\n\r\n", r.ContentType, len(r.Body))
	b.Write(r.Body)
	_, err := w.Write(b.Bytes())
	return err
}
