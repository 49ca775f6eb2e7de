// Package load sends a steady rate of HTTP requests through the local data plane (Traefik) and
// records, for each, when it was sent, which revision answered (podserve's X-Revision header)
// and the status code. The e2e suite, make demo and make bench measure releases with it.
package load

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Config is one stream of requests.
type Config struct {
	// URL is where requests go, e.g. http://127.0.0.1:PORT/ (Traefik's web entrypoint).
	URL string
	// Host is the Host header: the route's hostname.
	Host string
	// Header is added to every request (e.g. X-Canary: yes).
	Header http.Header
	// Rate is requests per second (default 200). Concurrency bounds the requests in flight
	// (default 64): a tick that finds none free is counted as Skipped, never queued.
	Rate, Concurrency int
	// Timeout bounds each request (default 5s).
	Timeout time.Duration
	// Max bounds how many results are kept (default 1,000,000); later requests are not sent.
	Max int
}

// Result is one request.
type Result struct {
	Sent     time.Time
	Took     time.Duration
	Code     int    // 0 when no response came
	Revision string // the X-Revision of the pod that answered; "" without one
	Err      string
}

// Failed reports whether the request got no answer or a 5xx.
func (r Result) Failed() bool { return r.Code == 0 || r.Code >= 500 }

// Run is a stream in progress.
type Run struct {
	cfg    Config
	client *http.Client
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	results []Result
	skipped int
}

// Start begins sending; Stop ends it.
func Start(ctx context.Context, cfg Config) *Run {
	if cfg.Rate <= 0 {
		cfg.Rate = 200
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 64
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Max <= 0 {
		cfg.Max = 1_000_000
	}
	ctx, cancel := context.WithCancel(ctx)
	r := &Run{
		cfg:    cfg,
		cancel: cancel,
		done:   make(chan struct{}),
		client: &http.Client{
			Timeout: cfg.Timeout,
			// The data plane is on loopback: never through a proxy from the environment.
			Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: cfg.Concurrency, MaxConnsPerHost: cfg.Concurrency},
		},
	}
	go r.loop(ctx)
	return r
}

func (r *Run) loop(ctx context.Context) {
	defer close(r.done)
	slots := make(chan struct{}, r.cfg.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(time.Second / time.Duration(r.cfg.Rate))
	defer tick.Stop()
	for sent := 0; sent < r.cfg.Max; {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		select {
		case slots <- struct{}{}:
		default:
			r.mu.Lock()
			r.skipped++
			r.mu.Unlock()
			continue
		}
		sent++
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			r.record(r.send(ctx))
		}()
	}
}

func (r *Run) send(ctx context.Context) Result {
	res := Result{Sent: time.Now()}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.cfg.URL, nil)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	req.Host = r.cfg.Host
	for k, vs := range r.cfg.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := r.client.Do(req)
	if err != nil {
		res.Took = time.Since(res.Sent)
		if ctx.Err() != nil {
			res.Err = "stopped"
		} else {
			res.Err = err.Error()
		}
		return res
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	res.Took = time.Since(res.Sent)
	res.Code = resp.StatusCode
	res.Revision = resp.Header.Get("X-Revision")
	return res
}

func (r *Run) record(res Result) {
	if res.Err == "stopped" {
		return // cut short by Stop: not an answer the data plane gave
	}
	r.mu.Lock()
	r.results = append(r.results, res)
	r.mu.Unlock()
}

// Stop ends the stream, waits for the requests in flight, and returns every result in the
// order they were sent.
func (r *Run) Stop() Summary {
	r.cancel()
	<-r.done
	return r.Snapshot()
}

// Snapshot is what the stream has recorded so far, in the order requests were sent.
func (r *Run) Snapshot() Summary {
	r.mu.Lock()
	res := append([]Result(nil), r.results...)
	skipped := r.skipped
	r.mu.Unlock()
	sort.Slice(res, func(i, j int) bool { return res[i].Sent.Before(res[j].Sent) })
	return Summary{Results: res, Skipped: skipped}
}

// Mark is a point in the stream to measure from: results sent after it.
func (r *Run) Mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.results)
}

// Summary is a stream's results.
type Summary struct {
	Results []Result
	Skipped int
}

// Between keeps the results sent in [from, to).
func (s Summary) Between(from, to time.Time) Summary {
	out := Summary{}
	for _, r := range s.Results {
		if !r.Sent.Before(from) && r.Sent.Before(to) {
			out.Results = append(out.Results, r)
		}
	}
	return out
}

// ByRevision counts answers per revision (failed requests included, under their revision).
func (s Summary) ByRevision() map[string]int {
	out := map[string]int{}
	for _, r := range s.Results {
		out[r.Revision]++
	}
	return out
}

// ByCode counts results per status code (0: no response).
func (s Summary) ByCode() map[int]int {
	out := map[int]int{}
	for _, r := range s.Results {
		out[r.Code]++
	}
	return out
}

// Failures are the requests with no answer or a 5xx.
func (s Summary) Failures() []Result {
	var out []Result
	for _, r := range s.Results {
		if r.Failed() {
			out = append(out, r)
		}
	}
	return out
}

// LastFrom is the send time of the last request revision answered; false if it answered none.
func (s Summary) LastFrom(revision string) (time.Time, bool) {
	var last time.Time
	found := false
	for _, r := range s.Results {
		if r.Revision == revision && r.Sent.After(last) {
			last, found = r.Sent, true
		}
	}
	return last, found
}

// Share is the fraction of answers revision gave, 0 when there were none.
func (s Summary) Share(revision string) float64 {
	if len(s.Results) == 0 {
		return 0
	}
	return float64(s.ByRevision()[revision]) / float64(len(s.Results))
}

// String reads as "1,000 requests: 203 a1b2c3, 797 d4e5f6 (0 failed)".
func (s Summary) String() string {
	counts := s.ByRevision()
	revs := make([]string, 0, len(counts))
	for rev := range counts {
		revs = append(revs, rev)
	}
	sort.Strings(revs)
	parts := make([]string, 0, len(revs))
	for _, rev := range revs {
		name := rev
		if name == "" {
			name = "no revision"
		}
		parts = append(parts, fmt.Sprintf("%s %s", Thousands(counts[rev]), name))
	}
	return fmt.Sprintf("%s requests: %s (%d failed)", Thousands(len(s.Results)), strings.Join(parts, ", "), len(s.Failures()))
}

// Thousands writes n with thousands separators: 1,000.
func Thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
