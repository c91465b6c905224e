// Command rawhttp is a hand-written HTTP/1.1 server: no net/http server, just a
// net.Listener and one goroutine per connection.
//
// A different correct fix (test variant): no http.ReadRequest. The head is parsed with
// net/textproto (ReadLine, ReadMIMEHeader) from one bufio.Reader per connection, over an
// io.LimitedReader whose budget is set again for every head and every body. Bodies are
// Content-Length only (chunked request bodies get 501). After a 431 the connection is
// closed at once, without net/http's half-close and pause.
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
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"time"
)

const (
	maxHead     = 8 << 10
	maxBody     = 1 << 20
	idleAndHead = 2 * time.Second
	bodyAndSend = 5 * time.Second
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

type head struct {
	method, target, proto string
	header                textproto.MIMEHeader
}

func serveConn(c net.Conn) {
	defer c.Close()
	budget := &io.LimitedReader{R: c}
	br := bufio.NewReaderSize(budget, 4096)
	tp := textproto.NewReader(br)
	for {
		c.SetReadDeadline(time.Now().Add(idleAndHead))
		budget.N = maxHead + int64(br.Size())
		h, err := readHead(tp)
		if err != nil {
			switch {
			case budget.N <= 0:
				fail(c, http.StatusRequestHeaderFieldsTooLarge)
			case errors.Is(err, io.EOF):
			default:
				var ne net.Error
				if !errors.As(err, &ne) || !ne.Timeout() {
					fail(c, http.StatusBadRequest)
				}
			}
			return
		}
		if h.header.Get("Transfer-Encoding") != "" {
			fail(c, http.StatusNotImplemented)
			return
		}
		n := 0
		if cl := h.header.Get("Content-Length"); cl != "" {
			if n, err = strconv.Atoi(cl); err != nil || n < 0 {
				fail(c, http.StatusBadRequest)
				return
			}
			if n > maxBody {
				fail(c, http.StatusRequestEntityTooLarge)
				return
			}
		}
		c.SetDeadline(time.Now().Add(bodyAndSend))
		budget.N = int64(n) + int64(br.Size())
		body := make([]byte, n)
		if _, err := io.ReadFull(br, body); err != nil {
			return
		}
		resp := handle(Request{Method: h.method, Path: h.target, Body: body})
		closing := wantsClose(h)
		if err := send(c, resp, closing); err != nil || closing {
			return
		}
	}
}

func readHead(tp *textproto.Reader) (head, error) {
	line, err := tp.ReadLine()
	if err != nil {
		return head{}, err
	}
	parts := strings.Fields(line)
	if len(parts) != 3 || (parts[2] != "HTTP/1.1" && parts[2] != "HTTP/1.0") {
		return head{}, fmt.Errorf("bad request line %q", line)
	}
	header, err := tp.ReadMIMEHeader()
	if err != nil {
		return head{}, err
	}
	return head{method: parts[0], target: parts[1], proto: parts[2], header: header}, nil
}

// wantsClose: "Connection: close", or HTTP/1.0 without "Connection: keep-alive".
func wantsClose(h head) bool {
	conn := strings.ToLower(h.header.Get("Connection"))
	if h.proto == "HTTP/1.0" {
		return !strings.Contains(conn, "keep-alive")
	}
	return strings.Contains(conn, "close")
}

func send(w io.Writer, r Response, closing bool) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n", r.Status, http.StatusText(r.Status), r.ContentType, len(r.Body))
	if closing {
		b.WriteString("Connection: close\r\n")
	}
	b.WriteString("\r\n")
	b.Write(r.Body)
	_, err := w.Write(b.Bytes())
	return err
}

func fail(c net.Conn, status int) {
	send(c, text(status, http.StatusText(status)+"\n"), true)
}
