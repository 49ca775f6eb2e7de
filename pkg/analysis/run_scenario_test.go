package analysis

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// reconciler plays the AnalysisRun controller against scripted providers, with an explicit
// clock: at each step it measures what Due lists, judges, records and assesses.
type reconciler struct {
	t      *testing.T
	run    *v1alpha1.AnalysisRun
	script map[string][]Result // each metric's provider answers, in order
	calls  map[string]int
	conds  map[string][2]*Condition
}

func newReconciler(t *testing.T, run *v1alpha1.AnalysisRun, script map[string][]Result) *reconciler {
	r := &reconciler{t: t, run: run, script: script, calls: map[string]int{}, conds: map[string][2]*Condition{}}
	for _, m := range run.Spec.Metrics {
		var pair [2]*Condition
		for i, e := range []string{m.SuccessCondition, m.FailureCondition} {
			if e != "" {
				pair[i] = MustCompile(e)
			}
		}
		r.conds[m.Name] = pair
	}
	return r
}

// step reconciles at now: it returns what was due and when the next measurement is.
func (r *reconciler) step(now time.Time) (due []string, next time.Time) {
	r.t.Helper()
	if r.run.Status.StartedAt == nil {
		r.run.Status.StartedAt, r.run.Status.Phase = mt(now), running
	}
	due, _ = Due(r.run, now)
	for _, name := range due {
		metric, _ := metricSpec(r.run, name)
		answers := r.script[name]
		if r.calls[name] >= len(answers) {
			r.t.Fatalf("at %s: metric %s measured %d times, its script has %d answers", now.Sub(t0), name, r.calls[name]+1, len(answers))
		}
		res := answers[r.calls[name]]
		r.calls[name]++
		start := now
		if last := lastMeasurement(result(r.run, name)); last != nil && last.Phase == running {
			start = last.StartedAt.Time
		}
		phase, msg := Judge(metric, r.conds[name][0], r.conds[name][1], res)
		m := v1alpha1.Measurement{Phase: phase, Message: msg, StartedAt: mt(start), Value: res.Text, Metadata: res.Metadata}
		if phase != running {
			m.FinishedAt = mt(now)
		}
		Record(r.run, name, m)
	}
	phase, message := Assess(r.run)
	r.run.Status.Phase, r.run.Status.Message = phase, message
	_, next = Due(r.run, now)
	return due, next
}

func (r *reconciler) metric(name string) v1alpha1.MetricResult {
	if res := result(r.run, name); res != nil {
		return *res
	}
	return v1alpha1.MetricResult{Name: name}
}

func value(v float64) Result { return Result{Value: v, Text: fmt.Sprint(v)} }

type counts struct{ count, successful, failed, inconclusive, errors, consecutive int32 }

func countsOf(r v1alpha1.MetricResult) counts {
	return counts{r.Count, r.Successful, r.Failed, r.Inconclusive, r.Error, r.ConsecutiveError}
}

// TestScenarioSeveralMetrics walks a run with four metrics through time: a Prometheus-like
// metric with initialDelay, interval, count and failureLimit; a dry-run metric that fails;
// a Job-like metric that runs over several looks; and a flaky metric whose errors in a row
// are reset by a success.
func TestScenarioSeveralMetrics(t *testing.T) {
	run := newRun(
		v1alpha1.Metric{Name: "error-rate", InitialDelay: "30s", Interval: "1m", Count: ios(3), FailureLimit: ios(1),
			SuccessCondition: "result < 0.05"},
		v1alpha1.Metric{Name: "latency", Interval: "30s", FailureCondition: "result > 500"},
		v1alpha1.Metric{Name: "smoke"},
		v1alpha1.Metric{Name: "flaky", Interval: "20s", Count: ios("2"), ConsecutiveErrorLimit: ios(2), SuccessCondition: "result[0] == 1"},
	)
	run.Status = v1alpha1.AnalysisRunStatus{}
	run.Spec.DryRun = []v1alpha1.DryRun{{MetricName: "latency"}}
	run.Spec.MeasurementRetention = []v1alpha1.MeasurementRetention{{MetricName: "*", Limit: 2}}
	job := map[string]string{"job": "run-smoke-1"}
	r := newReconciler(t, run, map[string][]Result{
		"error-rate": {value(0.01), value(0.12), value(0.02)},
		"latency":    {value(100), value(900)},
		"smoke": {
			{Running: true, Metadata: job, Message: "Job run-smoke-1 created"},
			{Running: true, Metadata: job},
			{Running: true, Metadata: job},
			{Succeeded: true, Metadata: job, Message: "Job run-smoke-1 completed"},
		},
		"flaky": {
			{Err: errors.New("dial tcp: connection refused")},
			{Err: errors.New("dial tcp: connection refused")},
			{Value: []float64{1}, Text: "[1]"},
			{Value: []float64{1}, Text: "[1]"},
		},
	})

	for _, s := range []struct {
		at       time.Duration
		wantDue  []string
		wantNext time.Duration // -1: none
		phase    v1alpha1.AnalysisPhase
		check    func(t *testing.T)
	}{
		{at: 0, wantDue: []string{"latency", "smoke", "flaky"}, wantNext: 10 * time.Second, phase: running, check: func(t *testing.T) {
			if m := r.metric("smoke"); m.Phase != running || m.Count != 0 || len(m.Measurements) != 1 || m.Measurements[0].Metadata["job"] != "run-smoke-1" {
				t.Errorf("smoke = %+v", m)
			}
			if m := r.metric("flaky"); countsOf(m) != (counts{errors: 1, consecutive: 1}) || m.Phase != running {
				t.Errorf("flaky = %+v", m)
			}
			if m := r.metric("error-rate"); m.Phase != "" || len(m.Measurements) != 0 {
				t.Errorf("error-rate measured before its initialDelay: %+v", m)
			}
			if !strings.Contains(r.run.Status.Message, "error-rate (waiting for its first measurement)") {
				t.Errorf("message = %q", r.run.Status.Message)
			}
		}},
		// an early reconcile (a watch event) measures nothing new but looks at the Job
		{at: 5 * time.Second, wantDue: []string{"smoke"}, wantNext: 10 * time.Second, phase: running, check: func(t *testing.T) {
			if m := r.metric("smoke"); len(m.Measurements) != 1 || !m.Measurements[0].StartedAt.Time.Equal(t0) {
				t.Errorf("the running measurement was not replaced in place: %+v", m)
			}
		}},
		{at: 10 * time.Second, wantDue: []string{"smoke", "flaky"}, wantNext: 20 * time.Second, phase: running, check: func(t *testing.T) {
			if m := r.metric("flaky"); countsOf(m) != (counts{errors: 2, consecutive: 2}) || m.Phase != running {
				t.Errorf("flaky after 2 errors (limit 2) = %+v", m)
			}
		}},
		{at: 20 * time.Second, wantDue: []string{"smoke", "flaky"}, wantNext: 30 * time.Second, phase: running, check: func(t *testing.T) {
			m := r.metric("smoke")
			if m.Phase != successful || countsOf(m) != (counts{count: 1, successful: 1}) || len(m.Measurements) != 1 {
				t.Errorf("smoke = %+v", m)
			}
			if got := m.Measurements[0]; !got.StartedAt.Time.Equal(t0) || !got.FinishedAt.Time.Equal(at(20*time.Second)) || got.Message != "Job run-smoke-1 completed" {
				t.Errorf("smoke measurement = %+v", got)
			}
			if m := r.metric("flaky"); countsOf(m) != (counts{count: 1, successful: 1, errors: 2}) || m.Phase != running {
				t.Errorf("flaky: a success resets consecutiveError: %+v", m)
			}
			if m := r.metric("flaky"); len(m.Measurements) != 2 || m.Measurements[0].Phase != errored || m.Measurements[1].Phase != successful {
				t.Errorf("flaky keeps 2 measurements: %+v", m.Measurements)
			}
		}},
		{at: 30 * time.Second, wantDue: []string{"error-rate", "latency"}, wantNext: 40 * time.Second, phase: running, check: func(t *testing.T) {
			if m := r.metric("latency"); m.Phase != failed || !m.DryRun || countsOf(m) != (counts{count: 2, successful: 1, failed: 1}) {
				t.Errorf("latency = %+v", m)
			}
			if !strings.Contains(r.run.Status.Message, "metric latency (dry run) failed: value 900 (failureCondition met: result > 500)") {
				t.Errorf("message = %q", r.run.Status.Message)
			}
		}},
		{at: 40 * time.Second, wantDue: []string{"flaky"}, wantNext: 90 * time.Second, phase: running, check: func(t *testing.T) {
			if m := r.metric("flaky"); m.Phase != successful || m.Count != 2 {
				t.Errorf("flaky = %+v", m)
			}
		}},
		{at: 89 * time.Second, wantNext: 90 * time.Second, phase: running},
		{at: 90 * time.Second, wantDue: []string{"error-rate"}, wantNext: 150 * time.Second, phase: running, check: func(t *testing.T) {
			m := r.metric("error-rate")
			if m.Phase != running || countsOf(m) != (counts{count: 2, successful: 1, failed: 1}) {
				t.Errorf("error-rate: one failure within failureLimit 1: %+v", m)
			}
			if want := "measuring error-rate (2 of 3 measurements so far; last failed: value 0.12 (successCondition not met: result < 0.05))"; !strings.HasPrefix(r.run.Status.Message, want) {
				t.Errorf("message = %q, want prefix %q", r.run.Status.Message, want)
			}
		}},
		{at: 150 * time.Second, wantDue: []string{"error-rate"}, wantNext: -1, phase: successful, check: func(t *testing.T) {
			m := r.metric("error-rate")
			if m.Phase != successful || countsOf(m) != (counts{count: 3, successful: 2, failed: 1}) {
				t.Errorf("error-rate = %+v", m)
			}
			if len(m.Measurements) != 2 || m.Measurements[0].Value != "0.12" || m.Measurements[1].Value != "0.02" {
				t.Errorf("retention 2: %+v", m.Measurements)
			}
			want := "4 metrics successful; metric latency (dry run) failed: value 900 (failureCondition met: result > 500); 1 measurement failed, more than failureLimit 0"
			if r.run.Status.Message != want {
				t.Errorf("message = %q\nwant      %q", r.run.Status.Message, want)
			}
		}},
		// a completed run measures nothing, whenever it is looked at
		{at: time.Hour, wantNext: -1, phase: successful},
	} {
		due, next := r.step(at(s.at))
		if !reflect.DeepEqual(due, s.wantDue) {
			t.Errorf("at %s: due = %v, want %v", s.at, due, s.wantDue)
		}
		wantNext := time.Time{}
		if s.wantNext >= 0 {
			wantNext = at(s.wantNext)
		}
		if !next.Equal(wantNext) {
			t.Errorf("at %s: next = %v, want %v", s.at, next, wantNext)
		}
		if r.run.Status.Phase != s.phase {
			t.Errorf("at %s: phase = %s, want %s (%s)", s.at, r.run.Status.Phase, s.phase, r.run.Status.Message)
		}
		if s.check != nil {
			t.Run(s.at.String(), s.check)
		}
	}
	if want := map[string]int{"error-rate": 3, "latency": 2, "smoke": 4, "flaky": 4}; !reflect.DeepEqual(r.calls, want) {
		t.Errorf("provider calls = %v, want %v", r.calls, want)
	}
}

// TestScenarioFailureEndsRun: a metric over its failureLimit fails the run at once; the
// other metric, measured indefinitely, is measured no more.
func TestScenarioFailureEndsRun(t *testing.T) {
	run := newRun(
		v1alpha1.Metric{Name: "error-rate", Interval: "1m", FailureLimit: ios(1), FailureCondition: "result > 0.05"},
		v1alpha1.Metric{Name: "saturation", Interval: "2m", SuccessCondition: "result < 0.8"},
	)
	r := newReconciler(t, run, map[string][]Result{
		"error-rate": {value(0.01), value(0.12), value(0.2)},
		"saturation": {value(0.5), value(0.6)},
	})
	steps := []struct {
		at      time.Duration
		wantDue []string
		phase   v1alpha1.AnalysisPhase
	}{
		{0, []string{"error-rate", "saturation"}, running},
		{time.Minute, []string{"error-rate"}, running},
		{2 * time.Minute, []string{"error-rate", "saturation"}, failed},
		{3 * time.Minute, nil, failed},
	}
	for _, s := range steps {
		due, next := r.step(at(s.at))
		if !reflect.DeepEqual(due, s.wantDue) || r.run.Status.Phase != s.phase {
			t.Fatalf("at %s: due %v phase %s, want %v %s (%s)", s.at, due, r.run.Status.Phase, s.wantDue, s.phase, r.run.Status.Message)
		}
		if s.phase == failed && !next.IsZero() {
			t.Errorf("at %s: a failed run has a next measurement at %v", s.at, next)
		}
	}
	want := "metric error-rate failed: value 0.2 (failureCondition met: result > 0.05); 2 measurements failed, more than failureLimit 1"
	if r.run.Status.Message != want {
		t.Errorf("message = %q\nwant      %q", r.run.Status.Message, want)
	}
	if m := r.metric("saturation"); m.Phase != running || m.Count != 2 {
		t.Errorf("saturation = %+v", m)
	}
}

// TestScenarioTerminate: an indefinite metric measured until the run is terminated; with
// failures within its limit the run is Successful.
func TestScenarioTerminate(t *testing.T) {
	run := newRun(v1alpha1.Metric{Name: "rate", Interval: "30s", FailureLimit: ios(2), SuccessCondition: "result < 1"})
	r := newReconciler(t, run, map[string][]Result{"rate": {value(0.5), value(3), value(0.5), value(0.2)}})
	for i, d := range []time.Duration{0, 30 * time.Second, time.Minute, 90 * time.Second} {
		if due, next := r.step(at(d)); len(due) != 1 || !next.Equal(at(d+30*time.Second)) || r.run.Status.Phase != running {
			t.Fatalf("step %d: due %v next %v phase %s", i, due, next, r.run.Status.Phase)
		}
	}
	r.run.Spec.Terminate = true
	due, next := r.step(at(2 * time.Minute))
	if due != nil || !next.IsZero() {
		t.Errorf("terminated: due %v next %v", due, next)
	}
	if r.run.Status.Phase != successful || r.run.Status.Message != "terminated with nothing failed: metric rate successful" {
		t.Errorf("terminated: %s %q", r.run.Status.Phase, r.run.Status.Message)
	}
	if m := r.metric("rate"); countsOf(m) != (counts{count: 4, successful: 3, failed: 1}) {
		t.Errorf("rate = %+v", m)
	}
}

// TestScenarioErrors: errors in a row end a single-measurement metric as Error after
// consecutiveErrorLimit+1 tries, 10 s apart; no data counts as its noDataResult.
func TestScenarioErrors(t *testing.T) {
	run := newRun(
		v1alpha1.Metric{Name: "web", SuccessCondition: "result.ok"},
		v1alpha1.Metric{Name: "empty", Interval: "1m", Count: ios(3), NoDataResult: v1alpha1.AnalysisPhaseSuccessful, SuccessCondition: "result > 0"},
	)
	boom := Result{Err: errors.New(`Get "https://status/": dial tcp: connection refused`)}
	r := newReconciler(t, run, map[string][]Result{
		"web":   {boom, boom, boom, boom, boom},
		"empty": {{NoData: true}},
	})
	for i := 0; i < 5; i++ {
		now := at(time.Duration(i) * 10 * time.Second)
		due, next := r.step(now)
		wantDue := []string{"web"}
		if i == 0 {
			wantDue = []string{"web", "empty"}
		}
		if !reflect.DeepEqual(due, wantDue) {
			t.Fatalf("try %d: due %v, want %v", i, due, wantDue)
		}
		if i < 4 {
			if r.run.Status.Phase != running || !next.Equal(now.Add(10*time.Second)) {
				t.Fatalf("try %d: phase %s next %v", i, r.run.Status.Phase, next)
			}
		}
	}
	if r.run.Status.Phase != errored {
		t.Fatalf("phase = %s (%s)", r.run.Status.Phase, r.run.Status.Message)
	}
	want := `metric web error: Get "https://status/": dial tcp: connection refused; 5 errors in a row, more than consecutiveErrorLimit 4`
	if r.run.Status.Message != want {
		t.Errorf("message = %q\nwant      %q", r.run.Status.Message, want)
	}
	if m := r.metric("empty"); countsOf(m) != (counts{count: 1, successful: 1}) || m.Measurements[0].Message != "query returned no data" {
		t.Errorf("empty = %+v", m)
	}
}
