// healthsrv: the only program of a scratch image in the e2e tests (tests/e2e/test_http_health.py).
// It answers / with -body and /health with -health (an HTTP status); after a GET of /sick, /health
// answers 500. With -exit it ends at once (an image that cannot start). With -get URL it is a
// client: exit 0 when URL answers 2xx.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"sync/atomic"
)

func main() {
	listen := flag.String("listen", ":8080", "address to listen on")
	body := flag.String("body", "hello\n", "what / answers")
	health := flag.Int("health", 200, "the status /health answers")
	exit := flag.Bool("exit", false, "end at once, with status 1")
	get := flag.String("get", "", "GET this URL and exit 0 on a 2xx answer")
	flag.Parse()
	if *get != "" {
		resp, err := http.Get(*get)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			fmt.Fprintln(os.Stderr, resp.Status)
			os.Exit(1)
		}
		return
	}
	if *exit {
		fmt.Fprintln(os.Stderr, "told to exit")
		os.Exit(1)
	}
	var sick atomic.Bool
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, *body)
	})
	http.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		if sick.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(*health)
	})
	http.HandleFunc("/sick", func(w http.ResponseWriter, r *http.Request) {
		sick.Store(true)
		fmt.Fprintln(w, "sick from now on")
	})
	if err := http.ListenAndServe(*listen, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
