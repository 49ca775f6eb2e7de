// Command load sends requests through the local data plane and prints which revision answered
// them, for make demo:
//
//	load --url http://127.0.0.1:PORT/ --host web.example.com --requests 1000 \
//	     --label a1b2c3=canary --label d4e5f6=stable [--header 'X-Canary: yes']
//
// prints "1,000 requests: 98 canary, 902 stable (0 failed)". It exits 1 when no request got an
// answer.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/ramp-dev/ramp/e2e/framework/load"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	url := flag.String("url", "", "where to send requests (Traefik's web entrypoint)")
	host := flag.String("host", "", "Host header")
	requests := flag.Int("requests", 1000, "how many requests")
	rate := flag.Int("rate", 500, "requests per second")
	var headers, labels multi
	flag.Var(&headers, "header", "a header to send, 'Name: value' (repeatable)")
	flag.Var(&labels, "label", "REVISION=NAME: print NAME for answers from REVISION (repeatable)")
	flag.Parse()
	if *url == "" {
		fmt.Fprintln(os.Stderr, "load: --url is required")
		os.Exit(2)
	}
	h := http.Header{}
	for _, kv := range headers {
		k, v, ok := strings.Cut(kv, ":")
		if !ok {
			fmt.Fprintf(os.Stderr, "load: --header %q: want 'Name: value'\n", kv)
			os.Exit(2)
		}
		h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	names := map[string]string{}
	for _, kv := range labels {
		rev, name, _ := strings.Cut(kv, "=")
		names[rev] = name
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(*requests/max(*rate, 1)*4+30)*time.Second)
	defer cancel()
	run := load.Start(ctx, load.Config{URL: *url, Host: *host, Header: h, Rate: *rate, Max: *requests})
	for len(run.Snapshot().Results) < *requests && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	sum := run.Stop()
	fmt.Println(describe(sum, names))
	if len(sum.Results) == len(sum.Failures()) {
		os.Exit(1)
	}
}

// describe reads "1,000 requests: 98 canary, 902 stable (0 failed)", the named revisions first.
func describe(sum load.Summary, names map[string]string) string {
	counts := sum.ByRevision()
	type part struct {
		name string
		n    int
	}
	var parts []part
	for rev, n := range counts {
		name, ok := names[rev]
		switch {
		case ok:
		case rev == "":
			name = "no answer from a pod"
		default:
			name = "revision " + rev
		}
		parts = append(parts, part{name, n})
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].name < parts[j].name })
	text := make([]string, len(parts))
	for i, p := range parts {
		text[i] = load.Thousands(p.n) + " " + p.name
	}
	failed := sum.Failures()
	out := fmt.Sprintf("%s requests: %s (%d failed)", load.Thousands(len(sum.Results)), strings.Join(text, ", "), len(failed))
	if len(failed) > 0 {
		codes := sum.ByCode()
		var cs []string
		for c, n := range codes {
			if c == 0 || c >= 500 {
				cs = append(cs, fmt.Sprintf("%d×%d", n, c))
			}
		}
		sort.Strings(cs)
		out += " " + strings.Join(cs, " ")
	}
	return out
}
