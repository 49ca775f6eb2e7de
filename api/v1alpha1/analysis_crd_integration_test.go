//go:build integration

package v1alpha1_test

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	v1alpha1 "github.com/ramp-dev/ramp/api/v1alpha1"
)

// A tenant cannot make a metric hammer its provider or hold a measurement for long: intervals
// below 1 s and timeouts above 60 s are refused at admission.
func TestMetricLimitsAreValidatedAtAdmission(t *testing.T) {
	web := func(timeout int64) v1alpha1.MetricProvider {
		return v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{URL: "http://metrics.example/ok", TimeoutSeconds: timeout}}
	}
	prom := func(timeout int64) v1alpha1.MetricProvider {
		return v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: "http://prometheus:9090", Query: "up", Timeout: ptr.To(timeout)}}
	}
	cases := []struct {
		name   string
		metric v1alpha1.Metric
		want   string // "" when accepted
	}{
		{"interval 1s", v1alpha1.Metric{Interval: "1s", Provider: web(0)}, ""},
		{"interval 0s means none", v1alpha1.Metric{Interval: "0s", Provider: web(0)}, ""},
		{"interval from an arg", v1alpha1.Metric{Interval: "{{args.every}}", Provider: web(0)}, ""},
		{"interval 500ms", v1alpha1.Metric{Interval: "500ms", Provider: web(0)}, "floor of 1s"},
		{"interval 0.1s", v1alpha1.Metric{Interval: "0.1s", Provider: web(0)}, "floor of 1s"},
		{"web timeout 60", v1alpha1.Metric{Provider: web(60)}, ""},
		{"web timeout 61", v1alpha1.Metric{Provider: web(61)}, "timeoutSeconds"},
		{"prometheus timeout 3600", v1alpha1.Metric{Provider: prom(3600)}, "timeout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.metric.Name = "m"
			run := &v1alpha1.AnalysisRun{
				ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: objectName(t)},
				Spec:       v1alpha1.AnalysisRunSpec{Metrics: []v1alpha1.Metric{c.metric}},
			}
			err := env.Client.Create(context.Background(), run)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && err == nil:
				t.Fatalf("accepted; want a refusal naming %q", c.want)
			case c.want != "" && !strings.Contains(err.Error(), c.want):
				t.Fatalf("refusal %q does not name %q", err, c.want)
			}
		})
	}
}
