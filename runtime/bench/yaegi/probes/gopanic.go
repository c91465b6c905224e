//go:build ignore

// Probe: an unrecovered panic in a goroutine the handler started. In Go it kills the whole
// process (exit status 2) whatever recover() other goroutines have, and prints the panicking
// goroutine's stack with the function that panicked and "created by". The bench reads the exit
// status and stderr.
package main

import (
	"fmt"
	"os"
	"time"
)

func sendReceipt(order int) {
	var lines []string
	_ = lines[order] // index out of range, on this goroutine only
}

func confirmOrder() {
	defer func() {
		if r := recover(); r != nil {
			fmt.Println("PROBE recovered_in_wrong_goroutine true")
		}
	}()
	go sendReceipt(1)
	time.Sleep(500 * time.Millisecond)
}

func main() {
	defer func() {
		if r := recover(); r != nil {
			fmt.Println("PROBE recovered_in_main true")
		}
	}()
	confirmOrder()
	fmt.Println("PROBE survived true")
	os.Exit(0)
}
