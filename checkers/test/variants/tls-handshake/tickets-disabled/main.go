// Command shop serves three sites over HTTPS from one listener:
//
//	https://www.shop.test   https://api.shop.test   https://admin.shop.test
//
// Each site has its own certificate in CERT_DIR (default ./certs): <host>.crt and
// <host>.key, PEM. `go run ./gencerts` writes a test CA and the three pairs there.
//
// It is the starter of the tls-handshake lab. It works, but every TLS handshake
// reads and parses a certificate from disk, and a client that does not send a
// server name (SNI) cannot connect at all. The code to fix is in certs.go.
// Read README.md.
package main

import (
	"crypto/tls"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"
)

// hosts are the sites this server serves. The first one is the main site.
var hosts = []string{"www.shop.test", "api.shop.test", "admin.shop.test"}

func main() {
	addr := getenv("ADDR", "127.0.0.1:8080")
	certDir := getenv("CERT_DIR", "certs")

	store, err := newCertStore(certDir, hosts)
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "welcome to %s\n", r.Host)
	})

	srv := &http.Server{
		Addr:              addr,
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       60 * time.Second,
		TLSConfig: &tls.Config{
			MinVersion:     tls.VersionTLS12,
			GetCertificate: store.getCertificate,
			// A security scan flagged session tickets (their keys weaken forward
			// secrecy), so they are turned off.
			SessionTicketsDisabled: true,
		},
	}
	log.Printf("listening on https://%s, certificates from %s", addr, certDir)
	// Empty file names: the certificates come from TLSConfig.
	log.Fatal(srv.ListenAndServeTLS("", ""))
}

func getenv(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
