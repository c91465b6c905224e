//go:build ignore

// Go 1.22: range over an integer (streaming-gzip, graceful-shutdown, panic-recovery use it).
package main

import "fmt"

func main() {
	s := 0
	for i := range 4 {
		s += i
	}
	fmt.Println("PROBE range_int", s)
}
