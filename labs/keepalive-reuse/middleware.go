package main

import "net/http"

// spreadLoad makes every API response close its connection, so that the load
// balancer has to open a new one for the next request and (so the theory goes)
// spreads the requests evenly over all instances.
func spreadLoad(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		next.ServeHTTP(w, r)
	})
}
