// fasthttp-ctx: the order intake of a shop, on fasthttp. POST /orders/{n} answers 202 at
// once; a goroutine then asks the fraud service for a score (~50 ms) and writes an audit
// record of the order: its X-Request-Id, method, path and body.
//
// The audit log is wrong: fasthttp recycles the RequestCtx as soon as the handler returns.
package main

import (
	"log"
	"os"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

type server struct {
	audit *AuditLog
}

// fraudScore stands for a call to the fraud service: it takes ~50 ms.
func fraudScore() float64 {
	time.Sleep(50 * time.Millisecond)
	return 0.07
}

func (s *server) handle(ctx *fasthttp.RequestCtx) {
	path := string(ctx.Path())
	switch {
	case path == "/healthz":
		ctx.SetBodyString("ok\n")
	case strings.HasPrefix(path, "/orders/") && ctx.IsPost():
		s.order(ctx)
	default:
		ctx.Error("not found\n", fasthttp.StatusNotFound)
	}
}

// order accepts the order and answers at once; the audit is done in the background, on a
// copy of the whole request: CopyTo copies headers, URI and body into a Request the
// goroutine owns, taken from fasthttp's pool and given back when the audit is written.
func (s *server) order(ctx *fasthttp.RequestCtx) {
	req := fasthttp.AcquireRequest()
	ctx.Request.CopyTo(req)

	ctx.SetStatusCode(fasthttp.StatusAccepted)
	ctx.SetContentType("application/json")
	ctx.SetBodyString(`{"status":"accepted"}`)

	go func() {
		defer fasthttp.ReleaseRequest(req)
		score := fraudScore()
		s.audit.Write(AuditRecord{
			RequestID: string(req.Header.Peek("X-Request-Id")),
			Method:    string(req.Header.Method()),
			Path:      string(req.URI().Path()),
			Body:      string(req.Body()),
			Score:     score,
		})
	}()
}

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	auditPath := os.Getenv("AUDIT_LOG")
	if auditPath == "" {
		auditPath = "audit.log"
	}
	audit, err := openAuditLog(auditPath)
	if err != nil {
		log.Fatalf("audit log: %v", err)
	}
	s := &server{audit: audit}
	srv := &fasthttp.Server{
		Handler:     s.handle,
		Name:        "orders",
		ReadTimeout: 10 * time.Second,
		IdleTimeout: 60 * time.Second,
	}
	log.Printf("listening on %s, audit log %s", addr, auditPath)
	log.Fatal(srv.ListenAndServe(addr))
}
