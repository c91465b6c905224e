//go:build ignore

// Go 1.21 builtin clear (resetting a cache map in place).
package main

import "fmt"

func main() {
	m := map[string]int{"a": 1}
	clear(m)
	fmt.Println("PROBE builtin_clear", len(m))
}
