package job

import (
	"context"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

func TestJobName(t *testing.T) {
	long := strings.Repeat("r", 60)
	tests := []struct {
		run, metric string
		n           int
		want        string // "" when hashed: then wantPrefix
		wantPrefix  string
	}{
		{run: "web-7d9f-2", metric: "smoke", n: 1, want: "web-7d9f-2-smoke-1"},
		{run: "web", metric: "smoke", n: 12, want: "web-smoke-12"},
		{run: strings.Repeat("a", 50), metric: strings.Repeat("b", 10), n: 1, want: strings.Repeat("a", 50) + "-" + strings.Repeat("b", 10) + "-1"}, // 63
		{run: strings.Repeat("a", 50), metric: strings.Repeat("b", 10), n: 10, wantPrefix: strings.Repeat("a", 49) + "-"},                           // 64
		{run: long, metric: "smoke", n: 3, wantPrefix: "rrrrrrrr"},
		{run: "web", metric: "Error_Rate", n: 1, wantPrefix: "web-error-rate-"},
		{run: "web.v2", metric: "smoke", n: 1, wantPrefix: "web-v2-smoke-"},
		{run: "web", metric: "___", n: 1, wantPrefix: "web-"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		got := JobName(tt.run, tt.metric, tt.n)
		if tt.want != "" && got != tt.want {
			t.Errorf("JobName(%q, %q, %d) = %q, want %q", tt.run, tt.metric, tt.n, got, tt.want)
		}
		if tt.wantPrefix != "" && !strings.HasPrefix(got, tt.wantPrefix) {
			t.Errorf("JobName(%q, %q, %d) = %q, want it to start %q", tt.run, tt.metric, tt.n, got, tt.wantPrefix)
		}
		if errs := validation.IsDNS1123Label(got); len(errs) > 0 {
			t.Errorf("JobName(%q, %q, %d) = %q: %v", tt.run, tt.metric, tt.n, got, errs)
		}
		if !strings.HasSuffix(got, "-"+strconv.Itoa(tt.n)) {
			t.Errorf("%q does not end with the measurement number", got)
		}
		if again := JobName(tt.run, tt.metric, tt.n); again != got {
			t.Errorf("JobName is %q then %q", got, again)
		}
		if seen[got] {
			t.Errorf("%q twice", got)
		}
		seen[got] = true
	}
	// Names that clean up alike, or share a long start, still differ.
	pairs := [][2]string{{"error_rate", "error-rate"}, {"Smoke", "smoke"}}
	for _, p := range pairs {
		if a, b := JobName("web", p[0], 1), JobName("web", p[1], 1); a == b {
			t.Errorf("metrics %q and %q share Job %q", p[0], p[1], a)
		}
	}
	if a, b := JobName(long+"x", "smoke", 1), JobName(long+"y", "smoke", 1); a == b {
		t.Errorf("runs differing at the end share Job %q", a)
	}
	if a, b := JobName(long, "smoke", 1), JobName(long, "smoke", 2); a == b || strings.TrimSuffix(a, "-1") != strings.TrimSuffix(b, "-2") {
		t.Errorf("measurements 1 and 2 are %q and %q: want the same start", a, b)
	}
}

func TestLabelValue(t *testing.T) {
	if got := labelValue("web-7d9f-2"); got != "web-7d9f-2" {
		t.Errorf("short name: %q", got)
	}
	long := strings.Repeat("canary.", 20)
	got := labelValue(long)
	if errs := validation.IsValidLabelValue(got); len(errs) > 0 || !strings.HasPrefix(got, "canary.canary") || got != labelValue(long) {
		t.Errorf("long name: %q %v", got, errs)
	}
	if labelValue(long+"a") == labelValue(long+"b") {
		t.Error("long names differing at the end share a label value")
	}
}

func TestMeasurementNumber(t *testing.T) {
	run := &v1alpha1.AnalysisRun{Status: v1alpha1.AnalysisRunStatus{MetricResults: []v1alpha1.MetricResult{{Name: "a", Count: 4}, {Name: "b"}}}}
	for metric, want := range map[string]int{"a": 5, "b": 1, "c": 1} {
		if got := measurementNumber(run, metric); got != want {
			t.Errorf("%s: %d, want %d", metric, got, want)
		}
	}
}

func TestNewJob(t *testing.T) {
	m := v1alpha1.Metric{Name: "smoke", Provider: v1alpha1.MetricProvider{Job: &v1alpha1.JobMetric{
		Metadata: metav1.ObjectMeta{Name: "ignored", Namespace: "ignored", Labels: map[string]string{"a": "1"}},
		Spec:     batchv1.JobSpec{Parallelism: new(int32)},
	}}}
	run := &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "prod", UID: "u-1"}}
	j, err := NewJob(run, m, 2)
	if err != nil {
		t.Fatal(err)
	}
	if j.Name != "web-smoke-2" || j.Namespace != "prod" || j.Labels["a"] != "1" || j.Labels[AnalysisRunLabel] != "web" {
		t.Errorf("job %s/%s labels %v", j.Namespace, j.Name, j.Labels)
	}
	if ref := metav1.GetControllerOf(j); ref == nil || ref.UID != "u-1" || ref.Kind != "AnalysisRun" || ref.BlockOwnerDeletion == nil || !*ref.BlockOwnerDeletion {
		t.Errorf("owner %+v", ref)
	}
	// The Job is a copy: creating it never changes the metric.
	j.Labels["a"] = "2"
	*j.Spec.Parallelism = 3
	if m.Provider.Job.Metadata.Labels["a"] != "1" || *m.Provider.Job.Spec.Parallelism != 0 || len(m.Provider.Job.Metadata.Labels) != 1 {
		t.Error("NewJob shares the metric's maps or pointers")
	}

	if _, err := NewJob(&v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "prod"}}, m, 1); err == nil {
		t.Error("a run without UID made a Job")
	}
	if _, err := NewJob(run, v1alpha1.Metric{Name: "x"}, 1); err == nil {
		t.Error("a metric without job provider made a Job")
	}
}

func TestMeasureWithoutJobProvider(t *testing.T) {
	p := New(nil)
	res := p.Measure(context.Background(), &v1alpha1.AnalysisRun{}, v1alpha1.Metric{Name: "x"}, nil)
	if res.Err == nil || res.Message != res.Err.Error() {
		t.Errorf("%+v, want an error", res)
	}
}
