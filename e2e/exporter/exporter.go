// Package exporter is a stand-in application for analysis tests: it serves /metrics on a
// loopback port with the request metrics a canary analysis queries, and lets the test change
// each version's error rate and latency while Prometheus scrapes it.
//
// Each version serves a steady flow of requests (100 per second unless SetRequestRate says
// otherwise), computed from the wall clock at each scrape, so no goroutine runs:
//
//	http_requests_total{version, code}               counter; code is "200" or "500"
//	http_request_duration_seconds{version}           histogram of request latency
//
// A fraction errorRate(version) of the requests have code 500 (both codes are exported from
// the start, so an error-rate query is 0, not empty, before any error). Every request takes
// the version's latency, so histogram_quantile(0.95, ...) lands in the latency's bucket.
// Versions v1 and v2 exist from the start; any other appears when first set.
package exporter

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// DefaultRequestRate is each version's requests per second.
const DefaultRequestRate = 100.0

// DefaultLatency is each version's request latency.
const DefaultLatency = 20 * time.Millisecond

// Buckets are the latency histogram's upper bounds, in seconds.
var Buckets = []float64{.005, .01, .025, .05, .075, .1, .15, .2, .25, .3, .4, .5, .75, 1, 1.5, 2, 2.5, 5, 10}

// Exporter serves the metrics. Its methods are safe for concurrent use.
type Exporter struct {
	now      func() time.Time
	listener net.Listener
	server   *http.Server
	done     chan struct{}

	mu       sync.Mutex
	versions map[string]*version
}

// version is one version's settings and what it has served so far.
type version struct {
	rate      float64
	errorRate float64
	latency   time.Duration
	last      time.Time

	// ok and failed count requests by code; total is both, for the histogram.
	ok, failed, total float64
	// buckets[i] counts the requests no slower than Buckets[i].
	buckets []float64
	sum     float64
}

// New starts an Exporter on a free loopback port. It panics if no port can be had, as
// httptest.NewServer does.
func New() *Exporter {
	e, err := start(time.Now)
	if err != nil {
		panic(fmt.Sprintf("exporter: %v", err))
	}
	return e
}

func start(now func() time.Time) (*Exporter, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e := &Exporter{now: now, listener: l, versions: map[string]*version{}, done: make(chan struct{})}
	e.mu.Lock()
	e.version("v1")
	e.version("v2")
	e.mu.Unlock()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collector{e})
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	e.server = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		defer close(e.done)
		_ = e.server.Serve(l)
	}()
	return e, nil
}

// Addr is the exporter's host:port, as a Prometheus scrape target.
func (e *Exporter) Addr() string { return e.listener.Addr().String() }

// URL is the address of /metrics.
func (e *Exporter) URL() string { return "http://" + e.Addr() + "/metrics" }

// Close stops serving.
func (e *Exporter) Close() {
	_ = e.server.Close()
	<-e.done
}

// SetErrorRate makes the fraction rate (0 to 1) of the version's requests from now on fail
// with code 500.
func (e *Exporter) SetErrorRate(name string, rate float64) {
	if rate < 0 || rate > 1 || rate != rate {
		panic(fmt.Sprintf("exporter: error rate %v is not between 0 and 1", rate))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.version(name).errorRate = rate
}

// SetLatency makes the version's requests from now on take d.
func (e *Exporter) SetLatency(name string, d time.Duration) {
	if d < 0 {
		panic(fmt.Sprintf("exporter: latency %v is negative", d))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.version(name).latency = d
}

// SetRequestRate makes the version serve rps requests per second from now on.
func (e *Exporter) SetRequestRate(name string, rps float64) {
	if rps < 0 || rps != rps {
		panic(fmt.Sprintf("exporter: request rate %v is negative", rps))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.version(name).rate = rps
}

// version returns the version, brought up to now, creating it if needed. e.mu is held.
func (e *Exporter) version(name string) *version {
	if name == "" {
		panic(errors.New("exporter: a version needs a name"))
	}
	now := e.now()
	v, ok := e.versions[name]
	if !ok {
		v = &version{rate: DefaultRequestRate, latency: DefaultLatency, last: now, buckets: make([]float64, len(Buckets))}
		e.versions[name] = v
		return v
	}
	v.advance(now)
	return v
}

// advance counts the requests served since the last look, with the settings in force then.
func (v *version) advance(now time.Time) {
	dt := now.Sub(v.last).Seconds()
	if dt <= 0 {
		return
	}
	v.last = now
	n := v.rate * dt
	v.total += n
	v.failed += n * v.errorRate
	v.ok += n * (1 - v.errorRate)
	lat := v.latency.Seconds()
	v.sum += n * lat
	for i, le := range Buckets {
		if lat <= le {
			v.buckets[i] += n
		}
	}
}

// collector exports the versions' counts at each scrape.
type collector struct{ e *Exporter }

var (
	requestsDesc = prometheus.NewDesc("http_requests_total", "Requests served, by version and status code.",
		[]string{"version", "code"}, nil)
	durationDesc = prometheus.NewDesc("http_request_duration_seconds", "Request latency, by version.",
		[]string{"version"}, nil)
)

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- requestsDesc
	ch <- durationDesc
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	e := c.e
	e.mu.Lock()
	defer e.mu.Unlock()
	names := make([]string, 0, len(e.versions))
	for name := range e.versions {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v := e.version(name)
		ch <- prometheus.MustNewConstMetric(requestsDesc, prometheus.CounterValue, v.ok, name, "200")
		ch <- prometheus.MustNewConstMetric(requestsDesc, prometheus.CounterValue, v.failed, name, "500")
		// Histogram counts are whole requests; flooring keeps them monotonic.
		buckets := make(map[float64]uint64, len(Buckets))
		for i, le := range Buckets {
			buckets[le] = uint64(v.buckets[i])
		}
		ch <- prometheus.MustNewConstHistogram(durationDesc, uint64(v.total), v.sum, buckets, name)
	}
}
