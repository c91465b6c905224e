//go:build ignore

// Probe: signal.NotifyContext (graceful-shutdown). Prints "PROBE signals.ready"; the bench then
// sends SIGTERM and expects the context to be cancelled, the cleanup to run, exit 0.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	fmt.Println("PROBE signals.ready true")
	select {
	case <-ctx.Done():
		fmt.Printf("PROBE signals.ctx_cancelled %v\n", context.Cause(ctx) != nil)
	case <-time.After(5 * time.Second):
		fmt.Println("PROBE signals.ctx_cancelled false")
	}
	fmt.Println("PROBE signals.cleanup_ran true")
}
