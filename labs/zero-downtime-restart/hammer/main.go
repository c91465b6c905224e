// Command hammer is a client that never stops, to watch a restart from the outside:
//
//	go run ./hammer            # GET http://127.0.0.1:8080/quote from 8 clients, for 30 s
//	go run ./hammer -d 10s -url http://127.0.0.1:8080/quote -c 8
//
// Every second it prints the answers, the failures (with the error, once per kind) and the
// processes that answered (X-Server-Pid). Its http.Client retries a GET that failed on a
// kept-alive connection before any answer, as every Go client does; what it reports as
// failed, a real client saw fail.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8080/quote", "what to GET")
	clients := flag.Int("c", 8, "concurrent clients")
	duration := flag.Duration("d", 30*time.Second, "how long")
	flag.Parse()

	client := &http.Client{
		Timeout:   3 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: *clients},
	}
	var mu sync.Mutex
	ok, failed := 0, 0
	pids := map[string]int{}
	errs := map[string]int{}

	stop := time.Now().Add(*duration)
	var wg sync.WaitGroup
	for i := 0; i < *clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				resp, err := client.Get(*url)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				mu.Lock()
				if err != nil {
					failed++
					errs[err.Error()]++
				} else {
					ok++
					pids[resp.Header.Get("X-Server-Pid")]++
				}
				mu.Unlock()
				time.Sleep(time.Millisecond)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for s := 1; ; s++ {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		mu.Lock()
		var by []string
		for pid, n := range pids {
			by = append(by, fmt.Sprintf("%s:%d", pid, n))
		}
		sort.Strings(by)
		fmt.Printf("%3ds  ok %5d  failed %4d  served by %s\n", s, ok, failed, strings.Join(by, " "))
		for e, n := range errs {
			fmt.Printf("        %d x %s\n", n, e)
		}
		ok, failed = 0, 0
		pids, errs = map[string]int{}, map[string]int{}
		mu.Unlock()
	}
}
