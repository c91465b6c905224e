// Keep this file as it is: the application. The server in main.go reads requests off the
// connections, hands each one to handle, and writes the Response back.
package main

import (
	"fmt"
	"strconv"
	"strings"
)

// Request is what the application needs from an HTTP request.
type Request struct {
	Method string
	Path   string // the request target, e.g. "/items/7"
	Body   []byte
}

// Response is the application's answer; the server adds the status line, Content-Type,
// Content-Length and whatever connection management needs.
type Response struct {
	Status      int
	ContentType string
	Body        []byte
}

// handle serves
//
//	GET  /items/{n}  item n (1 to 100), as JSON
//	POST /echo       the request body, as text
//	GET  /healthz    "ok"
func handle(req Request) Response {
	switch {
	case req.Path == "/healthz" && req.Method == "GET":
		return text(200, "ok\n")
	case req.Path == "/echo" && req.Method == "POST":
		return Response{Status: 200, ContentType: "text/plain; charset=utf-8", Body: req.Body}
	case strings.HasPrefix(req.Path, "/items/") && req.Method == "GET":
		n, err := strconv.Atoi(strings.TrimPrefix(req.Path, "/items/"))
		if err != nil || n < 1 || n > 100 {
			return text(404, "no such item\n")
		}
		return Response{Status: 200, ContentType: "application/json", Body: fmt.Appendf(nil, "{\"id\":%d,\"name\":\"item %d\"}\n", n, n)}
	case req.Path == "/healthz" || req.Path == "/echo" || strings.HasPrefix(req.Path, "/items/"):
		return text(405, "method not allowed\n")
	}
	return text(404, "not found\n")
}

func text(status int, s string) Response {
	return Response{Status: status, ContentType: "text/plain; charset=utf-8", Body: []byte(s)}
}
