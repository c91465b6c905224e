package main

import (
	"crypto/tls"
	"fmt"
	"path/filepath"
)

// certStore loads every certificate once, at start-up, for tls.Config.Certificates.
type certStore struct {
	// all has the main site's certificate first: with no SNI, crypto/tls serves it.
	all []tls.Certificate
}

func newCertStore(dir string, hosts []string) (*certStore, error) {
	s := &certStore{}
	for _, h := range hosts {
		cert, err := tls.LoadX509KeyPair(filepath.Join(dir, h+".crt"), filepath.Join(dir, h+".key"))
		if err != nil {
			return nil, fmt.Errorf("certificate for %s: %w", h, err)
		}
		s.all = append(s.all, cert)
	}
	return s, nil
}
