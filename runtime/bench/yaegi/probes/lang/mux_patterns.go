//go:build ignore

// Go 1.22: method and wildcard patterns in http.ServeMux, Request.PathValue.
package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
)

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "order "+r.PathValue("id"))
	})
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/orders/42", nil))
	rec2 := httptest.NewRecorder()
	mux.ServeHTTP(rec2, httptest.NewRequest("POST", "/orders/42", nil))
	fmt.Printf("PROBE mux_patterns %q %d\n", rec.Body.String(), rec2.Code)
}
