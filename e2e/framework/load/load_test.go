package load

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestCountsAnswersPerRevisionAndCode(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host != "web.example.com" || r.Header.Get("X-Canary") != "yes" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		if n.Add(1)%4 == 0 {
			w.Header().Set("X-Revision", "canary")
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.Header().Set("X-Revision", "stable")
	}))
	defer srv.Close()

	run := Start(context.Background(), Config{URL: srv.URL, Host: "web.example.com",
		Header: http.Header{"X-Canary": {"yes"}}, Rate: 500, Max: 40})
	deadline := time.Now().Add(10 * time.Second)
	for len(run.Snapshot().Results) < 40 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	sum := run.Stop()
	if len(sum.Results) != 40 {
		t.Fatalf("%d results, want 40 (Max)", len(sum.Results))
	}
	if got := sum.ByRevision(); got["stable"] != 30 || got["canary"] != 10 {
		t.Errorf("by revision %v, want stable 30 canary 10", got)
	}
	if got := sum.ByCode(); got[200] != 30 || got[500] != 10 {
		t.Errorf("by code %v", got)
	}
	if len(sum.Failures()) != 10 || sum.Share("canary") != 0.25 {
		t.Errorf("failures %d share %v", len(sum.Failures()), sum.Share("canary"))
	}
	last, ok := sum.LastFrom("canary")
	if !ok || sum.Between(last.Add(time.Nanosecond), time.Now()).ByRevision()["canary"] != 0 {
		t.Errorf("LastFrom(canary) = %v %v is not the last canary answer", last, ok)
	}
	if _, ok := sum.LastFrom("other"); ok {
		t.Error("LastFrom a revision that never answered reported one")
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1000: "-1,000"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
