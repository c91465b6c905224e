package main

import (
	"crypto/tls"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
)

// certStore holds every certificate in memory, parsed once, and swaps in a fresh
// set when the process gets SIGHUP (after the cron job renewed the files).
type certStore struct {
	dir     string
	hosts   []string
	current atomic.Pointer[certSet]
}

// certSet is immutable once built: handshakes read it without a lock.
type certSet struct {
	byName map[string]*tls.Certificate
	// fallback is served when the client sent no server name (SNI), or one we do
	// not serve: the main site's certificate, as any web server does.
	fallback *tls.Certificate
}

func newCertStore(dir string, hosts []string) (*certStore, error) {
	s := &certStore{dir: dir, hosts: hosts}
	set, err := s.load()
	if err != nil {
		return nil, err
	}
	s.current.Store(set)

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			set, err := s.load()
			if err != nil {
				// Keep serving the certificates we have.
				log.Printf("certificates not reloaded: %v", err)
				continue
			}
			s.current.Store(set)
			log.Printf("certificates reloaded from %s", dir)
		}
	}()
	return s, nil
}

// load reads and parses every host's certificate and key. tls.LoadX509KeyPair
// also parses the leaf (Certificate.Leaf), so nothing is parsed per handshake.
func (s *certStore) load() (*certSet, error) {
	set := &certSet{byName: make(map[string]*tls.Certificate, len(s.hosts))}
	for _, h := range s.hosts {
		cert, err := tls.LoadX509KeyPair(filepath.Join(s.dir, h+".crt"), filepath.Join(s.dir, h+".key"))
		if err != nil {
			return nil, fmt.Errorf("certificate for %s: %w", h, err)
		}
		set.byName[h] = &cert
	}
	set.fallback = set.byName[s.hosts[0]]
	return set, nil
}

// getCertificate is the server's tls.Config.GetCertificate: crypto/tls calls it
// during every full handshake, so it only looks a name up in memory.
func (s *certStore) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	set := s.current.Load()
	if cert, ok := set.byName[strings.ToLower(hello.ServerName)]; ok {
		return cert, nil
	}
	return set.fallback, nil
}
