package main

import (
	"crypto/tls"
	"fmt"
	"path/filepath"
	"strings"
)

// Every certificate is loaded once, at start-up. For a name it does not know
// (or no name at all) getCertificate returns nil, "so that crypto/tls falls
// back to its default certificate"; but tls.Config.Certificates is empty.
type certStore struct {
	byName map[string]*tls.Certificate
}

func newCertStore(dir string, hosts []string) (*certStore, error) {
	s := &certStore{byName: make(map[string]*tls.Certificate)}
	for _, h := range hosts {
		cert, err := tls.LoadX509KeyPair(filepath.Join(dir, h+".crt"), filepath.Join(dir, h+".key"))
		if err != nil {
			return nil, fmt.Errorf("certificate for %s: %w", h, err)
		}
		s.byName[h] = &cert
	}
	return s, nil
}

func (s *certStore) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	return s.byName[strings.ToLower(hello.ServerName)], nil
}
