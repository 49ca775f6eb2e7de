package analysis

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func mt(t time.Time) *metav1.Time { v := metav1.NewTime(t); return &v }

func ios(v any) *intstr.IntOrString {
	switch x := v.(type) {
	case int:
		r := intstr.FromInt32(int32(x))
		return &r
	case string:
		r := intstr.FromString(x)
		return &r
	}
	panic("ios")
}

const (
	pending      = v1alpha1.AnalysisPhasePending
	running      = v1alpha1.AnalysisPhaseRunning
	successful   = v1alpha1.AnalysisPhaseSuccessful
	failed       = v1alpha1.AnalysisPhaseFailed
	errored      = v1alpha1.AnalysisPhaseError
	inconclusive = v1alpha1.AnalysisPhaseInconclusive
)

// done is a finished measurement taken at t.
func done(phase v1alpha1.AnalysisPhase, t time.Time, value string) v1alpha1.Measurement {
	return v1alpha1.Measurement{Phase: phase, StartedAt: mt(t), FinishedAt: mt(t), Value: value}
}

func newRun(metrics ...v1alpha1.Metric) *v1alpha1.AnalysisRun {
	return &v1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{Name: "run", Namespace: "ns"},
		Spec:       v1alpha1.AnalysisRunSpec{Metrics: metrics},
		Status:     v1alpha1.AnalysisRunStatus{Phase: running, StartedAt: mt(t0)},
	}
}

func TestLimits(t *testing.T) {
	for _, tc := range []struct {
		name    string
		metric  v1alpha1.Metric
		want    MetricLimits
		count   int32 // EffectiveCount
		wantErr string
	}{
		{name: "defaults", want: MetricLimits{ConsecutiveErrorLimit: 4}, count: 1},
		{name: "interval only: indefinite", metric: v1alpha1.Metric{Interval: "30s"},
			want: MetricLimits{ConsecutiveErrorLimit: 4, Interval: 30 * time.Second}, count: 0},
		{name: "ints", metric: v1alpha1.Metric{Count: ios(5), FailureLimit: ios(2), InconclusiveLimit: ios(1), ConsecutiveErrorLimit: ios(0),
			Interval: "1m30s", InitialDelay: "500ms"},
			want: MetricLimits{Count: 5, FailureLimit: 2, InconclusiveLimit: 1, ConsecutiveErrorLimit: 0, Interval: 90 * time.Second, InitialDelay: 500 * time.Millisecond}, count: 5},
		{name: "strings", metric: v1alpha1.Metric{Count: ios("3"), FailureLimit: ios(" 2 "), ConsecutiveErrorLimit: ios("10")},
			want: MetricLimits{Count: 3, FailureLimit: 2, ConsecutiveErrorLimit: 10}, count: 3},
		{name: "count 0 is unset", metric: v1alpha1.Metric{Count: ios(0)}, want: MetricLimits{ConsecutiveErrorLimit: 4}, count: 1},
		{name: "count without interval", metric: v1alpha1.Metric{Count: ios(3)}, want: MetricLimits{Count: 3, ConsecutiveErrorLimit: 4}, count: 3},
		{name: "not a number", metric: v1alpha1.Metric{Name: "m", FailureLimit: ios("two")},
			wantErr: `metric m: failureLimit "two" is not a whole number`},
		{name: "placeholder left", metric: v1alpha1.Metric{Name: "m", Count: ios("{{args.n}}")},
			wantErr: `metric m: count "{{args.n}}" is not a whole number (its {{args}} are not substituted)`},
		{name: "negative", metric: v1alpha1.Metric{Name: "m", InconclusiveLimit: ios(-1)}, wantErr: "metric m: inconclusiveLimit -1 is negative"},
		{name: "negative string", metric: v1alpha1.Metric{Name: "m", ConsecutiveErrorLimit: ios("-3")}, wantErr: "consecutiveErrorLimit -3 is negative"},
		{name: "too large", metric: v1alpha1.Metric{Name: "m", Count: ios("99999999999")}, wantErr: "count 99999999999 is too large"},
		{name: "float", metric: v1alpha1.Metric{Name: "m", Count: ios("1.5")}, wantErr: `count "1.5" is not a whole number`},
		{name: "bad interval", metric: v1alpha1.Metric{Name: "m", Interval: "5 minutes"}, wantErr: `metric m: interval "5 minutes" is not a duration such as 30s or 5m`},
		{name: "negative delay", metric: v1alpha1.Metric{Name: "m", InitialDelay: "-5s"}, wantErr: `initialDelay "-5s" is not a duration`},
		{name: "interval placeholder", metric: v1alpha1.Metric{Name: "m", Interval: "{{args.i}}"}, wantErr: "(its {{args}} are not substituted)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Limits(tc.metric)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Limits = %+v, want %+v", got, tc.want)
			}
			if c := got.EffectiveCount(); c != tc.count {
				t.Errorf("EffectiveCount = %d, want %d", c, tc.count)
			}
		})
	}
}

func TestJudge(t *testing.T) {
	lt := MustCompile("result < 0.05")
	gt := MustCompile("result > 0.1")
	bad := MustCompile("result[0] < 1")
	for _, tc := range []struct {
		name             string
		noData           v1alpha1.AnalysisPhase
		success, failure *Condition
		r                Result
		want             v1alpha1.AnalysisPhase
		msg              string // exact, or a substring when it starts with ~
	}{
		{name: "error", success: lt, r: Result{Err: errors.New("connection refused"), Value: 0.01}, want: errored, msg: "connection refused"},
		{name: "error beats data flags", r: Result{Err: errors.New("boom"), NoData: true, Running: true}, want: errored, msg: "boom"},
		{name: "no data default", success: lt, r: Result{NoData: true}, want: inconclusive, msg: "query returned no data"},
		{name: "no data with provider message", r: Result{NoData: true, Message: "jsonPath {$.x} found nothing"}, want: inconclusive,
			msg: "query returned no data: jsonPath {$.x} found nothing"},
		{name: "no data failed", noData: failed, r: Result{NoData: true}, want: failed, msg: "query returned no data"},
		{name: "no data successful", noData: successful, r: Result{NoData: true}, want: successful, msg: "query returned no data"},
		{name: "no data bogus", noData: "Maybe", r: Result{NoData: true}, want: inconclusive, msg: "query returned no data"},
		{name: "running", success: lt, r: Result{Running: true, Message: "Job j created"}, want: running, msg: "Job j created"},
		{name: "provider failed", success: lt, r: Result{Failed: true, Message: "Job j failed: BackoffLimitExceeded"}, want: failed, msg: "Job j failed: BackoffLimitExceeded"},
		{name: "provider failed no message", r: Result{Failed: true}, want: failed, msg: "the provider reported a failure"},
		{name: "provider succeeded", failure: gt, r: Result{Succeeded: true, Message: "Job j completed"}, want: successful, msg: "Job j completed"},
		{name: "no conditions", r: Result{Value: 7.0, Text: "7"}, want: successful, msg: ""},
		{name: "success true", success: lt, r: Result{Value: 0.01}, want: successful, msg: ""},
		{name: "success false no failure", success: lt, r: Result{Value: 0.07}, want: failed, msg: "successCondition not met: result < 0.05"},
		{name: "success false with failure: inconclusive", success: lt, failure: gt, r: Result{Value: 0.07}, want: inconclusive,
			msg: "neither condition met: successCondition result < 0.05, failureCondition result > 0.1"},
		{name: "failure first", success: MustCompile("result > 0"), failure: gt, r: Result{Value: 0.5}, want: failed, msg: "failureCondition met: result > 0.1"},
		{name: "failure false success true", success: lt, failure: gt, r: Result{Value: 0.01}, want: successful},
		{name: "failure only false", failure: gt, r: Result{Value: 0.01}, want: successful},
		{name: "failure only true", failure: gt, r: Result{Value: 0.2, Message: "2 series"}, want: failed, msg: "failureCondition met: result > 0.1: 2 series"},
		{name: "failure eval error", failure: bad, success: lt, r: Result{Value: 0.2}, want: errored, msg: `~failureCondition: condition "result[0] < 1"`},
		{name: "success eval error", success: bad, r: Result{Value: []float64{}}, want: errored, msg: `~successCondition: condition "result[0] < 1": index out of range`},
		{name: "success non-bool", success: MustCompile("result"), r: Result{Value: 0.5}, want: errored, msg: "~gives float64 0.5, not a bool"},
		{name: "vector", success: MustCompile("all(result, # < 0.05)"), r: Result{Value: []float64{0.01, 0.02}}, want: successful},
	} {
		t.Run(tc.name, func(t *testing.T) {
			metric := v1alpha1.Metric{Name: "m", NoDataResult: tc.noData}
			phase, msg := Judge(metric, tc.success, tc.failure, tc.r)
			if phase != tc.want {
				t.Errorf("phase = %s, want %s (message %q)", phase, tc.want, msg)
			}
			if sub, ok := strings.CutPrefix(tc.msg, "~"); ok {
				if !strings.Contains(msg, sub) {
					t.Errorf("message = %q, want it to contain %q", msg, sub)
				}
			} else if msg != tc.msg {
				t.Errorf("message = %q, want %q", msg, tc.msg)
			}
		})
	}
}

func TestRecord(t *testing.T) {
	base := v1alpha1.Metric{Name: "m", Interval: "1m"}
	for _, tc := range []struct {
		name      string
		metric    v1alpha1.Metric
		run       func(*v1alpha1.AnalysisRun)
		before    *v1alpha1.MetricResult
		record    []v1alpha1.Measurement
		want      v1alpha1.MetricResult // Measurements compared by phases in wantKept
		wantKept  []v1alpha1.AnalysisPhase
		wantMsg   string // substring
		wantNoRes bool
	}{
		{
			name: "first success", metric: base, record: []v1alpha1.Measurement{done(successful, t0, "1")},
			want: v1alpha1.MetricResult{Phase: running, Count: 1, Successful: 1}, wantKept: []v1alpha1.AnalysisPhase{successful},
			wantMsg: "1 measurement so far",
		},
		{
			name: "single measurement completes a metric without interval", metric: v1alpha1.Metric{Name: "m"},
			record: []v1alpha1.Measurement{done(successful, t0, "1")},
			want:   v1alpha1.MetricResult{Phase: successful, Count: 1, Successful: 1}, wantKept: []v1alpha1.AnalysisPhase{successful},
			wantMsg: "successful: 1 of 1 measurement taken",
		},
		{
			name: "one failure fails at failureLimit 0", metric: base, record: []v1alpha1.Measurement{done(failed, t0, "0.2")},
			want: v1alpha1.MetricResult{Phase: failed, Count: 1, Failed: 1}, wantKept: []v1alpha1.AnalysisPhase{failed},
			wantMsg: "failed: value 0.2; 1 measurement failed, more than failureLimit 0",
		},
		{
			name: "failures within the limit", metric: v1alpha1.Metric{Name: "m", Interval: "1m", FailureLimit: ios(2)},
			record: []v1alpha1.Measurement{done(failed, t0, "1"), done(failed, t0, "2")},
			want:   v1alpha1.MetricResult{Phase: running, Count: 2, Failed: 2}, wantKept: []v1alpha1.AnalysisPhase{failed, failed},
			wantMsg: "2 measurements so far; last failed: value 2",
		},
		{
			name: "failures over the limit", metric: v1alpha1.Metric{Name: "m", Interval: "1m", FailureLimit: ios("2")},
			record:   []v1alpha1.Measurement{done(failed, t0, "1"), done(successful, t0, "0"), done(failed, t0, "2"), done(failed, t0, "3")},
			want:     v1alpha1.MetricResult{Phase: failed, Count: 4, Failed: 3, Successful: 1},
			wantKept: []v1alpha1.AnalysisPhase{failed, successful, failed, failed},
			wantMsg:  "failed: value 3; 3 measurements failed, more than failureLimit 2",
		},
		{
			name: "inconclusive", metric: base, record: []v1alpha1.Measurement{{Phase: inconclusive, Message: "query returned no data", FinishedAt: mt(t0)}},
			want: v1alpha1.MetricResult{Phase: inconclusive, Count: 1, Inconclusive: 1}, wantKept: []v1alpha1.AnalysisPhase{inconclusive},
			wantMsg: "inconclusive: query returned no data; 1 measurement inconclusive, more than inconclusiveLimit 0",
		},
		{
			name: "errors do not count, four in a row are tolerated", metric: base,
			record:   []v1alpha1.Measurement{done(errored, t0, ""), done(errored, t0, ""), done(errored, t0, ""), done(errored, t0, "")},
			want:     v1alpha1.MetricResult{Phase: running, Error: 4, ConsecutiveError: 4},
			wantKept: []v1alpha1.AnalysisPhase{errored, errored, errored, errored},
		},
		{
			name: "the fifth error in a row is Error", metric: base,
			record: []v1alpha1.Measurement{done(errored, t0, ""), done(errored, t0, ""), done(errored, t0, ""), done(errored, t0, ""),
				{Phase: errored, Message: "connection refused", FinishedAt: mt(t0)}},
			want:     v1alpha1.MetricResult{Phase: errored, Error: 5, ConsecutiveError: 5},
			wantKept: []v1alpha1.AnalysisPhase{errored, errored, errored, errored, errored},
			wantMsg:  "error: connection refused; 5 errors in a row, more than consecutiveErrorLimit 4",
		},
		{
			name: "a success resets consecutiveError", metric: v1alpha1.Metric{Name: "m", Interval: "1m", ConsecutiveErrorLimit: ios(1)},
			record:   []v1alpha1.Measurement{done(errored, t0, ""), done(successful, t0, "1"), done(errored, t0, "")},
			want:     v1alpha1.MetricResult{Phase: running, Count: 1, Successful: 1, Error: 2, ConsecutiveError: 1},
			wantKept: []v1alpha1.AnalysisPhase{errored, successful, errored},
		},
		{
			name: "consecutiveErrorLimit 0: the first error", metric: v1alpha1.Metric{Name: "m", Interval: "1m", ConsecutiveErrorLimit: ios(0)},
			record: []v1alpha1.Measurement{done(errored, t0, "")},
			want:   v1alpha1.MetricResult{Phase: errored, Error: 1, ConsecutiveError: 1}, wantKept: []v1alpha1.AnalysisPhase{errored},
		},
		{
			name: "count reached", metric: v1alpha1.Metric{Name: "m", Interval: "1m", Count: ios(2)},
			record:   []v1alpha1.Measurement{done(successful, t0, "1"), done(errored, t0, ""), done(successful, t0, "1")},
			want:     v1alpha1.MetricResult{Phase: successful, Count: 2, Successful: 2, Error: 1},
			wantKept: []v1alpha1.AnalysisPhase{successful, errored, successful},
			wantMsg:  "successful: 2 of 2 measurements taken",
		},
		{
			name: "running then finished replaces", metric: v1alpha1.Metric{Name: "m"},
			record: []v1alpha1.Measurement{{Phase: running, StartedAt: mt(t0)}, {Phase: running, StartedAt: mt(t0)}, done(successful, t0, "")},
			want:   v1alpha1.MetricResult{Phase: successful, Count: 1, Successful: 1}, wantKept: []v1alpha1.AnalysisPhase{successful},
		},
		{
			name: "running is not counted", metric: v1alpha1.Metric{Name: "m"},
			record: []v1alpha1.Measurement{{Phase: running, StartedAt: mt(t0), Metadata: map[string]string{"job": "j"}}},
			want:   v1alpha1.MetricResult{Phase: running}, wantKept: []v1alpha1.AnalysisPhase{running},
			wantMsg: "0 of 1 measurement so far; a measurement is running",
		},
		{
			name: "retention default 10", metric: base,
			record: repeatMeasurement(done(successful, t0, "1"), 12),
			want:   v1alpha1.MetricResult{Phase: running, Count: 12, Successful: 12}, wantKept: repeatPhase(successful, 10),
		},
		{
			name: "retention for the metric beats *", metric: base,
			run: func(r *v1alpha1.AnalysisRun) {
				r.Spec.MeasurementRetention = []v1alpha1.MeasurementRetention{{MetricName: "*", Limit: 5}, {MetricName: "m", Limit: 2}}
			},
			record: []v1alpha1.Measurement{done(failed, t0, ""), done(successful, t0, ""), done(successful, t0, "")},
			want:   v1alpha1.MetricResult{Phase: failed, Count: 1, Failed: 1}, wantKept: []v1alpha1.AnalysisPhase{failed},
		},
		{
			name: "retention *", metric: v1alpha1.Metric{Name: "m", Interval: "1m", FailureLimit: ios(5)},
			run: func(r *v1alpha1.AnalysisRun) {
				r.Spec.MeasurementRetention = []v1alpha1.MeasurementRetention{{MetricName: "other", Limit: 7}, {MetricName: "*", Limit: 2}}
			},
			record:   []v1alpha1.Measurement{done(failed, t0, ""), done(successful, t0, ""), done(errored, t0, "")},
			want:     v1alpha1.MetricResult{Phase: running, Count: 2, Failed: 1, Successful: 1, Error: 1, ConsecutiveError: 1},
			wantKept: []v1alpha1.AnalysisPhase{successful, errored},
		},
		{
			name: "dry run", metric: base,
			run:    func(r *v1alpha1.AnalysisRun) { r.Spec.DryRun = []v1alpha1.DryRun{{MetricName: "m"}} },
			record: []v1alpha1.Measurement{done(failed, t0, "9")},
			want:   v1alpha1.MetricResult{Phase: failed, DryRun: true, Count: 1, Failed: 1}, wantKept: []v1alpha1.AnalysisPhase{failed},
		},
		{
			name: "dry run *", metric: base,
			run:    func(r *v1alpha1.AnalysisRun) { r.Spec.DryRun = []v1alpha1.DryRun{{MetricName: "*"}} },
			record: []v1alpha1.Measurement{done(successful, t0, "9")},
			want:   v1alpha1.MetricResult{Phase: running, DryRun: true, Count: 1, Successful: 1}, wantKept: []v1alpha1.AnalysisPhase{successful},
		},
		{
			name: "a completed metric records nothing more", metric: base,
			record: []v1alpha1.Measurement{done(failed, t0, "1"), done(successful, t0, "0")},
			want:   v1alpha1.MetricResult{Phase: failed, Count: 1, Failed: 1}, wantKept: []v1alpha1.AnalysisPhase{failed},
		},
		{
			name: "bad limit is Error", metric: v1alpha1.Metric{Name: "m", FailureLimit: ios("x")},
			record: []v1alpha1.Measurement{done(successful, t0, "1")},
			want:   v1alpha1.MetricResult{Phase: errored, Count: 1, Successful: 1}, wantKept: []v1alpha1.AnalysisPhase{successful},
			wantMsg: `error: failureLimit "x" is not a whole number`,
		},
		{
			name: "unknown metric is ignored", metric: base, wantNoRes: true,
			record: nil,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := newRun(tc.metric)
			if tc.run != nil {
				tc.run(run)
			}
			for _, m := range tc.record {
				Record(run, "m", m)
			}
			Record(run, "nope", done(failed, t0, ""))
			if tc.wantNoRes {
				if len(run.Status.MetricResults) != 0 {
					t.Fatalf("results = %+v", run.Status.MetricResults)
				}
				return
			}
			if len(run.Status.MetricResults) != 1 {
				t.Fatalf("%d results, want 1", len(run.Status.MetricResults))
			}
			got := run.Status.MetricResults[0]
			var phases []v1alpha1.AnalysisPhase
			for _, m := range got.Measurements {
				phases = append(phases, m.Phase)
			}
			if !reflect.DeepEqual(phases, tc.wantKept) {
				t.Errorf("kept %v, want %v", phases, tc.wantKept)
			}
			if !strings.Contains(got.Message, tc.wantMsg) {
				t.Errorf("message = %q, want it to contain %q", got.Message, tc.wantMsg)
			}
			got.Measurements, got.Message = nil, ""
			tc.want.Name = "m"
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("result = %+v\nwant     %+v", got, tc.want)
			}
		})
	}
}

func repeatMeasurement(m v1alpha1.Measurement, n int) []v1alpha1.Measurement {
	out := make([]v1alpha1.Measurement, n)
	for i := range out {
		out[i] = m
	}
	return out
}

func repeatPhase(p v1alpha1.AnalysisPhase, n int) []v1alpha1.AnalysisPhase {
	out := make([]v1alpha1.AnalysisPhase, n)
	for i := range out {
		out[i] = p
	}
	return out
}

func TestDue(t *testing.T) {
	withResult := func(r *v1alpha1.AnalysisRun, res v1alpha1.MetricResult) *v1alpha1.AnalysisRun {
		r.Status.MetricResults = append(r.Status.MetricResults, res)
		return r
	}
	for _, tc := range []struct {
		name     string
		run      *v1alpha1.AnalysisRun
		now      time.Time
		wantDue  []string
		wantNext time.Time
	}{
		{name: "first measurements at once", run: newRun(v1alpha1.Metric{Name: "a"}, v1alpha1.Metric{Name: "b", Interval: "1m"}),
			now: t0, wantDue: []string{"a", "b"}, wantNext: t0},
		{name: "late reconcile: still due, next in the past", run: newRun(v1alpha1.Metric{Name: "a"}),
			now: at(time.Hour), wantDue: []string{"a"}, wantNext: t0},
		{name: "initial delay not over", run: newRun(v1alpha1.Metric{Name: "a", InitialDelay: "30s"}),
			now: at(29 * time.Second), wantNext: at(30 * time.Second)},
		{name: "initial delay over", run: newRun(v1alpha1.Metric{Name: "a", InitialDelay: "30s"}),
			now: at(30 * time.Second), wantDue: []string{"a"}, wantNext: at(30 * time.Second)},
		{name: "not started: delay from now", run: func() *v1alpha1.AnalysisRun {
			r := newRun(v1alpha1.Metric{Name: "a", InitialDelay: "1m"})
			r.Status.StartedAt = nil
			return r
		}(), now: at(time.Hour), wantNext: at(time.Hour + time.Minute)},
		{name: "interval after the last finished", run: withResult(newRun(v1alpha1.Metric{Name: "a", Interval: "1m"}),
			v1alpha1.MetricResult{Name: "a", Phase: running, Count: 1, Successful: 1, Measurements: []v1alpha1.Measurement{
				{Phase: successful, StartedAt: mt(at(5 * time.Second)), FinishedAt: mt(at(10 * time.Second))}}}),
			now: at(69 * time.Second), wantNext: at(70 * time.Second)},
		{name: "interval over", run: withResult(newRun(v1alpha1.Metric{Name: "a", Interval: "1m"}),
			v1alpha1.MetricResult{Name: "a", Phase: running, Count: 1, Measurements: []v1alpha1.Measurement{done(successful, at(10*time.Second), "")}}),
			now: at(70 * time.Second), wantDue: []string{"a"}, wantNext: at(70 * time.Second)},
		{name: "measurement without finishedAt: from startedAt", run: withResult(newRun(v1alpha1.Metric{Name: "a", Interval: "1m"}),
			v1alpha1.MetricResult{Name: "a", Phase: running, Count: 1, Measurements: []v1alpha1.Measurement{{Phase: successful, StartedAt: mt(at(time.Second))}}}),
			now: at(2 * time.Second), wantNext: at(61 * time.Second)},
		{name: "count without interval: again at once", run: withResult(newRun(v1alpha1.Metric{Name: "a", Count: ios(3)}),
			v1alpha1.MetricResult{Name: "a", Phase: running, Count: 1, Measurements: []v1alpha1.Measurement{done(successful, at(time.Second), "")}}),
			now: at(2 * time.Second), wantDue: []string{"a"}, wantNext: at(time.Second)},
		{name: "count reached: nothing", run: withResult(newRun(v1alpha1.Metric{Name: "a", Count: ios(1), Interval: "1m"}),
			v1alpha1.MetricResult{Name: "a", Phase: running, Count: 1, Measurements: []v1alpha1.Measurement{done(successful, t0, "")}}),
			now: at(time.Hour)},
		{name: "error retried after 10s", run: withResult(newRun(v1alpha1.Metric{Name: "a", Interval: "5m"}),
			v1alpha1.MetricResult{Name: "a", Phase: running, Error: 1, ConsecutiveError: 1, Measurements: []v1alpha1.Measurement{done(errored, t0, "")}}),
			now: at(time.Second), wantNext: at(10 * time.Second)},
		{name: "error retried after a shorter interval", run: withResult(newRun(v1alpha1.Metric{Name: "a", Interval: "3s"}),
			v1alpha1.MetricResult{Name: "a", Phase: running, Error: 1, ConsecutiveError: 1, Measurements: []v1alpha1.Measurement{done(errored, t0, "")}}),
			now: at(time.Second), wantNext: at(3 * time.Second)},
		{name: "error of a single measurement retried", run: withResult(newRun(v1alpha1.Metric{Name: "a"}),
			v1alpha1.MetricResult{Name: "a", Phase: running, Error: 1, ConsecutiveError: 1, Measurements: []v1alpha1.Measurement{done(errored, t0, "")}}),
			now: at(10 * time.Second), wantDue: []string{"a"}, wantNext: at(10 * time.Second)},
		{name: "running measurement resumed, next 10s later", run: withResult(newRun(v1alpha1.Metric{Name: "job"}, v1alpha1.Metric{Name: "b", Interval: "1h"}),
			v1alpha1.MetricResult{Name: "job", Phase: running, Measurements: []v1alpha1.Measurement{{Phase: running, StartedAt: mt(t0)}}}),
			now: at(3 * time.Second), wantDue: []string{"job", "b"}, wantNext: t0},
		{name: "running alone: next is now+10s", run: withResult(newRun(v1alpha1.Metric{Name: "job"}),
			v1alpha1.MetricResult{Name: "job", Phase: running, Measurements: []v1alpha1.Measurement{{Phase: running, StartedAt: mt(t0)}}}),
			now: at(3 * time.Second), wantDue: []string{"job"}, wantNext: at(13 * time.Second)},
		{name: "completed metric: nothing", run: withResult(newRun(v1alpha1.Metric{Name: "a", Interval: "1m"}, v1alpha1.Metric{Name: "b", Interval: "1m"}),
			v1alpha1.MetricResult{Name: "a", Phase: successful, Count: 5, Measurements: []v1alpha1.Measurement{done(successful, t0, "")}}),
			now: at(time.Hour), wantDue: []string{"b"}, wantNext: t0},
		{name: "a failed metric ends the run: nothing", run: withResult(newRun(v1alpha1.Metric{Name: "a", Interval: "1m"}, v1alpha1.Metric{Name: "b", Interval: "1m"}),
			v1alpha1.MetricResult{Name: "a", Phase: failed, Count: 1, Failed: 1, Measurements: []v1alpha1.Measurement{done(failed, t0, "")}}),
			now: at(time.Hour)},
		{name: "a failed dry-run metric does not", run: func() *v1alpha1.AnalysisRun {
			r := withResult(newRun(v1alpha1.Metric{Name: "a", Interval: "1m"}, v1alpha1.Metric{Name: "b", Interval: "1m"}),
				v1alpha1.MetricResult{Name: "a", Phase: failed, DryRun: true, Count: 1, Failed: 1, Measurements: []v1alpha1.Measurement{done(failed, t0, "")}})
			r.Spec.DryRun = []v1alpha1.DryRun{{MetricName: "a"}}
			return r
		}(), now: at(time.Hour), wantDue: []string{"b"}, wantNext: t0},
		{name: "terminated: nothing", run: func() *v1alpha1.AnalysisRun {
			r := newRun(v1alpha1.Metric{Name: "a"})
			r.Spec.Terminate = true
			return r
		}(), now: t0},
		{name: "completed run: nothing", run: func() *v1alpha1.AnalysisRun {
			r := newRun(v1alpha1.Metric{Name: "a"})
			r.Status.Phase = successful
			return r
		}(), now: t0},
		{name: "bad limits: nothing (Assess fails the run)", run: newRun(v1alpha1.Metric{Name: "a", Interval: "soon"}), now: t0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.run.DeepCopy()
			due, next := Due(tc.run, tc.now)
			if !reflect.DeepEqual(due, tc.wantDue) {
				t.Errorf("due = %v, want %v", due, tc.wantDue)
			}
			if !next.Equal(tc.wantNext) {
				t.Errorf("next = %v, want %v", next, tc.wantNext)
			}
			if !reflect.DeepEqual(before, tc.run) {
				t.Error("Due changed the run")
			}
		})
	}
}

func TestAssess(t *testing.T) {
	res := func(name string, phase v1alpha1.AnalysisPhase, count, failedN, incN, consErr int32, ms ...v1alpha1.Measurement) v1alpha1.MetricResult {
		return v1alpha1.MetricResult{Name: name, Phase: phase, Count: count, Failed: failedN, Inconclusive: incN, ConsecutiveError: consErr, Error: consErr, Measurements: ms}
	}
	failedM := v1alpha1.Measurement{Phase: failed, Value: "0.12", Message: "failureCondition met: result > 0.05", FinishedAt: mt(t0)}
	errM := v1alpha1.Measurement{Phase: errored, Message: "connection refused", FinishedAt: mt(t0)}
	incM := v1alpha1.Measurement{Phase: inconclusive, Message: "query returned no data", FinishedAt: mt(t0)}
	okM := done(successful, t0, "0.01")
	errorRate := v1alpha1.Metric{Name: "error-rate", Interval: "1m", Count: ios(5), FailureLimit: ios(1), FailureCondition: "result > 0.05"}
	latency := v1alpha1.Metric{Name: "latency", Interval: "1m"}
	for _, tc := range []struct {
		name      string
		metrics   []v1alpha1.Metric
		results   []v1alpha1.MetricResult
		setup     func(*v1alpha1.AnalysisRun)
		want      v1alpha1.AnalysisPhase
		wantMsg   string
		wantInMsg []string
	}{
		{name: "nothing measured yet", metrics: []v1alpha1.Metric{errorRate, latency}, want: running,
			wantMsg: "measuring error-rate (waiting for its first measurement), latency (waiting for its first measurement)"},
		{name: "measuring", metrics: []v1alpha1.Metric{errorRate, latency},
			results: []v1alpha1.MetricResult{res("error-rate", running, 2, 1, 0, 0, okM, failedM)}, want: running,
			wantMsg: "measuring error-rate (2 of 5 measurements so far; last failed: value 0.12 (failureCondition met: result > 0.05)), latency (waiting for its first measurement)"},
		{name: "failed while another runs", metrics: []v1alpha1.Metric{errorRate, latency},
			results: []v1alpha1.MetricResult{res("error-rate", running, 3, 2, 0, 0, failedM, okM, failedM), res("latency", running, 1, 0, 0, 0, okM)},
			want:    failed,
			wantMsg: "metric error-rate failed: value 0.12 (failureCondition met: result > 0.05); 2 measurements failed, more than failureLimit 1"},
		{name: "failed beats error beats inconclusive", metrics: []v1alpha1.Metric{latency, errorRate, {Name: "c"}},
			results: []v1alpha1.MetricResult{res("latency", running, 0, 0, 0, 5, errM), res("error-rate", running, 2, 2, 0, 0, failedM, failedM), res("c", running, 1, 0, 1, 0, incM)},
			want:    failed, wantInMsg: []string{"metric error-rate failed"}},
		{name: "error beats inconclusive", metrics: []v1alpha1.Metric{latency, {Name: "c"}},
			results: []v1alpha1.MetricResult{res("c", running, 1, 0, 1, 0, incM), res("latency", running, 0, 0, 0, 5, errM)},
			want:    errored, wantMsg: "metric latency error: connection refused; 5 errors in a row, more than consecutiveErrorLimit 4"},
		{name: "inconclusive beats running", metrics: []v1alpha1.Metric{latency, {Name: "c"}},
			results: []v1alpha1.MetricResult{res("c", running, 1, 0, 1, 0, incM)},
			want:    inconclusive, wantMsg: "metric c inconclusive: query returned no data; 1 measurement inconclusive, more than inconclusiveLimit 0"},
		{name: "two failed metrics are both named", metrics: []v1alpha1.Metric{{Name: "a"}, {Name: "b"}},
			results: []v1alpha1.MetricResult{res("a", failed, 1, 1, 0, 0, failedM), res("b", failed, 1, 1, 0, 0, failedM)},
			want:    failed, wantInMsg: []string{"metric a failed: value 0.12", "; metric b failed: value 0.12"}},
		{name: "all successful", metrics: []v1alpha1.Metric{{Name: "a"}, {Name: "b", Count: ios(2), Interval: "1m"}},
			results: []v1alpha1.MetricResult{res("a", successful, 1, 0, 0, 0, okM), res("b", successful, 2, 0, 0, 0, okM, okM)},
			want:    successful, wantMsg: "2 metrics successful"},
		{name: "one successful", metrics: []v1alpha1.Metric{{Name: "a"}},
			results: []v1alpha1.MetricResult{res("a", successful, 1, 0, 0, 0, okM)}, want: successful, wantMsg: "metric a successful"},
		{name: "phases are recomputed, not trusted", metrics: []v1alpha1.Metric{{Name: "a"}},
			results: []v1alpha1.MetricResult{res("a", running, 1, 1, 0, 0, failedM)}, want: failed, wantInMsg: []string{"metric a failed"}},
		{name: "dry run failure does not fail the run", metrics: []v1alpha1.Metric{{Name: "a"}, {Name: "b"}},
			results: []v1alpha1.MetricResult{res("a", successful, 1, 0, 0, 0, okM), res("b", failed, 1, 1, 0, 0, failedM)},
			setup:   func(r *v1alpha1.AnalysisRun) { r.Spec.DryRun = []v1alpha1.DryRun{{MetricName: "b"}} },
			want:    successful,
			wantMsg: "2 metrics successful; metric b (dry run) failed: value 0.12 (failureCondition met: result > 0.05); 1 measurement failed, more than failureLimit 0"},
		{name: "dry run *: all", metrics: []v1alpha1.Metric{{Name: "a"}},
			results: []v1alpha1.MetricResult{res("a", errored, 0, 0, 0, 5, errM)},
			setup:   func(r *v1alpha1.AnalysisRun) { r.Spec.DryRun = []v1alpha1.DryRun{{MetricName: "*"}} },
			want:    successful, wantInMsg: []string{"metric a successful; metric a (dry run) error: connection refused"}},
		{name: "a running dry-run metric keeps the run running", metrics: []v1alpha1.Metric{{Name: "a"}, latency},
			results: []v1alpha1.MetricResult{res("a", successful, 1, 0, 0, 0, okM), res("latency", running, 1, 0, 0, 0, okM)},
			setup:   func(r *v1alpha1.AnalysisRun) { r.Spec.DryRun = []v1alpha1.DryRun{{MetricName: "latency"}} },
			want:    running, wantMsg: "measuring latency (1 measurement so far)"},
		{name: "terminated with nothing failed", metrics: []v1alpha1.Metric{errorRate, latency},
			results: []v1alpha1.MetricResult{res("error-rate", running, 2, 1, 0, 0, failedM, okM)},
			setup:   func(r *v1alpha1.AnalysisRun) { r.Spec.Terminate = true },
			want:    successful, wantMsg: "terminated with nothing failed: 2 metrics successful"},
		{name: "terminated after a failure", metrics: []v1alpha1.Metric{errorRate, latency},
			results: []v1alpha1.MetricResult{res("error-rate", failed, 2, 2, 0, 0, failedM, failedM)},
			setup:   func(r *v1alpha1.AnalysisRun) { r.Spec.Terminate = true },
			want:    failed, wantInMsg: []string{"terminated: metric error-rate failed"}},
		{name: "bad limit fails the run", metrics: []v1alpha1.Metric{{Name: "a", Count: ios("{{args.n}}")}, latency},
			want: errored, wantMsg: `metric a error: count "{{args.n}}" is not a whole number (its {{args}} are not substituted)`},
		{name: "completed run keeps its phase", metrics: []v1alpha1.Metric{{Name: "a"}},
			setup: func(r *v1alpha1.AnalysisRun) { r.Status.Phase, r.Status.Message = errored, "argument x has no value" },
			want:  errored, wantMsg: "argument x has no value"},
		{name: "no metrics", want: errored, wantMsg: "the run has no metrics"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := newRun(tc.metrics...)
			run.Status.MetricResults = tc.results
			if tc.setup != nil {
				tc.setup(run)
			}
			before := run.DeepCopy()
			phase, msg := Assess(run)
			if phase != tc.want {
				t.Errorf("phase = %s, want %s (message %q)", phase, tc.want, msg)
			}
			if tc.wantMsg != "" && msg != tc.wantMsg {
				t.Errorf("message = %q\nwant      %q", msg, tc.wantMsg)
			}
			for _, s := range tc.wantInMsg {
				if !strings.Contains(msg, s) {
					t.Errorf("message = %q, want it to contain %q", msg, s)
				}
			}
			if !reflect.DeepEqual(before, run) {
				t.Error("Assess changed the run")
			}
		})
	}
}

// An interval from an arg that resolves below the floor fails the run, naming the floor.
func TestIntervalBelowTheFloorIsRefused(t *testing.T) {
	_, err := Limits(v1alpha1.Metric{Name: "m", Interval: "200ms"})
	if err == nil || !strings.Contains(err.Error(), "below the floor of 1s") {
		t.Fatalf("interval 200ms: %v, want the floor's refusal", err)
	}
	if _, err := Limits(v1alpha1.Metric{Name: "m", Interval: "1s"}); err != nil {
		t.Fatalf("interval 1s: %v", err)
	}
}

// A run terminated while every measurement of a metric errored is not Successful.
func TestTerminatedRunWithOnlyErrorsIsError(t *testing.T) {
	run := &v1alpha1.AnalysisRun{Spec: v1alpha1.AnalysisRunSpec{Terminate: true, Metrics: []v1alpha1.Metric{{Name: "m", Interval: "1m",
		Provider: v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{URL: "http://x"}}}}}}
	run.Status.StartedAt = &metav1.Time{}
	for range 2 {
		Record(run, "m", v1alpha1.Measurement{Phase: v1alpha1.AnalysisPhaseError, Message: "connection refused"})
	}
	if phase, msg := Assess(run); phase != v1alpha1.AnalysisPhaseError || !strings.Contains(msg, "2 errors and no measurement") {
		t.Errorf("terminated after two errors: %s %q, want Error saying so", phase, msg)
	}
	Record(run, "m", v1alpha1.Measurement{Phase: v1alpha1.AnalysisPhaseSuccessful, Value: "1"})
	if phase, _ := Assess(run); phase != v1alpha1.AnalysisPhaseSuccessful {
		t.Errorf("terminated after a successful measurement: %s, want Successful", phase)
	}
}
