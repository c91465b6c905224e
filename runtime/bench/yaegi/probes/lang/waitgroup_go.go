//go:build ignore

// Go 1.25: sync.WaitGroup.Go.
package main

import (
	"fmt"
	"sync"
	"sync/atomic"
)

func main() {
	var wg sync.WaitGroup
	var n atomic.Int32
	for i := 0; i < 3; i++ {
		wg.Go(func() { n.Add(1) })
	}
	wg.Wait()
	fmt.Println("PROBE waitgroup_go", n.Load())
}
