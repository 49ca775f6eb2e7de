package prometheus

import (
	"net/netip"

	"context"
	"encoding/base64"
	"github.com/ramp-dev/ramp/pkg/egress"
	"github.com/ramp-dev/ramp/pkg/testenv"
	"io"
	"log"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/analysis"
)

func metricOf(p *v1alpha1.PrometheusMetric) v1alpha1.Metric {
	return v1alpha1.Metric{Name: "m", Provider: v1alpha1.MetricProvider{Prometheus: p}}
}

func ptr[T any](v T) *T { return &v }

func sample(v float64, labels ...string) *model.Sample {
	m := model.Metric{}
	for i := 0; i+1 < len(labels); i += 2 {
		m[model.LabelName(labels[i])] = model.LabelValue(labels[i+1])
	}
	return &model.Sample{Metric: m, Value: model.SampleValue(v)}
}

func TestToResult(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name      string
		in        model.Value
		wantValue any
		wantText  string
		noData    bool
		wantErr   string
	}{
		{name: "scalar", in: &model.Scalar{Value: 0.25}, wantValue: 0.25, wantText: "0.25"},
		{name: "scalar NaN", in: &model.Scalar{Value: model.SampleValue(nan)}, wantValue: nan, wantText: "NaN"},
		{name: "scalar +Inf", in: &model.Scalar{Value: model.SampleValue(math.Inf(1))}, wantValue: math.Inf(1), wantText: "+Inf"},
		{name: "big scalar in decimal", in: &model.Scalar{Value: 123456789}, wantValue: 123456789.0, wantText: "123456789"},
		{name: "nil scalar", in: (*model.Scalar)(nil), noData: true},
		{name: "string", in: &model.String{Value: "hello"}, wantValue: "hello", wantText: "hello"},
		{name: "one sample is a list, as in Argo Rollouts", in: model.Vector{sample(0.01, "version", "v2")}, wantValue: []float64{0.01}, wantText: "[0.01]"},
		{name: "one NaN sample", in: model.Vector{sample(nan)}, wantValue: []float64{nan}, wantText: "[NaN]"},
		{
			name: "samples sorted by labels",
			in: model.Vector{
				sample(3, "version", "v3"),
				sample(1, "version", "v1", "code", "200"),
				sample(nan, "version", "v2"),
				sample(0, "version", "v1"),
			},
			// Prometheus's own order (LabelSet.Before): fewer labels first, then by names
			// and values.
			wantValue: []float64{0, nan, 3, 1},
			wantText:  "[0, NaN, 3, 1]",
		},
		{name: "empty vector", in: model.Vector{}, noData: true},
		{name: "nil", in: nil, noData: true},
		{
			name: "matrix",
			in: model.Matrix{
				{Metric: model.Metric{"version": "v2"}, Values: []model.SamplePair{{Timestamp: 1, Value: 5}, {Timestamp: 2, Value: 6}}},
				{Metric: model.Metric{"version": "v1"}, Values: []model.SamplePair{{Timestamp: 1, Value: 1}, {Timestamp: 2, Value: 2}}},
			},
			wantValue: []float64{1, 2, 5, 6},
			wantText:  "[1, 2, 5, 6]",
		},
		{
			name:      "matrix of one point stays a list",
			in:        model.Matrix{{Values: []model.SamplePair{{Timestamp: 1, Value: 7}}}},
			wantValue: []float64{7},
			wantText:  "[7]",
		},
		{name: "empty matrix", in: model.Matrix{}, noData: true},
		{name: "matrix of empty series", in: model.Matrix{{Metric: model.Metric{"a": "b"}}}, noData: true},
		{
			name:    "native histogram sample",
			in:      model.Vector{{Histogram: &model.SampleHistogram{Count: 1}}},
			wantErr: "native histograms",
		},
		{
			name:    "native histogram series",
			in:      model.Matrix{{Histograms: []model.SampleHistogramPair{{Timestamp: 1, Histogram: &model.SampleHistogram{}}}}},
			wantErr: "native histograms",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := toResult(tt.in)
			if tt.wantErr != "" {
				if got.Err == nil || !strings.Contains(got.Err.Error(), tt.wantErr) {
					t.Fatalf("Err = %v, want one containing %q", got.Err, tt.wantErr)
				}
				return
			}
			if got.Err != nil {
				t.Fatalf("Err = %v", got.Err)
			}
			if tt.noData {
				if !got.NoData || got.Message != NoDataMessage || got.Value != nil {
					t.Fatalf("got %+v, want NoData with message %q", got, NoDataMessage)
				}
				return
			}
			if got.NoData {
				t.Fatalf("NoData for %v", tt.in)
			}
			if !sameValue(got.Value, tt.wantValue) {
				t.Errorf("Value = %#v, want %#v", got.Value, tt.wantValue)
			}
			if got.Text != tt.wantText {
				t.Errorf("Text = %q, want %q", got.Text, tt.wantText)
			}
		})
	}
}

// sameValue is reflect.DeepEqual with NaN equal to NaN.
func sameValue(a, b any) bool {
	switch a := a.(type) {
	case float64:
		b, ok := b.(float64)
		return ok && (a == b || math.IsNaN(a) && math.IsNaN(b))
	case []float64:
		b, ok := b.([]float64)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !sameValue(a[i], b[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

func TestToResultDoesNotReorderItsInput(t *testing.T) {
	in := model.Vector{sample(2, "v", "b"), sample(1, "v", "a")}
	toResult(in)
	if in[0].Value != 2 {
		t.Fatal("toResult sorted the caller's vector")
	}
}

func TestNotes(t *testing.T) {
	if got := notes(nil, nil); got != "" {
		t.Errorf("notes(nil, nil) = %q", got)
	}
	got := notes(promv1.Warnings{"w1", "w2"}, promv1.Infos{"i1"})
	if want := "warnings: w1; w2; info: i1"; got != want {
		t.Errorf("notes = %q, want %q", got, want)
	}
}

func TestEvalTime(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	tests := map[string]time.Time{
		`now()`:                    now,
		` now() - duration("5m") `: now.Add(-5 * time.Minute),
		`now() - duration('1h') + duration("30s")`: now.Add(-time.Hour + 30*time.Second),
		`now().Add(duration("-90s"))`:              now.Add(-90 * time.Second),
		`2026-01-02T03:04:05Z`:                     time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		`"2026-01-02T03:04:05Z"`:                   time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		`1700000000`:                               time.Unix(1700000000, 0),
		`1700000000.5`:                             time.Unix(1700000000, 5e8),
	}
	for in, want := range tests {
		got, err := EvalTime(in, now)
		if err != nil {
			t.Errorf("EvalTime(%q): %v", in, err)
			continue
		}
		if !got.Equal(want) {
			t.Errorf("EvalTime(%q) = %v, want %v", in, got, want)
		}
	}
	bad := map[string]string{
		`now(`:                                "unexpected",
		`duration("5m")`:                      "not a time",
		`now() - duration("5 minutes")`:       "unknown unit",
		`later()`:                             "later",
		`true`:                                "not a time",
		`0/0`:                                 "not a time",
		`"yesterday"`:                         "not a time",
		`nope`:                                "unknown name nope",
		strings.Repeat("now() + ", 100) + "1": "longer than",
	}
	for in, want := range bad {
		_, err := EvalTime(in, now)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("EvalTime(%q) error = %v, want one containing %q", in, err, want)
		}
	}
}

func TestParseStep(t *testing.T) {
	good := map[string]time.Duration{
		"30s": 30 * time.Second, "1m": time.Minute, "1m30s": 90 * time.Second, "1d": 24 * time.Hour,
		"15": 15 * time.Second, "0.5": 500 * time.Millisecond, "250ms": 250 * time.Millisecond,
	}
	for in, want := range good {
		got, err := ParseStep(in)
		if err != nil || got != want {
			t.Errorf("ParseStep(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0s", "-1m", "0", "NaN", "Inf", "abc", "1e300"} {
		if got, err := ParseStep(in); err == nil {
			t.Errorf("ParseStep(%q) = %v, want an error", in, got)
		}
	}
}

func TestParseRange(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	r, err := ParseRange(v1alpha1.PrometheusRangeQuery{Start: `now() - duration("10m")`, End: `now()`, Step: "1m"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := (promv1.Range{Start: now.Add(-10 * time.Minute), End: now, Step: time.Minute}); r != want {
		t.Errorf("ParseRange = %+v, want %+v", r, want)
	}
	r, err = ParseRange(v1alpha1.PrometheusRangeQuery{Start: `now() - duration("10m")`, Step: "1m"}, now)
	if err != nil || !r.End.Equal(now) {
		t.Errorf("an empty end is now: got %+v, %v", r, err)
	}
	for _, rq := range []v1alpha1.PrometheusRangeQuery{
		{Start: "", End: "now()", Step: "1m"},
		{Start: "now(", End: "now()", Step: "1m"},
		{Start: "now()", End: "now(", Step: "1m"},
		{Start: "now()", End: "now()", Step: ""},
		{Start: "now()", End: `now() - duration("1m")`, Step: "1s"},
	} {
		if _, err := ParseRange(rq, now); err == nil {
			t.Errorf("ParseRange(%+v) gave no error", rq)
		}
	}
}

// recorded is what a stand-in server saw of one request.
type recorded struct {
	header http.Header
	host   string
	form   map[string][]string
}

// recorder is an httptest server standing in for Prometheus's query API only to record what
// a request carries; its answer is a fixed scalar.
func recorder(t *testing.T, tls bool) (*httptest.Server, func() []recorded) {
	var mu sync.Mutex
	var seen []recorded
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		mu.Lock()
		seen = append(seen, recorded{header: r.Header.Clone(), host: r.Host, form: r.Form})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"scalar","result":[1700000000,"1"]}}`))
	})
	srv := httptest.NewUnstartedServer(h)
	// The insecure test's refused handshake is expected; keep it out of the output.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, func() []recorded {
		mu.Lock()
		defer mu.Unlock()
		return append([]recorded(nil), seen...)
	}
}

func TestRequestCarriesAuthHeadersAndTimeout(t *testing.T) {
	srv, seen := recorder(t, false)
	p := testProvider()
	ctx := context.Background()

	res := p.Measure(ctx, nil, metricOf(&v1alpha1.PrometheusMetric{
		Address: srv.URL, Query: "up",
		Headers: []v1alpha1.WebMetricHeader{
			{Key: "X-Scope-OrgID", Value: "tenant-1"},
			{Key: "Authorization", Value: "Bearer from-headers"},
			{Key: "Host", Value: "prometheus.example"},
			{Key: "", Value: "ignored"},
		},
		Authentication: &v1alpha1.PrometheusAuth{BearerToken: "t0ken"},
	}), nil)
	if res.Err != nil || res.Value != 1.0 || res.Text != "1" {
		t.Fatalf("Measure = %+v", res)
	}
	got := seen()
	if len(got) != 1 {
		t.Fatalf("%d requests, want 1", len(got))
	}
	if a := got[0].header.Get("Authorization"); a != "Bearer t0ken" {
		t.Errorf("Authorization = %q, want the authentication's bearer token over the header's", a)
	}
	if v := got[0].header.Get("X-Scope-OrgID"); v != "tenant-1" {
		t.Errorf("X-Scope-OrgID = %q", v)
	}
	if got[0].host != "prometheus.example" {
		t.Errorf("Host = %q, want prometheus.example", got[0].host)
	}
	if q := got[0].form["query"]; len(q) != 1 || q[0] != "up" {
		t.Errorf("query = %v", q)
	}
	if to := got[0].form["timeout"]; len(to) != 1 || to[0] != "30s" {
		t.Errorf("timeout = %v, want the default 30s", to)
	}

	res = p.Measure(ctx, nil, metricOf(&v1alpha1.PrometheusMetric{
		Address: srv.URL, Query: "up", Timeout: ptr[int64](7),
		Authentication: &v1alpha1.PrometheusAuth{Basic: &v1alpha1.BasicAuth{Username: "ann", Password: "pw:d"}},
	}), nil)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	got = seen()
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("ann:pw:d"))
	if a := got[1].header.Get("Authorization"); a != want {
		t.Errorf("Authorization = %q, want %q", a, want)
	}
	if to := got[1].form["timeout"]; len(to) != 1 || to[0] != "7s" {
		t.Errorf("timeout = %v, want 7s", to)
	}

	// Headers may change between measurements without a new client.
	for _, tenant := range []string{"a", "b"} {
		p.Measure(ctx, nil, metricOf(&v1alpha1.PrometheusMetric{
			Address: srv.URL, Query: "up", Headers: []v1alpha1.WebMetricHeader{{Key: "X-Scope-OrgID", Value: tenant}},
		}), nil)
		got = seen()
		if v := got[len(got)-1].header.Get("X-Scope-OrgID"); v != tenant {
			t.Errorf("X-Scope-OrgID = %q, want %q", v, tenant)
		}
		if a := got[len(got)-1].header.Get("Authorization"); a != "" {
			t.Errorf("a metric without authentication sent Authorization %q", a)
		}
	}
}

func TestRangeQueryRequest(t *testing.T) {
	srv, seen := recorder(t, false)
	now := time.Unix(1_700_000_000, 0)
	p := testProvider(WithClock(func() time.Time { return now }))
	res := p.Measure(context.Background(), nil, metricOf(&v1alpha1.PrometheusMetric{
		Address: srv.URL, Query: "up",
		RangeQuery: &v1alpha1.PrometheusRangeQuery{Start: `now() - duration("5m")`, End: "now()", Step: "1m"},
	}), nil)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	f := seen()[0].form
	if f["start"][0] != "1699999700" || f["end"][0] != "1700000000" || f["step"][0] != "60" {
		t.Errorf("range sent as start=%v end=%v step=%v", f["start"], f["end"], f["step"])
	}

	res = p.Measure(context.Background(), nil, metricOf(&v1alpha1.PrometheusMetric{
		Address: srv.URL, Query: "up",
		RangeQuery: &v1alpha1.PrometheusRangeQuery{Start: `now() - `, Step: "1m"},
	}), nil)
	if res.Err == nil || !strings.Contains(res.Err.Error(), "rangeQuery.start") || res.Message != res.Err.Error() {
		t.Errorf("a bad start: %+v", res)
	}
	if len(seen()) != 1 {
		t.Error("a bad range was sent to the server")
	}
}

func TestInsecure(t *testing.T) {
	srv, _ := recorder(t, true)
	p := testProvider()
	res := p.Measure(context.Background(), nil, metricOf(&v1alpha1.PrometheusMetric{Address: srv.URL, Query: "up"}), nil)
	if res.Err == nil || !strings.Contains(res.Err.Error(), "certificate") {
		t.Fatalf("a self-signed certificate without insecure: %+v, want a certificate error", res)
	}
	res = p.Measure(context.Background(), nil, metricOf(&v1alpha1.PrometheusMetric{Address: srv.URL, Query: "up", Insecure: true}), nil)
	if res.Err != nil || res.Value != 1.0 {
		t.Fatalf("insecure: %+v", res)
	}
}

func TestClientCache(t *testing.T) {
	srv, _ := recorder(t, false)
	p := testProvider(WithClientCacheSize(2))
	measure := func(token string, insecure bool) {
		t.Helper()
		spec := &v1alpha1.PrometheusMetric{Address: srv.URL, Query: "up", Insecure: insecure}
		if token != "" {
			spec.Authentication = &v1alpha1.PrometheusAuth{BearerToken: token}
		}
		if res := p.Measure(context.Background(), nil, metricOf(spec), nil); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	for i := 0; i < 3; i++ {
		measure("", false)
	}
	if n := p.cachedClients(); n != 1 {
		t.Fatalf("%d clients after 3 identical measurements, want 1", n)
	}
	spec := &v1alpha1.PrometheusMetric{Address: srv.URL}
	c1, _ := p.client(spec)
	c2, _ := p.client(spec)
	if c1 != c2 {
		t.Fatal("the same config gave two clients")
	}
	measure("a", false)
	if n := p.cachedClients(); n != 2 {
		t.Fatalf("%d clients, want 2", n)
	}
	measure("", false) // the no-auth client is now the most recent
	measure("b", true) // evicts the client of token a
	if n := p.cachedClients(); n != 2 {
		t.Fatalf("%d clients with a cache of 2", n)
	}
	c3, _ := p.client(spec)
	if c3 != c1 {
		t.Error("the most recently used client was evicted")
	}
}

func TestSecretsNeverInMessages(t *testing.T) {
	// A server that echoes the Authorization header in its error, as a careless proxy might.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"status":"error","errorType":"bad_data","error":"rejected ` + r.Header.Get("Authorization") + `"}`))
	}))
	defer srv.Close()
	p := testProvider()
	for _, auth := range []*v1alpha1.PrometheusAuth{
		{BearerToken: "sup3r-s3cret"},
		{Basic: &v1alpha1.BasicAuth{Username: "u", Password: "sup3r-s3cret"}},
	} {
		res := p.Measure(context.Background(), nil, metricOf(&v1alpha1.PrometheusMetric{Address: srv.URL, Query: "up", Authentication: auth}), nil)
		if res.Err == nil {
			t.Fatal("no error")
		}
		encoded := base64.StdEncoding.EncodeToString([]byte("u:sup3r-s3cret"))
		for _, text := range []string{res.Err.Error(), res.Message} {
			if strings.Contains(text, "sup3r-s3cret") || strings.Contains(text, encoded) {
				t.Errorf("secret leaked: %q", text)
			}
			if !strings.Contains(text, "rejected") {
				t.Errorf("the server's own words are gone: %q", text)
			}
		}
	}
	// A password in the address must not show either.
	res := p.Measure(context.Background(), nil, metricOf(&v1alpha1.PrometheusMetric{
		Address: "http://u:sup3r-s3cret@127.0.0.1:1", Query: "up",
	}), nil)
	if res.Err == nil || strings.Contains(res.Err.Error(), "sup3r-s3cret") || strings.Contains(res.Message, "sup3r-s3cret") {
		t.Errorf("address password: %+v", res)
	}
}

func TestBadInput(t *testing.T) {
	p := testProvider()
	tests := map[string]struct {
		metric v1alpha1.Metric
		want   string
	}{
		"no provider":      {v1alpha1.Metric{Name: "m"}, "no prometheus provider"},
		"empty query":      {metricOf(&v1alpha1.PrometheusMetric{Address: "http://127.0.0.1:1", Query: " "}), "query is empty"},
		"empty address":    {metricOf(&v1alpha1.PrometheusMetric{Query: "up"}), "address is empty"},
		"no scheme":        {metricOf(&v1alpha1.PrometheusMetric{Address: "prometheus:9090", Query: "up"}), "not an http or https URL"},
		"bad URL":          {metricOf(&v1alpha1.PrometheusMetric{Address: "http://a b:pw@x%zz", Query: "up"}), "not an http or https URL"},
		"ftp":              {metricOf(&v1alpha1.PrometheusMetric{Address: "ftp://prometheus", Query: "up"}), "not an http or https URL"},
		"both auths":       {metricOf(&v1alpha1.PrometheusMetric{Address: "http://127.0.0.1:1", Query: "up", Authentication: &v1alpha1.PrometheusAuth{BearerToken: "x", Basic: &v1alpha1.BasicAuth{}}}), "choose one"},
		"refused":          {metricOf(&v1alpha1.PrometheusMetric{Address: "http://127.0.0.1:1", Query: "up"}), "connection refused"},
		"bad range":        {metricOf(&v1alpha1.PrometheusMetric{Address: "http://127.0.0.1:1", Query: "up", RangeQuery: &v1alpha1.PrometheusRangeQuery{Start: "now()", Step: "x"}}), "rangeQuery.step"},
		"negative timeout": {metricOf(&v1alpha1.PrometheusMetric{Address: "http://127.0.0.1:1", Query: "up", Timeout: ptr[int64](-5)}), "connection refused"},
	}
	for name, tt := range tests {
		res := p.Measure(context.Background(), nil, tt.metric, nil)
		if res.Err == nil || !strings.Contains(res.Err.Error(), tt.want) {
			t.Errorf("%s: Err = %v, want one containing %q", name, res.Err, tt.want)
		}
		if res.Err != nil && res.Message != res.Err.Error() {
			t.Errorf("%s: Message %q differs from Err %q", name, res.Message, res.Err)
		}
		if res.NoData || res.Value != nil {
			t.Errorf("%s: an error with a value: %+v", name, res)
		}
	}
}

// TestTimeout uses a listener that accepts connections and never answers, as a hung server.
func TestTimeout(t *testing.T) {
	addr := testenv.BlackHole(t)

	p := testProvider()
	start := time.Now()
	res := p.Measure(context.Background(), nil, metricOf(&v1alpha1.PrometheusMetric{
		Address: "http://" + addr, Query: "up", Timeout: ptr[int64](1),
	}), nil)
	took := time.Since(start)
	if res.Err == nil || !strings.Contains(res.Err.Error(), "timed out") {
		t.Fatalf("Err = %v, want a timeout", res.Err)
	}
	if took < time.Second || took > 10*time.Second {
		t.Errorf("a 1 s timeout took %v", took)
	}

	// The caller's context bounds the query too.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start = time.Now()
	res = p.Measure(ctx, nil, metricOf(&v1alpha1.PrometheusMetric{Address: "http://" + addr, Query: "up"}), nil)
	if res.Err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("a cancelled context: %+v after %v", res, time.Since(start))
	}
}

// countingTransport counts the requests it carries to the real transport.
type countingTransport struct {
	mu sync.Mutex
	n  int
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func TestWithTransportAndHugeTimeout(t *testing.T) {
	srv, seen := recorder(t, false)
	rt := &countingTransport{}
	p := New(WithTransport(rt))
	res := p.Measure(context.Background(), nil, metricOf(&v1alpha1.PrometheusMetric{
		Address: srv.URL, Query: "up", Timeout: ptr[int64](math.MaxInt64),
	}), nil)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if rt.n != 1 {
		t.Errorf("the transport carried %d requests, want 1", rt.n)
	}
	if to := seen()[0].form["timeout"]; len(to) != 1 || to[0] != "1m0s" {
		t.Errorf("timeout = %v, want the cap of 60 s", to)
	}
}

func TestType(t *testing.T) {
	var p analysis.Provider = testProvider()
	if p.Type() != "prometheus" {
		t.Fatalf("Type() = %q", p.Type())
	}
}

// testProvider may reach the tests' servers on 127.0.0.1, and nothing else on loopback.
func testProvider(opts ...Option) *Provider {
	allow := egress.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	return New(append([]Option{WithEgress(&allow)}, opts...)...)
}

// A query goes only where the operator's egress policy allows.
func TestEgressPolicyRefusesMetadataAndLoopback(t *testing.T) {
	for _, address := range []string{"http://169.254.169.254", "http://127.0.0.1:9090", "http://localhost:9090"} {
		res := New().Measure(context.Background(), &v1alpha1.AnalysisRun{}, v1alpha1.Metric{Name: "m", Provider: v1alpha1.MetricProvider{
			Prometheus: &v1alpha1.PrometheusMetric{Address: address, Query: "up"},
		}}, nil)
		if res.Err == nil || !strings.Contains(res.Err.Error(), "egress policy refuses") {
			t.Errorf("query of %s: %v; want an Error naming the egress policy", address, res.Err)
		}
	}
}

// An answer past MaxResponseBytes is an Error, never read whole.
func TestHugeAnswerIsAnError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"success","data":{"resultType":"vector","result":[`)
		sample := `{"metric":{"pod":"` + strings.Repeat("p", 1000) + `"},"value":[1,"1"]},`
		for written := 0; written <= MaxResponseBytes; written += len(sample) {
			if _, err := io.WriteString(w, sample); err != nil {
				return
			}
		}
		_, _ = io.WriteString(w, `{"metric":{},"value":[1,"1"]}]}}`)
	}))
	defer srv.Close()
	res := testProvider().Measure(context.Background(), &v1alpha1.AnalysisRun{}, v1alpha1.Metric{Name: "m", Provider: v1alpha1.MetricProvider{
		Prometheus: &v1alpha1.PrometheusMetric{Address: srv.URL, Query: "up"},
	}}, nil)
	if res.Err == nil || !strings.Contains(res.Err.Error(), "larger than") {
		t.Fatalf("a %d-byte answer: %v (value %v); want an Error saying it is too large", MaxResponseBytes, res.Err, res.Text)
	}
}
