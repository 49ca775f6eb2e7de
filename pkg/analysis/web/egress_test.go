package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/egress"
)

// testProvider may reach the tests' servers on 127.0.0.1, and nothing else on loopback.
func testProvider() *Provider {
	return New(WithEgress(&egress.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}))
}

// A namespace user's web metric cannot make the controller call what the operator has not
// allowed: not cloud metadata, not loopback, not through a redirect.
func TestEgressPolicyRefusesWhatTheOperatorHasNotAllowed(t *testing.T) {
	secret := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"credentials":"AKIA-not-for-tenants"}`)
	}))
	defer secret.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	}))
	defer redirector.Close()
	onOtherLoopback := strings.Replace(secret.URL, "127.0.0.1", "127.0.0.2", 1)

	cases := []struct {
		name     string
		provider *Provider
		url      string
	}{
		{"cloud metadata", New(), "http://169.254.169.254/latest/meta-data/iam/security-credentials/"},
		{"loopback by default", New(), secret.URL},
		{"localhost by name", New(), strings.Replace(secret.URL, "127.0.0.1", "localhost", 1)},
		{"a redirect from an allowed server to loopback", testProvider(), redirector.URL + "/?to=" + onOtherLoopback},
		{"a redirect to cloud metadata", testProvider(), redirector.URL + "/?to=http://169.254.169.254/latest/meta-data/"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := c.provider.Measure(context.Background(), &v1alpha1.AnalysisRun{}, metric(v1alpha1.WebMetric{URL: c.url}), nil)
			if res.Err == nil {
				t.Fatalf("measured %v (%q): want an Error naming the egress policy", res.Value, res.Text)
			}
			if !strings.Contains(res.Err.Error(), "egress policy refuses") || !strings.Contains(res.Message, "egress policy") {
				t.Errorf("error %q: want it to name the egress policy", res.Err)
			}
			if strings.Contains(res.Message, "AKIA") {
				t.Errorf("the refused endpoint's answer reached the message: %q", res.Message)
			}
		})
	}
}
