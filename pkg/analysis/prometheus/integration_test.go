//go:build integration

package prometheus

// These tests run the provider against a real Prometheus (RAMP_PROMETHEUS, from
// hack/prometheus.sh) scraping the test exporter every second. They fail, not skip, when
// RAMP_PROMETHEUS is unset. Prometheus 2.42 (Debian's) applies new scrape targets on a 5 s
// tick, so each server's first sample comes about 5 s after it starts.

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/e2e/exporter"
	promserver "github.com/ramp-dev/ramp/e2e/prometheus"
	"github.com/ramp-dev/ramp/pkg/analysis"
)

const (
	errorRateQuery = `sum(rate(http_requests_total{code="500",version="v2"}[10s])) / sum(rate(http_requests_total{version="v2"}[10s]))`
	p95Query       = `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{version="v2"}[10s])))`
	// pollTimeout bounds each wait for Prometheus to have scraped what a check needs.
	pollTimeout = 45 * time.Second
)

// env is a Prometheus scraping an exporter, and a provider pointed at it.
type env struct {
	exp  *exporter.Exporter
	prom *promserver.Server
	p    *Provider
}

func setup(t *testing.T) *env {
	t.Helper()
	exp := exporter.New()
	t.Cleanup(exp.Close)
	// v2 serves half of v1's traffic, so a vector's order by version shows in its values.
	exp.SetRequestRate("v2", 50)
	exp.SetLatency("v2", 280*time.Millisecond)
	prom := promserver.Start(t, []string{exp.Addr()})
	if err := prom.WaitTargetsUp(pollTimeout); err != nil {
		t.Fatal(err)
	}
	return &env{exp: exp, prom: prom, p: testProvider()}
}

func (e *env) metric(query string) v1alpha1.Metric {
	return metricOf(&v1alpha1.PrometheusMetric{Address: e.prom.Address(), Query: query, Timeout: ptr[int64](10)})
}

func (e *env) measure(m v1alpha1.Metric) analysis.Result {
	return e.p.Measure(context.Background(), nil, m, nil)
}

// poll measures until ok accepts the result, or fails the test after pollTimeout with the
// last result.
func (e *env) poll(t *testing.T, what string, m v1alpha1.Metric, ok func(analysis.Result) bool) analysis.Result {
	t.Helper()
	deadline := time.Now().Add(pollTimeout)
	for {
		res := e.measure(m)
		if ok(res) {
			return res
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within %v; last result %s", what, pollTimeout, describe(res))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func describe(r analysis.Result) string {
	return fmt.Sprintf("{Value: %#v, Text: %q, NoData: %v, Message: %q, Err: %v}", r.Value, r.Text, r.NoData, r.Message, r.Err)
}

func isFloat(r analysis.Result) (float64, bool) {
	f, ok := r.Value.(float64)
	return f, ok && r.Err == nil && !r.NoData
}

// oneSample is the value of a one-sample vector, which the provider gives as a list of one (as
// Argo Rollouts does: conditions say result[0]).
func oneSample(r analysis.Result) (float64, bool) {
	v, ok := r.Value.([]float64)
	if !ok || len(v) != 1 || r.Err != nil || r.NoData {
		return 0, false
	}
	return v[0], true
}

func near(got, want, tolerance float64) bool { return math.Abs(got-want) <= tolerance }

func TestRealPrometheus(t *testing.T) {
	t.Parallel()
	e := setup(t)

	// A rate is extrapolated from the samples in its window, and a young counter's is too low
	// until the window is full: wait until v1's [10s] rate reads its real 100/s.
	e.poll(t, "a full 10s rate window", e.metric(`sum(rate(http_requests_total{version="v1"}[10s]))`), func(r analysis.Result) bool {
		f, ok := oneSample(r)
		return ok && near(f, 100, 2)
	})

	t.Run("scalar", func(t *testing.T) {
		res := e.measure(e.metric(`scalar(sum(rate(http_requests_total{version="v1"}[10s])))`))
		if f, ok := isFloat(res); !ok || !near(f, 100, 5) {
			t.Fatalf("v1's request rate as a scalar: %s, want about 100", describe(res))
		}
		res = e.measure(e.metric(`1.5`))
		if res.Value != 1.5 || res.Text != "1.5" || res.Err != nil {
			t.Fatalf("1.5: %s", describe(res))
		}
		res = e.measure(e.metric(`NaN`))
		if f, ok := isFloat(res); !ok || !math.IsNaN(f) || res.Text != "NaN" {
			t.Fatalf("NaN: %s, want NaN", describe(res))
		}
	})

	t.Run("vector", func(t *testing.T) {
		res := e.measure(e.metric(`sum by (version) (rate(http_requests_total[10s]))`))
		values, ok := res.Value.([]float64)
		if !ok || len(values) != 2 || !near(values[0], 100, 5) || !near(values[1], 50, 2.5) {
			t.Fatalf("rate by version: %s, want [~100, ~50] (v1, v2)", describe(res))
		}
		if !strings.HasPrefix(res.Text, "[") || strings.Count(res.Text, ",") != 1 {
			t.Errorf("Text %q does not show both values", res.Text)
		}
		res = e.measure(e.metric(`http_requests_total{version="v1",code="200"}`))
		if f, ok := oneSample(res); !ok || f <= 0 {
			t.Fatalf("a single-sample vector: %s, want a list of one positive float64", describe(res))
		}
	})

	t.Run("p95 latency", func(t *testing.T) {
		res := e.measure(e.metric(p95Query))
		// 280 ms requests land in the (0.25, 0.3] bucket.
		if f, ok := oneSample(res); !ok || f <= 0.25 || f > 0.3 {
			t.Fatalf("p95: %s, want in (0.25, 0.3]", describe(res))
		}
	})

	t.Run("error rate", func(t *testing.T) {
		m := e.metric(errorRateQuery)
		res := e.measure(m)
		if f, ok := oneSample(res); !ok || f != 0 {
			t.Fatalf("error rate before any error: %s, want 0", describe(res))
		}
		e.exp.SetErrorRate("v2", 0.1)
		// The 10 s window fills with the new rate: the ratio rises, then settles at 0.1.
		e.poll(t, "error rate rising", m, func(r analysis.Result) bool {
			f, ok := oneSample(r)
			return ok && f > 0
		})
		res = e.poll(t, "error rate of 0.1", m, func(r analysis.Result) bool {
			f, ok := oneSample(r)
			return ok && near(f, 0.1, 0.005)
		})
		t.Logf("error rate after SetErrorRate(v2, 0.1): %s", res.Text)
		e.exp.SetErrorRate("v2", 0)
	})

	t.Run("no data", func(t *testing.T) {
		for _, q := range []string{
			`http_requests_total{version="v9"}`,
			`sum(rate(http_requests_total{version="v9"}[10s]))`,
		} {
			res := e.measure(e.metric(q))
			if !res.NoData || res.Message != "query returned no data" || res.Err != nil || res.Value != nil {
				t.Errorf("%s: %s, want NoData", q, describe(res))
			}
		}
	})

	t.Run("bad PromQL", func(t *testing.T) {
		res := e.measure(e.metric(`sum(rate(http_requests_total[10s])`))
		if res.Err == nil {
			t.Fatalf("no error: %s", describe(res))
		}
		// Prometheus's own words, prefixed by its error type.
		if msg := res.Err.Error(); !strings.HasPrefix(msg, "bad_data: ") || !strings.Contains(msg, "parse error") {
			t.Fatalf("Err = %q, want Prometheus's bad_data parse error", msg)
		}
		if res.Message != res.Err.Error() {
			t.Errorf("Message %q, want the error's text", res.Message)
		}
		t.Logf("Prometheus said: %s", res.Err)

		res = e.measure(e.metric(`rate(http_requests_total)`))
		if res.Err == nil || !strings.HasPrefix(res.Err.Error(), "bad_data: ") {
			t.Fatalf("a range function without a range: %s", describe(res))
		}
	})

	t.Run("range query", func(t *testing.T) {
		spec := &v1alpha1.PrometheusMetric{
			Address: e.prom.Address(),
			Query:   `sum(rate(http_requests_total{version="v1"}[5s]))`,
			RangeQuery: &v1alpha1.PrometheusRangeQuery{
				Start: `now() - duration("6s")`, End: `now()`, Step: "1s",
			},
		}
		res := e.poll(t, "a range of values", metricOf(spec), func(r analysis.Result) bool {
			v, ok := r.Value.([]float64)
			return ok && len(v) >= 5
		})
		for _, v := range res.Value.([]float64) {
			if !near(v, 100, 5) {
				t.Fatalf("range of v1's request rate: %s, want values near 100", describe(res))
			}
		}

		spec.Query = `http_requests_total{version="v9"}`
		if res := e.measure(metricOf(spec)); !res.NoData || res.Err != nil {
			t.Errorf("an empty range: %s, want NoData", describe(res))
		}

		// Prometheus's limit on points per series.
		spec.Query = `up`
		spec.RangeQuery = &v1alpha1.PrometheusRangeQuery{Start: `now() - duration("10000h")`, End: `now()`, Step: "1s"}
		if res := e.measure(metricOf(spec)); res.Err == nil || !strings.HasPrefix(res.Err.Error(), "bad_data: ") {
			t.Errorf("a range of too many points: %s, want Prometheus's bad_data error", describe(res))
		}
	})

	t.Run("authentication and headers are accepted", func(t *testing.T) {
		// Prometheus ignores them; what matters is that the query still runs and the token
		// shows nowhere.
		m := metricOf(&v1alpha1.PrometheusMetric{
			Address: e.prom.Address(), Query: `sum(up)`,
			Headers:        []v1alpha1.WebMetricHeader{{Key: "X-Scope-OrgID", Value: "team-a"}},
			Authentication: &v1alpha1.PrometheusAuth{BearerToken: "tok-123"},
		})
		res := e.measure(m)
		if f, ok := oneSample(res); !ok || f != 1 {
			t.Fatalf("sum(up) with auth: %s", describe(res))
		}
	})
}

func TestRealPrometheusOutage(t *testing.T) {
	t.Parallel()
	e := setup(t)
	m := metricOf(&v1alpha1.PrometheusMetric{
		Address: e.prom.Address(), Query: `sum(up)`, Timeout: ptr[int64](5),
		Authentication: &v1alpha1.PrometheusAuth{BearerToken: "s3cr3t-token"},
	})
	e.poll(t, "up before the outage", m, func(r analysis.Result) bool {
		f, ok := oneSample(r)
		return ok && f == 1
	})

	e.prom.Stop()
	res := e.measure(m)
	if res.Err == nil {
		t.Fatalf("a stopped Prometheus: %s, want an error", describe(res))
	}
	if !strings.Contains(res.Err.Error(), "connection refused") {
		t.Errorf("Err = %q, want the connection refused", res.Err)
	}
	if strings.Contains(res.Err.Error()+res.Message, "s3cr3t-token") {
		t.Errorf("the token leaked: %s", describe(res))
	}
	t.Logf("stopped: %s", res.Err)

	e.prom.Start()
	// Same client, same address: the provider recovers without being rebuilt.
	res = e.poll(t, "up after the restart", m, func(r analysis.Result) bool {
		f, ok := oneSample(r)
		return ok && f == 1
	})
	if n := e.p.cachedClients(); n != 1 {
		t.Errorf("%d cached clients, want 1", n)
	}
	// The data scraped before the outage survived it.
	res = e.measure(metricOf(&v1alpha1.PrometheusMetric{Address: e.prom.Address(), Query: `count(count_over_time(up[1h]))`}))
	if f, ok := oneSample(res); !ok || f != 1 {
		t.Errorf("series from before the outage: %s", describe(res))
	}
}
