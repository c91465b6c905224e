// The audit log: keep this file as it is.
//
// Every accepted order leaves one line in the file named by AUDIT_LOG (default audit.log): a
// JSON object with the request id, method, path and body the order arrived with, and the
// fraud score the service computed for it. The checker reads this file.
package main

import (
	"encoding/json"
	"log"
	"os"
	"sync"
)

// AuditRecord is one line of the audit log.
type AuditRecord struct {
	RequestID string  `json:"request_id"`
	Method    string  `json:"method"`
	Path      string  `json:"path"`
	Body      string  `json:"body"`
	Score     float64 `json:"score"`
}

// AuditLog appends records to a file, one JSON object per line. Safe for concurrent use.
type AuditLog struct {
	mu sync.Mutex
	f  *os.File
}

func openAuditLog(path string) (*AuditLog, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &AuditLog{f: f}, nil
}

// Write appends one record.
func (a *AuditLog) Write(r AuditRecord) {
	line, err := json.Marshal(r)
	if err != nil {
		log.Printf("audit: %v", err)
		return
	}
	line = append(line, '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.f.Write(line); err != nil {
		log.Printf("audit: %v", err)
	}
}
