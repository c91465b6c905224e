// Copyright 2026 Go HA Labs. Use of this source code is governed by a BSD-style license.

// Signal delivery for js/wasm under Node (added to package runtime by `go build -overlay`).
// js/wasm has no signal handlers: the launcher catches SIGTERM/SIGINT/SIGHUP in Node and calls
// into os/signal, which hands the signal to the runtime's queue here, exactly where a native
// signal handler would (sigsend). The overlay also gives the queue room for 65 signals
// (os_wasm.go declares none). os/signal's watcher goroutine then receives it through
// signal_recv as on any other port, so signal.Notify, NotifyContext, Stop and the goroutine count
// all behave as natively.

//go:build js

package runtime

import _ "unsafe" // for go:linkname

// signal_deliver queues signal s for os/signal. It reports false when no Notify wants s
// (the caller then applies the default action).
//
//go:linkname signal_deliver os/signal.signal_deliver
func signal_deliver(s uint32) bool {
	return sigsend(s)
}
