// Command orders is a small order API built with chi:
//
//	GET  /orders/{id}             the order, as JSON
//	GET  /orders/{id}/invoice     its invoice, as text
//	GET  /orders/{id}/attachment  its scanned delivery note (64 KiB, streamed from storage)
//	POST /orders/{id}/confirm     confirms it; the receipt e-mail is sent in the background (202)
//	GET  /report                  a daily report, streamed row by row (about 0.8 s)
//	GET  /healthz                 200 while the service runs
//
// A different correct fix (test variant): no chi Recoverer. A hand-written recovery
// middleware wraps the whole router (so it is outside every chi middleware), re-panics
// http.ErrAbortHandler, and, when the response has already started, aborts instead of
// appending a 500 to it. Background work runs in an errgroup-style helper whose goroutines
// turn a panic into an error that is logged and counted.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	startAdmin()

	r := chi.NewRouter()
	r.Use(middleware.RequestID)
	r.Use(tenantMiddleware)

	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	r.Get("/report", report)
	r.Route("/orders/{id}", func(r chi.Router) {
		r.Get("/", getOrder)
		r.Get("/invoice", getInvoice)
		r.Get("/attachment", getAttachment)
		r.Post("/confirm", confirmOrder)
	})

	srv := &http.Server{Addr: addr, Handler: recovery(r), ReadHeaderTimeout: 5 * time.Second}
	log.Printf("listening on %s", addr)
	log.Fatal(srv.ListenAndServe())
}

func order(w http.ResponseWriter, r *http.Request) (*Order, bool) {
	o, ok := lookupOrder(chi.URLParam(r, "id"))
	if !ok {
		http.Error(w, "no such order", http.StatusNotFound)
	}
	return o, ok
}

func getOrder(w http.ResponseWriter, r *http.Request) {
	o, ok := order(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(o)
}

func getInvoice(w http.ResponseWriter, r *http.Request) {
	o, ok := order(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, Invoice(o))
}

func getAttachment(w http.ResponseWriter, r *http.Request) {
	o, ok := order(w, r)
	if !ok {
		return
	}
	body := openAttachment(o)
	defer body.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	if _, err := io.Copy(w, body); err != nil {
		// The status line and part of the body are already on the wire: it is too late for
		// a 500. Abort the response, so that the client sees it cut rather than complete
		// (httputil.ReverseProxy does the same when its upstream fails mid-body).
		log.Printf("attachment of order %d: %v", o.ID, err)
		panic(http.ErrAbortHandler)
	}
}

// confirmOrder answers at once; the receipt is sent in the background.
func confirmOrder(w http.ResponseWriter, r *http.Request) {
	o, ok := order(w, r)
	if !ok {
		return
	}
	jobs.Go("receipt", func() error { return sendReceipt(o) }) // the client does not wait for the e-mail
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintf(w, "{\"order\":%d,\"status\":\"confirmed\"}\n", o.ID)
}

// sendReceipt renders the invoice and mails it (the mail server takes about 20 ms).
func sendReceipt(o *Order) error {
	time.Sleep(20 * time.Millisecond)
	invoice := Invoice(o)
	log.Printf("receipt for order %d sent to %s (%d bytes)", o.ID, o.Email, len(invoice))
	return nil
}

// report streams 20 rows of 64 bytes, one every 40 ms.
func report(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	rc := http.NewResponseController(w)
	for i := range 20 {
		fmt.Fprintf(w, "row %04d %s\n", i, padding)
		rc.Flush()
		select {
		case <-time.After(40 * time.Millisecond):
		case <-r.Context().Done():
			return
		}
	}
}

var padding = strings.Repeat("x", 54)

// recovery turns a panic on the request's goroutine into a 500 while nothing has been sent,
// and into an aborted response (connection closed) once the status line is out.
func recovery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &trackingWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v) // net/http closes the connection, and does not log
			}
			log.Printf("panic serving %s %s: %v\n%s", r.Method, r.URL.Path, v, debug.Stack())
			if tw.started {
				panic(http.ErrAbortHandler) // too late for a 500: cut the response
			}
			http.Error(w, "internal server error", http.StatusInternalServerError)
		}()
		next.ServeHTTP(tw, r)
	})
}

// trackingWriter records whether the response has started. Unwrap keeps
// http.ResponseController (Flush) working through it.
type trackingWriter struct {
	http.ResponseWriter
	started bool
}

func (t *trackingWriter) WriteHeader(code int) {
	t.started = true
	t.ResponseWriter.WriteHeader(code)
}

func (t *trackingWriter) Write(p []byte) (int, error) {
	t.started = true
	return t.ResponseWriter.Write(p)
}

func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

// group runs background work, errgroup-style: a job returns an error, and a panic in a job
// becomes an error too (golang.org/x/sync/errgroup does not recover panics).
type group struct{ failed atomic.Int64 }

var jobs group

func (g *group) Go(name string, f func() error) {
	go func() {
		if err := protect(f); err != nil {
			g.failed.Add(1)
			log.Printf("background job %s failed (%d so far): %v", name, g.failed.Load(), err)
		}
	}()
}

// protect calls f on the current goroutine; a panic becomes an error with the value and stack.
func protect(f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v\n%s", v, debug.Stack())
		}
	}()
	return f()
}
