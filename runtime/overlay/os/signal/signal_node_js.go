// Copyright 2026 Go HA Labs. Use of this source code is governed by a BSD-style license.

// Signals from Node for js/wasm (added to package os/signal by `go build -overlay`).
// The launcher (runtime/launcher/signals.mjs) installs globalThis.__ghlSignals; when Node
// receives SIGTERM, SIGINT or SIGHUP it calls the function registered here, which queues the
// signal in the runtime (see runtime/sigqueue_node_js.go) if a Notify wants it. The answer tells
// Node what to do: "notify" (Go has it), "ignore" (signal.Ignore) or "default" (no Notify: die
// by the signal, as a native Go program does).

//go:build js && wasm

package signal

import "syscall/js"

// Defined by the runtime package (runtime/sigqueue_node_js.go in the overlay).
func signal_deliver(uint32) bool

func init() {
	obj := js.Global().Get("__ghlSignals")
	if obj.Type() != js.TypeObject {
		return
	}
	obj.Call("setDeliver", js.FuncOf(func(this js.Value, args []js.Value) any {
		n := uint32(args[0].Int())
		if signal_ignored(n) {
			return "ignore"
		}
		if signal_deliver(n) {
			return "notify"
		}
		return "default"
	}))
}
