package analysis

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// Defaults of the run state machine.
const (
	// DefaultMeasurementRetention is how many measurements a metric keeps when the run does
	// not say.
	DefaultMeasurementRetention = 10
	// DefaultConsecutiveErrorLimit is how many Error measurements in a row a metric tolerates
	// when it does not say: the fifth in a row makes it Error.
	DefaultConsecutiveErrorLimit = 4
	// ResumeInterval is how often a Running measurement (a Job) is looked at again.
	ResumeInterval = 10 * time.Second
	// ErrorRetryInterval is how soon a measurement that ended in Error is retried, or the
	// metric's interval when that is shorter.
	ErrorRetryInterval = 10 * time.Second
)

// MetricLimits are a metric's counts, limits and times, parsed.
type MetricLimits struct {
	// Count is how many measurements to take: 0 when unset, which is one measurement without
	// an interval and measurements until the run ends with one.
	Count int32
	// FailureLimit, InconclusiveLimit and ConsecutiveErrorLimit are how many Failed,
	// Inconclusive and Error-in-a-row measurements are tolerated: one more ends the metric.
	FailureLimit, InconclusiveLimit, ConsecutiveErrorLimit int32
	// Interval between measurements (0: none) and InitialDelay before the first.
	Interval, InitialDelay time.Duration
}

// EffectiveCount is how many measurements end the metric as Successful: Count, or 1 when a
// metric has neither count nor interval; 0 means until the run ends.
func (l MetricLimits) EffectiveCount() int32 {
	if l.Count == 0 && l.Interval == 0 {
		return 1
	}
	return l.Count
}

// Limits parses a metric's count, limits, interval and initialDelay. A string that is not a
// whole number (or a duration) and a negative value are errors that name the metric and the
// field, for the run's message.
func Limits(metric v1alpha1.Metric) (MetricLimits, error) {
	l := MetricLimits{ConsecutiveErrorLimit: DefaultConsecutiveErrorLimit}
	var err error
	for _, f := range []struct {
		name string
		v    *intstr.IntOrString
		out  *int32
	}{
		{"count", metric.Count, &l.Count},
		{"failureLimit", metric.FailureLimit, &l.FailureLimit},
		{"inconclusiveLimit", metric.InconclusiveLimit, &l.InconclusiveLimit},
		{"consecutiveErrorLimit", metric.ConsecutiveErrorLimit, &l.ConsecutiveErrorLimit},
	} {
		if f.v == nil {
			continue
		}
		if *f.out, err = parseCount(f.v); err != nil {
			return l, fmt.Errorf("metric %s: %s %w", metric.Name, f.name, err)
		}
	}
	for _, f := range []struct {
		name string
		v    v1alpha1.DurationString
		out  *time.Duration
	}{
		{"interval", metric.Interval, &l.Interval},
		{"initialDelay", metric.InitialDelay, &l.InitialDelay},
	} {
		if f.v == "" {
			continue
		}
		d, err := time.ParseDuration(strings.TrimSpace(string(f.v)))
		if err != nil || d < 0 {
			return l, fmt.Errorf("metric %s: %s %q is not a duration such as 30s or 5m%s", metric.Name, f.name, string(f.v), placeholderHint(string(f.v)))
		}
		*f.out = d
	}
	if l.Interval > 0 && l.Interval < v1alpha1.MinMetricInterval {
		return l, fmt.Errorf("metric %s: interval %s is below the floor of %s: measure at most once a second", metric.Name, l.Interval, v1alpha1.MinMetricInterval)
	}
	return l, nil
}

func parseCount(v *intstr.IntOrString) (int32, error) {
	n := int64(v.IntVal)
	if v.Type == intstr.String {
		var err error
		n, err = strconv.ParseInt(strings.TrimSpace(v.StrVal), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a whole number%s", v.StrVal, placeholderHint(v.StrVal))
		}
	}
	if n < 0 {
		return 0, fmt.Errorf("%d is negative", n)
	}
	if n > math.MaxInt32 {
		return 0, fmt.Errorf("%d is too large", n)
	}
	return int32(n), nil
}

func placeholderHint(s string) string {
	if strings.Contains(s, "{{") {
		return " (its {{args}} are not substituted)"
	}
	return ""
}

// Judge turns what a provider measured into the measurement's phase and message. An error
// is Error; no data is the metric's noDataResult (Inconclusive by default); a Running
// measurement stays Running; a provider's own Succeeded or Failed stands. Otherwise the
// failureCondition is evaluated first (true: Failed), then the successCondition (true:
// Successful; false: Failed without a failureCondition, Inconclusive with one). Without
// conditions a measurement is Successful. A condition that cannot be evaluated is Error.
func Judge(metric v1alpha1.Metric, success, failure *Condition, r Result) (phase v1alpha1.AnalysisPhase, message string) {
	switch {
	case r.Err != nil:
		return v1alpha1.AnalysisPhaseError, r.Err.Error()
	case r.NoData:
		phase = metric.NoDataResult
		switch phase {
		case v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseSuccessful, v1alpha1.AnalysisPhaseInconclusive:
		default:
			phase = v1alpha1.AnalysisPhaseInconclusive
		}
		return phase, joinMessage("query returned no data", r.Message)
	case r.Running:
		return v1alpha1.AnalysisPhaseRunning, r.Message
	case r.Failed:
		if r.Message == "" {
			return v1alpha1.AnalysisPhaseFailed, "the provider reported a failure"
		}
		return v1alpha1.AnalysisPhaseFailed, r.Message
	case r.Succeeded:
		return v1alpha1.AnalysisPhaseSuccessful, r.Message
	}
	if failure != nil {
		failed, err := failure.Eval(r.Value)
		if err != nil {
			return v1alpha1.AnalysisPhaseError, "failureCondition: " + err.Error()
		}
		if failed {
			return v1alpha1.AnalysisPhaseFailed, joinMessage("failureCondition met: "+failure.String(), r.Message)
		}
	}
	if success != nil {
		ok, err := success.Eval(r.Value)
		if err != nil {
			return v1alpha1.AnalysisPhaseError, "successCondition: " + err.Error()
		}
		switch {
		case ok:
			return v1alpha1.AnalysisPhaseSuccessful, r.Message
		case failure == nil:
			return v1alpha1.AnalysisPhaseFailed, joinMessage("successCondition not met: "+success.String(), r.Message)
		default:
			return v1alpha1.AnalysisPhaseInconclusive, joinMessage(
				fmt.Sprintf("neither condition met: successCondition %s, failureCondition %s", success, failure), r.Message)
		}
	}
	return v1alpha1.AnalysisPhaseSuccessful, r.Message
}

func joinMessage(a, b string) string {
	switch {
	case b == "" || b == a:
		return a
	case a == "":
		return b
	}
	return a + ": " + b
}

// metricSpec finds a metric of the run by name.
func metricSpec(run *v1alpha1.AnalysisRun, name string) (v1alpha1.Metric, bool) {
	for _, m := range run.Spec.Metrics {
		if m.Name == name {
			return m, true
		}
	}
	return v1alpha1.Metric{}, false
}

// result finds a metric's result in the run's status (nil when it has none).
func result(run *v1alpha1.AnalysisRun, name string) *v1alpha1.MetricResult {
	for i := range run.Status.MetricResults {
		if run.Status.MetricResults[i].Name == name {
			return &run.Status.MetricResults[i]
		}
	}
	return nil
}

// IsDryRun reports whether a run's spec.dryRun names the metric, or is "*".
func IsDryRun(run *v1alpha1.AnalysisRun, metric string) bool {
	for _, d := range run.Spec.DryRun {
		if d.MetricName == metric || d.MetricName == "*" {
			return true
		}
	}
	return false
}

// Retention is how many measurements a metric of the run keeps: its own
// measurementRetention entry, else the "*" entry, else DefaultMeasurementRetention.
func Retention(run *v1alpha1.AnalysisRun, metric string) int {
	star := 0
	for _, r := range run.Spec.MeasurementRetention {
		if r.Limit <= 0 {
			continue
		}
		if r.MetricName == metric {
			return int(r.Limit)
		}
		if r.MetricName == "*" && star == 0 {
			star = int(r.Limit)
		}
	}
	if star > 0 {
		return star
	}
	return DefaultMeasurementRetention
}

func lastMeasurement(res *v1alpha1.MetricResult) *v1alpha1.Measurement {
	if res == nil || len(res.Measurements) == 0 {
		return nil
	}
	return &res.Measurements[len(res.Measurements)-1]
}

// Due lists the metrics to measure at now, in the run's order, and tells when the next
// measurement is due: the earliest time any metric is due (at or before now when due is not
// empty), zero when nothing more is to be measured.
//
// A metric's first measurement is due initialDelay after status.startedAt (now when the
// run has not started); the next ones interval after the previous one finished, or at once
// while count measurements without an interval are not taken, or ErrorRetryInterval (or the
// interval when shorter) after an Error. A metric whose last measurement is Running is due
// at every call, to be resumed, and again ResumeInterval later. Nothing is due for a
// completed metric, a metric whose limits do not parse (Assess fails the run), or once the
// run is completed or terminated.
func Due(run *v1alpha1.AnalysisRun, now time.Time) (due []string, next time.Time) {
	if run.Spec.Terminate || run.Status.Phase.Completed() {
		return nil, time.Time{}
	}
	if phase, _ := Assess(run); phase.Completed() {
		return nil, time.Time{}
	}
	start := now
	if run.Status.StartedAt != nil {
		start = run.Status.StartedAt.Time
	}
	for _, metric := range run.Spec.Metrics {
		at, dueNow, ok := dueAt(run, metric, start, now)
		if !ok {
			continue
		}
		if dueNow {
			due = append(due, metric.Name)
		}
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return due, next
}

// dueAt is when a metric's next measurement is due and whether that is now; ok is false
// when none is. A Running measurement is due now, and its time is ResumeInterval later, so
// that a caller waiting for the next time does not poll it.
func dueAt(run *v1alpha1.AnalysisRun, metric v1alpha1.Metric, start, now time.Time) (at time.Time, dueNow, ok bool) {
	lim, err := Limits(metric)
	if err != nil {
		return time.Time{}, false, false
	}
	res := result(run, metric.Name)
	if res != nil && res.Phase.Completed() {
		return time.Time{}, false, false
	}
	last := lastMeasurement(res)
	switch {
	case last == nil:
		at = start.Add(lim.InitialDelay)
	case last.Phase == v1alpha1.AnalysisPhaseRunning:
		return now.Add(ResumeInterval), true, true
	default:
		if n := lim.EffectiveCount(); n > 0 && res.Count >= n {
			return time.Time{}, false, false
		}
		at = now
		switch {
		case last.FinishedAt != nil:
			at = last.FinishedAt.Time
		case last.StartedAt != nil:
			at = last.StartedAt.Time
		}
		wait := lim.Interval
		if last.Phase == v1alpha1.AnalysisPhaseError && (wait == 0 || wait > ErrorRetryInterval) {
			wait = ErrorRetryInterval
		}
		at = at.Add(wait)
	}
	return at, !at.After(now), true
}

// Record adds a measurement to a metric's result: it replaces the last measurement when that
// one was Running, else appends; a measurement that is not Running is counted (count,
// successful, failed, inconclusive; error and consecutiveError for Error, which does not
// count toward count; consecutiveError goes back to 0 on any other phase). Only the
// run's measurementRetention (10) newest measurements are kept. The metric's phase and
// message are then recomputed (see MetricPhase); a dry-run metric is marked DryRun.
// Recording for a metric the run does not have, or one already completed, does nothing.
func Record(run *v1alpha1.AnalysisRun, metric string, m v1alpha1.Measurement) {
	spec, ok := metricSpec(run, metric)
	if !ok {
		return
	}
	m.Value, m.Message = Truncate(m.Value, MaxStoredBytes), Truncate(m.Message, MaxStoredBytes)
	res := result(run, metric)
	if res == nil {
		run.Status.MetricResults = append(run.Status.MetricResults, v1alpha1.MetricResult{Name: metric})
		res = &run.Status.MetricResults[len(run.Status.MetricResults)-1]
	}
	if res.Phase.Completed() {
		return
	}
	if last := lastMeasurement(res); last != nil && last.Phase == v1alpha1.AnalysisPhaseRunning {
		res.Measurements[len(res.Measurements)-1] = m
	} else {
		res.Measurements = append(res.Measurements, m)
	}
	switch m.Phase {
	case v1alpha1.AnalysisPhaseSuccessful:
		res.Count++
		res.Successful++
		res.ConsecutiveError = 0
	case v1alpha1.AnalysisPhaseFailed:
		res.Count++
		res.Failed++
		res.ConsecutiveError = 0
	case v1alpha1.AnalysisPhaseInconclusive:
		res.Count++
		res.Inconclusive++
		res.ConsecutiveError = 0
	case v1alpha1.AnalysisPhaseError:
		res.Error++
		res.ConsecutiveError++
	}
	if keep := Retention(run, metric); len(res.Measurements) > keep {
		res.Measurements = append([]v1alpha1.Measurement(nil), res.Measurements[len(res.Measurements)-keep:]...)
	}
	res.DryRun = IsDryRun(run, metric)
	res.Phase, res.Message = MetricPhase(spec, *res, false)
}

// MetricPhase is a metric's phase from its result: Failed when failed > failureLimit,
// Inconclusive when inconclusive > inconclusiveLimit, Error when consecutiveError >
// consecutiveErrorLimit (limits whose strings do not parse are Error too), Successful once
// the effective count is reached, else Running (Pending before any measurement). A metric
// of a terminated run that reached none of its limits is Successful. The message says why,
// with the last value: "failed: value 0.12 (failureCondition met: result > 0.05); 2
// measurements failed, more than failureLimit 1".
func MetricPhase(metric v1alpha1.Metric, res v1alpha1.MetricResult, terminated bool) (v1alpha1.AnalysisPhase, string) {
	lim, err := Limits(metric)
	if err != nil {
		return v1alpha1.AnalysisPhaseError, "error: " + strings.TrimPrefix(err.Error(), "metric "+metric.Name+": ")
	}
	switch {
	case res.Failed > lim.FailureLimit:
		return v1alpha1.AnalysisPhaseFailed, fmt.Sprintf("failed: %s; %s failed, more than failureLimit %d",
			lastOf(res, v1alpha1.AnalysisPhaseFailed), plural(res.Failed, "measurement"), lim.FailureLimit)
	case res.Inconclusive > lim.InconclusiveLimit:
		return v1alpha1.AnalysisPhaseInconclusive, fmt.Sprintf("inconclusive: %s; %s inconclusive, more than inconclusiveLimit %d",
			lastOf(res, v1alpha1.AnalysisPhaseInconclusive), plural(res.Inconclusive, "measurement"), lim.InconclusiveLimit)
	case res.ConsecutiveError > lim.ConsecutiveErrorLimit:
		return v1alpha1.AnalysisPhaseError, fmt.Sprintf("error: %s; %s in a row, more than consecutiveErrorLimit %d",
			lastOf(res, v1alpha1.AnalysisPhaseError), plural(res.ConsecutiveError, "error"), lim.ConsecutiveErrorLimit)
	}
	if n := lim.EffectiveCount(); n > 0 && res.Count >= n {
		return v1alpha1.AnalysisPhaseSuccessful, fmt.Sprintf("successful: %s taken", countOf(res.Count, n))
	}
	if terminated {
		// Terminated early, a metric is only as good as what it measured: every measurement
		// an error is an Error, not a pass.
		if res.Count == 0 && res.Error > 0 {
			return v1alpha1.AnalysisPhaseError, fmt.Sprintf("error: run terminated after %s and no measurement; last: %s",
				plural(res.Error, "error"), lastOf(res, v1alpha1.AnalysisPhaseError))
		}
		return v1alpha1.AnalysisPhaseSuccessful, fmt.Sprintf("successful: run terminated after %s", countOf(res.Count, lim.EffectiveCount()))
	}
	last := lastMeasurement(&res)
	if last == nil {
		return v1alpha1.AnalysisPhasePending, ""
	}
	msg := fmt.Sprintf("%s so far", countOf(res.Count, lim.EffectiveCount()))
	switch {
	case last.Phase == v1alpha1.AnalysisPhaseRunning:
		msg += "; a measurement is running"
	case last.Phase != v1alpha1.AnalysisPhaseSuccessful:
		msg += "; last " + strings.ToLower(string(last.Phase)) + ": " + describeMeasurement(*last)
	}
	return v1alpha1.AnalysisPhaseRunning, msg
}

// lastOf describes the newest kept measurement with a phase.
func lastOf(res v1alpha1.MetricResult, phase v1alpha1.AnalysisPhase) string {
	for i := len(res.Measurements) - 1; i >= 0; i-- {
		if res.Measurements[i].Phase == phase {
			return describeMeasurement(res.Measurements[i])
		}
	}
	return "no measurement kept"
}

// describeMeasurement is "value 0.12 (failureCondition met: result > 0.05)".
func describeMeasurement(m v1alpha1.Measurement) string {
	switch {
	case m.Value != "" && m.Message != "":
		return fmt.Sprintf("value %s (%s)", ReadableValue(m.Value), m.Message)
	case m.Value != "":
		return "value " + ReadableValue(m.Value)
	case m.Message != "":
		return m.Message
	}
	return "no value"
}

func plural(n int32, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// countOf is "2 of 5 measurements" or "2 measurements" when the metric runs until the run ends.
func countOf(count, of int32) string {
	if of > 0 {
		return fmt.Sprintf("%d of %s", count, plural(of, "measurement"))
	}
	return plural(count, "measurement")
}

// severity orders phases for Assess, worst highest.
func severity(p v1alpha1.AnalysisPhase) int {
	switch p {
	case v1alpha1.AnalysisPhaseFailed:
		return 5
	case v1alpha1.AnalysisPhaseError:
		return 4
	case v1alpha1.AnalysisPhaseInconclusive:
		return 3
	case v1alpha1.AnalysisPhaseRunning, v1alpha1.AnalysisPhasePending, "":
		return 2
	}
	return 1 // Successful
}

// Assess is the run's phase from its metrics, worst first: Failed, Error, Inconclusive,
// Running, Successful; a metric that failed ends the run at once, even while others still
// measure. Dry-run metrics never make the run fail: they count as Successful once completed
// (their outcome is in the message). A terminated run whose metrics reached none of their
// limits is Successful. A run already completed keeps its phase and message. The message
// names the metric and its last value, as in "metric error-rate failed: value 0.12
// (failureCondition met: result > 0.05); 2 measurements failed, more than failureLimit 1".
// Assess does not change the run.
func Assess(run *v1alpha1.AnalysisRun) (phase v1alpha1.AnalysisPhase, message string) {
	if run.Status.Phase.Completed() {
		return run.Status.Phase, run.Status.Message
	}
	if len(run.Spec.Metrics) == 0 {
		return v1alpha1.AnalysisPhaseError, "the run has no metrics"
	}
	terminated := run.Spec.Terminate
	worst := v1alpha1.AnalysisPhaseSuccessful
	var worstMsgs, dryRun, running []string
	for _, metric := range run.Spec.Metrics {
		var res v1alpha1.MetricResult
		if r := result(run, metric.Name); r != nil {
			res = *r
		}
		p, msg := MetricPhase(metric, res, terminated)
		if IsDryRun(run, metric.Name) {
			if p.Completed() {
				if p != v1alpha1.AnalysisPhaseSuccessful {
					dryRun = append(dryRun, fmt.Sprintf("metric %s (dry run) %s", metric.Name, msg))
				}
				p = v1alpha1.AnalysisPhaseSuccessful
			}
		}
		if !p.Completed() {
			p = v1alpha1.AnalysisPhaseRunning
			running = append(running, fmt.Sprintf("%s (%s)", metric.Name, orPending(msg)))
		}
		switch s := severity(p); {
		case s > severity(worst):
			worst, worstMsgs = p, []string{fmt.Sprintf("metric %s %s", metric.Name, msg)}
		case s == severity(worst) && p != v1alpha1.AnalysisPhaseSuccessful && p != v1alpha1.AnalysisPhaseRunning:
			worstMsgs = append(worstMsgs, fmt.Sprintf("metric %s %s", metric.Name, msg))
		}
	}
	switch worst {
	case v1alpha1.AnalysisPhaseRunning:
		message = "measuring " + strings.Join(running, ", ")
	case v1alpha1.AnalysisPhaseSuccessful:
		message = fmt.Sprintf("%s successful", plural(int32(len(run.Spec.Metrics)), "metric"))
		if len(run.Spec.Metrics) == 1 {
			message = "metric " + run.Spec.Metrics[0].Name + " successful"
		}
		if terminated {
			message = "terminated with nothing failed: " + message
		}
	default:
		message = strings.Join(worstMsgs, "; ")
		if terminated {
			message = "terminated: " + message
		}
	}
	if len(dryRun) > 0 {
		message += "; " + strings.Join(dryRun, "; ")
	}
	return worst, message
}

func orPending(msg string) string {
	if msg == "" {
		return "waiting for its first measurement"
	}
	return msg
}
