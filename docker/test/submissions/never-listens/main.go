package main

import (
	"fmt"
	"time"
)

func main() {
	fmt.Println("warming up the cache...")
	time.Sleep(24 * time.Hour)
}
