package analysis

import (
	"strings"
	"testing"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

func TestPrepare(t *testing.T) {
	web := v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{URL: "http://{{args.host}}/ok"}}
	args := map[string]string{"host": "svc", "max": "0.05"}

	t.Run("substitutes and compiles", func(t *testing.T) {
		m := v1alpha1.Metric{Name: "m", SuccessCondition: "result < {{args.max}}", Provider: web}
		resolved, success, failure, err := Prepare(m, args)
		if err != nil {
			t.Fatal(err)
		}
		if resolved.Provider.Web.URL != "http://svc/ok" || success.String() != "result < 0.05" || failure != nil {
			t.Errorf("got url %q, success %q, failure %v", resolved.Provider.Web.URL, success, failure)
		}
		if m.Provider.Web.URL != "http://{{args.host}}/ok" {
			t.Errorf("the metric given changed: %q", m.Provider.Web.URL)
		}
	})
	for _, tc := range []struct {
		name, success, failure string
		wantField, wantErr     string
	}{
		{name: "unknown arg", success: "result < {{args.nope}}", wantErr: "metric m: {{args.nope}} is not an argument of the run (it has: host, max)"},
		{name: "bad success", success: "result <", wantField: "successCondition", wantErr: `metric m: condition "result <"`},
		{name: "bad failure", success: "result < 1", failure: "result >", wantField: "failureCondition", wantErr: `metric m: condition "result >"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, success, failure, err := Prepare(v1alpha1.Metric{Name: "m", SuccessCondition: tc.success, FailureCondition: tc.failure, Provider: web}, args)
			if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) || success != nil || failure != nil {
				t.Fatalf("got %v (conditions %v, %v), want an error starting %q", err, success, failure, tc.wantErr)
			}
			field := ""
			if ce, ok := err.(*conditionError); ok {
				field = ce.field
			}
			if field != tc.wantField {
				t.Errorf("error in field %q, want %q", field, tc.wantField)
			}
		})
	}
}
