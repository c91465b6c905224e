package main

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Parsed certificates are cached, and only re-parsed when the files changed on
// disk, so a renewed certificate is still picked up without a restart. To know
// whether they changed, each handshake reads them and compares the bytes.
type certStore struct {
	dir   string
	hosts []string
	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	certPEM, keyPEM []byte
	cert            *tls.Certificate
}

func newCertStore(dir string, hosts []string) (*certStore, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("certificate directory: %w", err)
	}
	return &certStore{dir: dir, hosts: hosts, cache: make(map[string]cached)}, nil
}

func (s *certStore) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	name := strings.ToLower(hello.ServerName)
	known := false
	for _, h := range s.hosts {
		known = known || h == name
	}
	if !known {
		name = s.hosts[0] // the main site for no SNI or an unknown name
	}
	certPEM, err := os.ReadFile(filepath.Join(s.dir, name+".crt"))
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(filepath.Join(s.dir, name+".key"))
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.cache[name]; ok && bytes.Equal(c.certPEM, certPEM) && bytes.Equal(c.keyPEM, keyPEM) {
		return c.cert, nil
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	s.cache[name] = cached{certPEM, keyPEM, &cert}
	return &cert, nil
}
