// Command orders is a small order API built with chi:
//
//	GET  /orders/{id}             the order, as JSON
//	GET  /orders/{id}/invoice     its invoice, as text
//	GET  /orders/{id}/attachment  its scanned delivery note (64 KiB, streamed from storage)
//	POST /orders/{id}/confirm     confirms it; the receipt e-mail is sent in the background (202)
//	GET  /report                  a daily report, streamed row by row (about 0.8 s)
//	GET  /healthz                 200 while the service runs
//
// Solution of the panic-recovery lab:
//   - middleware.Recoverer is the outermost middleware, so a panic anywhere in the chain
//     that runs on the request's goroutine (the tenant middleware included) becomes a 500;
//   - every goroutine a handler starts runs through safeGo, which recovers, logs and counts
//     its panics: no recover() on the request's goroutine can catch those, and an
//     unrecovered panic in any goroutine ends the whole process;
//   - http.ErrAbortHandler is left alone: Recoverer re-panics it, net/http closes the
//     connection without logging, and the client sees the attachment cut, not complete.
package main

import (
	"encoding/json"
	"expvar"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
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
	// Recoverer first: chi runs the middlewares in the order of Use, so only what comes
	// after Recoverer is protected by it.
	r.Use(middleware.Recoverer)
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

	srv := &http.Server{Addr: addr, Handler: r, ReadHeaderTimeout: 5 * time.Second}
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
	safeGo("sendReceipt", func() { sendReceipt(o) }) // the client does not wait for the e-mail
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintf(w, "{\"order\":%d,\"status\":\"confirmed\"}\n", o.ID)
}

// sendReceipt renders the invoice and mails it (the mail server takes about 20 ms).
func sendReceipt(o *Order) {
	time.Sleep(20 * time.Millisecond)
	invoice := Invoice(o)
	log.Printf("receipt for order %d sent to %s (%d bytes)", o.ID, o.Email, len(invoice))
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

// goroutinePanics counts the panics recovered in background goroutines (/debug/vars on
// ADMIN_ADDR): a number that should stay at 0, and an alert when it does not.
var goroutinePanics = expvar.NewInt("goroutine_panics")

// safeGo runs f in a new goroutine and recovers a panic in it: it logs the value with the
// goroutine's stack and counts it. net/http and middleware.Recoverer only recover panics on
// the request's own goroutine; a panic that reaches the top of any other goroutine ends the
// whole process (runtime.fatalpanic), with every request in flight.
func safeGo(name string, f func()) {
	go func() {
		defer func() {
			if v := recover(); v != nil {
				goroutinePanics.Add(1)
				log.Printf("panic in goroutine %s: %v\n%s", name, v, debug.Stack())
			}
		}()
		f()
	}()
}
