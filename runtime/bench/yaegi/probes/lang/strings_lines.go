//go:build ignore

// Go 1.24: strings.Lines (graceful-shutdown's jobs.go reads its journal with it).
package main

import (
	"fmt"
	"strings"
)

func main() {
	n := 0
	for range strings.Lines("a\nb\nc\n") {
		n++
	}
	fmt.Println("PROBE strings_lines", n)
}
