// Command loadgen sends requests at a constant rate, whatever the server does: an open-loop
// load generator, like real users (who do not wait for each other) and unlike wrk, hey or ab
// (whose connections each wait for an answer before sending again).
//
// Latency is measured from the time each request was due, not from when it was sent, so a
// stalled server is charged for every request that piled up behind the stall (coordinated
// omission corrected). A request not answered within -timeout counts as a timeout: the client
// gave up and closed its connection.
//
//	go run ./loadgen -rate 600 -for 3s
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

type result struct {
	due     time.Duration // since the start
	latency time.Duration // from due to the end of the body
	status  int           // 0: no answer (timeout or connection error)
}

func main() {
	url := flag.String("url", "http://127.0.0.1:8080/quote", "what to request (?sku=N is appended)")
	rate := flag.Int("rate", 600, "requests per second")
	dur := flag.Duration("for", 3*time.Second, "how long to send")
	timeout := flag.Duration("timeout", time.Second, "how long a client waits for its answer")
	flag.Parse()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4096}}
	total := int(float64(*rate) * dur.Seconds())
	results := make([]result, total)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range total {
		due := time.Duration(float64(i) / float64(*rate) * float64(time.Second))
		time.Sleep(time.Until(start.Add(due)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithDeadline(context.Background(), start.Add(due+*timeout))
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s?sku=%d", *url, i), nil)
			r := result{due: due}
			resp, err := client.Do(req)
			if err == nil {
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				r.status = resp.StatusCode
			}
			if err != nil {
				r.status = 0
			}
			r.latency = time.Since(start) - due
			results[i] = r
		}()
	}
	wg.Wait()

	fmt.Printf("%d requests at %d/s for %v, clients give up after %v\n\n", total, *rate, *dur, *timeout)
	fmt.Println("second   sent    200    503  no answer   200 p50   200 p99")
	for s := 0; s < int(dur.Seconds()+0.5); s++ {
		var sent, ok, shed, lost int
		var lat []time.Duration
		for _, r := range results {
			if r.due < time.Duration(s)*time.Second || r.due >= time.Duration(s+1)*time.Second {
				continue
			}
			sent++
			switch {
			case r.status == 200:
				ok++
				lat = append(lat, r.latency)
			case r.status == 503:
				shed++
			case r.status == 0:
				lost++
			}
		}
		fmt.Printf("%6d %6d %6d %6d %10d %9s %9s\n", s, sent, ok, shed, lost, pct(lat, 50), pct(lat, 99))
	}
	var ok int
	for _, r := range results {
		if r.status == 200 {
			ok++
		}
	}
	fmt.Printf("\ngoodput: %.0f answers/s with status 200 before the client gave up\n", float64(ok)/dur.Seconds())
}

func pct(d []time.Duration, p int) string {
	if len(d) == 0 {
		return "-"
	}
	slices.Sort(d)
	return d[(len(d)*p+99)/100-1].Round(time.Millisecond).String()
}
