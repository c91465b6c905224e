//go:build ignore

// A comma-ok type assertion on a nil interface: ok is false (the idiom after io.ReadAll).
package main

import (
	"fmt"
	"net"
)

func main() {
	var err error
	ne, ok := err.(net.Error)
	fmt.Println("PROBE nil_type_assert", ok, ne == nil)
}
