//go:build integration || e2e

package prometheus

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/ramp-dev/ramp/e2e/exporter"
)

// query runs an instant query and returns the number of series in its vector.
func query(t *testing.T, s *Server, q string) (int, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.Address()+"/api/v1/query?query="+url.QueryEscape(q), nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			Result []json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return 0, err
	}
	return len(body.Data.Result), nil
}

func TestServerScrapesStopsAndRestarts(t *testing.T) {
	exp := exporter.New()
	t.Cleanup(exp.Close)
	t0 := time.Now()
	s := Start(t, []string{exp.Addr()})
	t.Logf("ready in %v", time.Since(t0))
	if err := s.WaitTargetsUp(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("target up after %v", time.Since(t0))
	if n, err := query(t, s, "http_requests_total"); err != nil || n != 4 {
		t.Fatalf("http_requests_total: %d series, %v; want 4 (v1, v2 × 200, 500)", n, err)
	}
	addr := s.Address()

	t0 = time.Now()
	s.Stop()
	t.Logf("stopped in %v", time.Since(t0))
	if s.Running() {
		t.Fatal("still running after Stop")
	}
	if _, err := query(t, s, "up"); err == nil {
		t.Fatal("a stopped server answered a query")
	}
	s.Stop() // a second Stop is harmless

	t0 = time.Now()
	s.Start()
	t.Logf("restarted in %v", time.Since(t0))
	if s.Address() != addr {
		t.Fatalf("restarted on %s, want the same address %s", s.Address(), addr)
	}
	// The data scraped before the outage is still there.
	if n, err := query(t, s, "count_over_time(up[1h])"); err != nil || n != 1 {
		t.Fatalf("count_over_time(up[1h]) after restart: %d series, %v", n, err)
	}
	s.Start() // Start on a running server does nothing
}
