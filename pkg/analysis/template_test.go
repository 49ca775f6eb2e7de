package analysis

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

func TestValidateTemplate(t *testing.T) {
	prom := v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: "{{args.prometheus}}", Query: `up{service="{{args.service}}"}`}}
	args := []v1alpha1.Argument{{Name: "service"}, {Name: "prometheus", Value: sp("http://prometheus:9090")}, {Name: "max"}}
	str := intstr.FromString
	for _, tc := range []struct {
		name      string
		metric    v1alpha1.Metric
		wantField string // "" for no error
		wantErr   string
	}{
		{name: "valid, args without values stand in", metric: v1alpha1.Metric{SuccessCondition: "result < {{args.max}}", Count: ptrTo(str("{{args.max}}"))}},
		{name: "undeclared arg", metric: v1alpha1.Metric{Provider: v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{URL: "http://{{args.foo}}"}}},
			wantField: "spec.metrics[0]", wantErr: "{{args.foo}} is not an argument of the run (it has: max, prometheus, service)"},
		{name: "success condition", metric: v1alpha1.Metric{SuccessCondition: "result <"},
			wantField: "spec.metrics[0].successCondition", wantErr: `condition "result <"`},
		{name: "failure condition not a bool", metric: v1alpha1.Metric{FailureCondition: "len(result)"},
			wantField: "spec.metrics[0].failureCondition", wantErr: "not a bool"},
		{name: "count", metric: v1alpha1.Metric{Count: ptrTo(str("five"))},
			wantField: "spec.metrics[0].count", wantErr: `count "five" is not a whole number`},
		{name: "negative failure limit", metric: v1alpha1.Metric{FailureLimit: ptrTo(intstr.FromInt32(-1))},
			wantField: "spec.metrics[0].failureLimit", wantErr: "failureLimit -1 is negative"},
		{name: "interval out of range", metric: v1alpha1.Metric{Interval: "9999999999h"},
			wantField: "spec.metrics[0].interval", wantErr: `interval "9999999999h" is not a duration`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.metric.Name = "m"
			if tc.metric.Provider == (v1alpha1.MetricProvider{}) {
				tc.metric.Provider = prom
			}
			errs := ValidateTemplate(v1alpha1.AnalysisTemplateSpec{Args: args, Metrics: []v1alpha1.Metric{tc.metric}}, field.NewPath("spec"))
			switch {
			case tc.wantField == "" && len(errs) > 0:
				t.Fatalf("got %v, want none", errs)
			case tc.wantField == "":
				return
			case len(errs) != 1:
				t.Fatalf("got %d errors %v, want one at %s", len(errs), errs, tc.wantField)
			}
			if errs[0].Field != tc.wantField || !strings.Contains(errs[0].Detail, tc.wantErr) || strings.HasPrefix(errs[0].Detail, "metric m:") {
				t.Errorf("got %s: %q, want %s: ...%q... without the metric's name", errs[0].Field, errs[0].Detail, tc.wantField, tc.wantErr)
			}
		})
	}
}

func ptrTo[T any](v T) *T { return &v }
