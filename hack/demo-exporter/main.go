// Command demo-exporter serves the test exporter's request metrics (e2e/exporter) for make
// demo, with a control endpoint to change a version's error rate:
//
//	demo-exporter -addr-file FILE      # writes host:port to FILE once serving
//	curl 'http://HOST:PORT/set?version=nginx:1.30&errorRate=0.4'
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/ramp-dev/ramp/e2e/exporter"
)

func main() {
	addrFile := flag.String("addr-file", "", "write the control and /metrics address here once serving")
	flag.Parse()

	exp := exporter.New()
	defer exp.Close()
	metrics := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: exp.Addr()})
	mux := http.NewServeMux()
	mux.Handle("/metrics", metrics)
	mux.HandleFunc("/set", func(w http.ResponseWriter, r *http.Request) {
		version := r.URL.Query().Get("version")
		rate, err := strconv.ParseFloat(r.URL.Query().Get("errorRate"), 64)
		if version == "" || err != nil || rate < 0 || rate > 1 {
			http.Error(w, "want ?version=NAME&errorRate=0..1", http.StatusBadRequest)
			return
		}
		exp.SetErrorRate(version, rate)
		fmt.Fprintf(w, "version %s now fails %.0f%% of its requests\n", version, rate*100)
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(l.Addr().String()), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	go func() { log.Fatal(http.Serve(l, mux)) }()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
}
