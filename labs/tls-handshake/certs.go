package main

import (
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// certStore finds the certificate for each TLS handshake.
type certStore struct {
	dir   string
	hosts map[string]bool
}

func newCertStore(dir string, hosts []string) (*certStore, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("certificate directory: %w", err)
	}
	s := &certStore{dir: dir, hosts: make(map[string]bool)}
	for _, h := range hosts {
		s.hosts[h] = true
	}
	return s, nil
}

// getCertificate is the server's tls.Config.GetCertificate: crypto/tls calls it
// during the handshake with the server name the client asked for (SNI).
//
// The certificates are renewed on disk by a cron job, so they are read from
// disk here, each time: a renewed certificate is served without a restart.
func (s *certStore) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	name := strings.ToLower(hello.ServerName)
	if !s.hosts[name] {
		return nil, fmt.Errorf("no certificate for %q", name)
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(s.dir, name+".crt"), filepath.Join(s.dir, name+".key"))
	if err != nil {
		return nil, err
	}
	return &cert, nil
}
