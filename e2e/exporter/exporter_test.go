package exporter

import (
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// fakeClock is a settable time.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// scrape fetches /metrics and parses it.
func scrape(t *testing.T, e *Exporter) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(e.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /metrics: %s %s", resp.Status, b)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return families
}

func labels(m *dto.Metric) string {
	var parts []string
	for _, l := range m.GetLabel() {
		parts = append(parts, l.GetName()+"="+l.GetValue())
	}
	return strings.Join(parts, ",")
}

func counter(t *testing.T, fams map[string]*dto.MetricFamily, want string) float64 {
	t.Helper()
	for _, m := range fams["http_requests_total"].GetMetric() {
		if labels(m) == want {
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no http_requests_total{%s}", want)
	return 0
}

func histogram(t *testing.T, fams map[string]*dto.MetricFamily, version string) *dto.Histogram {
	t.Helper()
	for _, m := range fams["http_request_duration_seconds"].GetMetric() {
		if labels(m) == "version="+version {
			return m.GetHistogram()
		}
	}
	t.Fatalf("no http_request_duration_seconds{version=%q}", version)
	return nil
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestCountsFollowTheClockAndSettings(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	e, err := start(clock.now)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()

	fams := scrape(t, e)
	for _, l := range []string{"code=200,version=v1", "code=500,version=v1", "code=200,version=v2", "code=500,version=v2"} {
		if v := counter(t, fams, l); v != 0 {
			t.Errorf("%s at start = %v, want 0", l, v)
		}
	}

	clock.add(10 * time.Second)
	e.SetErrorRate("v2", 0.25) // the first 10 s had no errors
	clock.add(4 * time.Second)
	e.SetLatency("v2", 300*time.Millisecond)
	e.SetRequestRate("v3", 10) // a new version appears
	clock.add(2 * time.Second)

	fams = scrape(t, e)
	checks := map[string]float64{
		"code=200,version=v1": 1600,
		"code=500,version=v1": 0,
		"code=200,version=v2": 1000 + 0.75*600,
		"code=500,version=v2": 0.25 * 600,
		"code=200,version=v3": 20,
		"code=500,version=v3": 0,
	}
	for l, want := range checks {
		if got := counter(t, fams, l); !near(got, want) {
			t.Errorf("%s = %v, want %v", l, got, want)
		}
	}

	h := histogram(t, fams, "v2")
	if h.GetSampleCount() != 1600 {
		t.Errorf("v2 histogram count = %d, want 1600", h.GetSampleCount())
	}
	// 1400 requests at 20 ms, then 200 at 300 ms.
	if want := 1400*0.02 + 200*0.3; !near(h.GetSampleSum(), want) {
		t.Errorf("v2 histogram sum = %v, want %v", h.GetSampleSum(), want)
	}
	for _, b := range h.GetBucket() {
		var want uint64
		switch le := b.GetUpperBound(); {
		case le >= 0.3:
			want = 1600
		case le >= 0.02:
			want = 1400
		}
		if b.GetCumulativeCount() != want {
			t.Errorf("v2 bucket le=%v = %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want)
		}
	}
}

func TestCountersNeverDecrease(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	e, err := start(clock.now)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	prev := map[string]float64{}
	rates := []float64{1, 0, 0.5, 1, 0.1, 0}
	for i := 0; i < 60; i++ {
		e.SetErrorRate("v1", rates[i%len(rates)])
		clock.add(time.Duration(1+i%7) * 137 * time.Millisecond)
		for _, m := range scrape(t, e)["http_requests_total"].GetMetric() {
			l, v := labels(m), m.GetCounter().GetValue()
			if v < prev[l] {
				t.Fatalf("%s went down: %v -> %v", l, prev[l], v)
			}
			prev[l] = v
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	e := New()
	defer e.Close()
	if !strings.HasPrefix(e.Addr(), "127.0.0.1:") {
		t.Fatalf("Addr() = %q, want a loopback address", e.Addr())
	}
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				e.SetErrorRate("v2", float64(j%10)/10)
				e.SetLatency("v1", time.Duration(j)*time.Millisecond)
			}
		}(i)
	}
	for i := 0; i < 5; i++ {
		scrape(t, e)
	}
	wg.Wait()
}

func TestBadSettingsPanic(t *testing.T) {
	e := New()
	defer e.Close()
	for name, f := range map[string]func(){
		"rate above 1":     func() { e.SetErrorRate("v1", 1.5) },
		"negative rate":    func() { e.SetErrorRate("v1", -0.1) },
		"NaN rate":         func() { e.SetErrorRate("v1", math.NaN()) },
		"negative latency": func() { e.SetLatency("v1", -time.Second) },
		"empty version":    func() { e.SetLatency("", time.Second) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
