package main

import (
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// Certificates are loaded lazily, the first time a name is asked for, and kept
// in a sync.Map (written once per name, read on every handshake). Unknown names
// and clients without SNI get the main site's certificate.
type certStore struct {
	dir   string
	hosts []string
	certs sync.Map // host name -> *tls.Certificate
}

func newCertStore(dir string, hosts []string) (*certStore, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("certificate directory: %w", err)
	}
	return &certStore{dir: dir, hosts: hosts}, nil
}

func (s *certStore) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	name := strings.ToLower(hello.ServerName)
	if !slices.Contains(s.hosts, name) {
		name = s.hosts[0]
	}
	if c, ok := s.certs.Load(name); ok {
		return c.(*tls.Certificate), nil
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(s.dir, name+".crt"), filepath.Join(s.dir, name+".key"))
	if err != nil {
		return nil, err
	}
	// Two first handshakes may race to load the same name: keep whichever won.
	c, _ := s.certs.LoadOrStore(name, &cert)
	return c.(*tls.Certificate), nil
}
