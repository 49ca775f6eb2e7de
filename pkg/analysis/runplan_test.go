package analysis

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/testenv/golden"
)

// runDriver plays the AnalysisRun reconciler around PlanRun: the calls a pass starts end
// before the next pass (a wake 50ms later) with the metric's scripted answers; with nothing
// in flight the next pass comes when the plan asks. Each pass is one line of the sequence.
type runDriver struct {
	t        *testing.T
	run      *v1alpha1.AnalysisRun
	script   map[string][]Result
	answered map[string]int
	inflight map[string]time.Time // metric -> its call's began
	noSlot   int                  // how many starts find no free slot
	in       RunObserved          // args of every pass
	out      strings.Builder
}

func newRunDriver(t *testing.T, run *v1alpha1.AnalysisRun, script map[string][]Result) *runDriver {
	run.Status = v1alpha1.AnalysisRunStatus{}
	return &runDriver{t: t, run: run, script: script, answered: map[string]int{}, inflight: map[string]time.Time{}}
}

// pass plans the run at now, applies the plan as the controller does and returns it.
func (d *runDriver) pass(now time.Time) RunPlan {
	d.t.Helper()
	in := d.in
	in.Run, in.Now, in.Ended, in.Running = d.run.DeepCopy(), now, map[string]Call{}, map[string]bool{}
	for name, began := range d.inflight {
		answers := d.script[name]
		if d.answered[name] >= len(answers) {
			d.t.Fatalf("at %s: metric %s asked %d times, its script has %d answers", now.Sub(t0), name, d.answered[name]+1, len(answers))
		}
		in.Ended[name] = Call{Began: began, Elapsed: 50 * time.Millisecond, Result: answers[d.answered[name]]}
		d.answered[name]++
	}
	d.inflight = map[string]time.Time{}
	before := in.Run.DeepCopy()
	p := PlanRun(in)
	if in.Run.Status.Phase != before.Status.Phase || len(in.Run.Status.MetricResults) != len(before.Status.MetricResults) {
		d.t.Fatalf("PlanRun changed the observed run")
	}
	d.run.Status = p.Status
	var started []string
	for _, c := range p.Start {
		if d.noSlot > 0 {
			d.noSlot--
			started = append(started, c.Metric.Name+"(no slot)")
			continue
		}
		d.inflight[c.Metric.Name] = c.Began
		started = append(started, c.Metric.Name)
	}
	d.line(now, p, started)
	return p
}

// runUntilEnded passes until the run ended (or 40 passes), following the plan's requeue or,
// with calls in flight, their wake.
func (d *runDriver) runUntilEnded(now time.Time) time.Time {
	for range 40 {
		p := d.pass(now)
		switch {
		case p.Ended:
			return now
		case len(d.inflight) > 0:
			now = now.Add(50 * time.Millisecond)
		case p.RequeueAfter > 0:
			now = now.Add(p.RequeueAfter)
		default:
			return now
		}
	}
	d.t.Fatal("the run did not end within 40 passes")
	return now
}

func (d *runDriver) line(now time.Time, p RunPlan, started []string) {
	fmt.Fprintf(&d.out, "%8s  %-11s %s\n", now.Sub(t0), p.Status.Phase, p.Status.Message)
	var parts []string
	for _, n := range p.Notes {
		kind := "note"
		if n.Warning {
			kind = "warn"
		}
		parts = append(parts, fmt.Sprintf("%s %s: %s", kind, n.Reason, n.Message))
	}
	if len(started) > 0 {
		parts = append(parts, "start "+strings.Join(started, ", "))
	}
	for _, s := range p.Stop {
		parts = append(parts, fmt.Sprintf("stop %s %v", s.Metric.Name, s.Prev.Metadata))
	}
	if p.Ended {
		parts = append(parts, "ended")
	} else if p.RequeueAfter > 0 {
		parts = append(parts, "requeue "+p.RequeueAfter.String())
	}
	var measured []string
	for _, m := range p.Measured {
		measured = append(measured, fmt.Sprintf("%s=%s", m.Provider, m.Phase))
	}
	sort.Strings(measured)
	if len(measured) > 0 {
		parts = append(parts, "measured "+strings.Join(measured, " "))
	}
	for _, part := range parts {
		fmt.Fprintf(&d.out, "            | %s\n", part)
	}
}

func promMetric(name string) v1alpha1.Metric {
	return v1alpha1.Metric{Name: name, Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Address: "http://prometheus:9090", Query: "q"}}}
}

func smokeJob(name string) v1alpha1.Metric {
	return v1alpha1.Metric{Name: name, Provider: v1alpha1.MetricProvider{Job: &v1alpha1.JobMetric{}}}
}

// The run planner's sequences: each scenario's passes, with the status, timeline notes, calls
// started and stopped, and requeue of each.
func TestRunPlanSequences(t *testing.T) {
	job := map[string]string{"job-name": "run-smoke-1"}
	for _, s := range []struct {
		name   string
		run    func() *v1alpha1.AnalysisRun
		script map[string][]Result
		setup  func(d *runDriver)
		drive  func(d *runDriver)
	}{{
		name: "count-interval-success",
		run: func() *v1alpha1.AnalysisRun {
			m := promMetric("error-rate")
			m.Interval, m.Count, m.SuccessCondition = "10s", ios(3), "result < 0.05"
			return newRun(m)
		},
		script: map[string][]Result{"error-rate": {value(0.01), value(0.02), value(0.03)}},
	}, {
		name: "failure-limit-fails-and-stops-the-job",
		run: func() *v1alpha1.AnalysisRun {
			m := promMetric("error-rate")
			m.Interval, m.Count, m.FailureLimit, m.SuccessCondition = "10s", ios(5), ios(1), "result < 0.05"
			return newRun(m, smokeJob("smoke"))
		},
		script: map[string][]Result{
			"error-rate": {value(0.01), value(0.2), value(0.3)},
			"smoke":      {{Running: true, Metadata: job, Message: "Job run-smoke-1 created"}, {Running: true, Metadata: job}, {Running: true, Metadata: job}, {Running: true, Metadata: job}, {Running: true, Metadata: job}, {Running: true, Metadata: job}},
		},
	}, {
		name: "missing-arg-errors-at-once",
		run:  func() *v1alpha1.AnalysisRun { return newRun(promMetric("error-rate")) },
		setup: func(d *runDriver) {
			d.in.ArgsErr = errors.New("arg service-name has no value: set it in the Rollout's analysis args")
		},
	}, {
		name: "terminated-mid-run-stops-the-job",
		run: func() *v1alpha1.AnalysisRun {
			m := promMetric("error-rate")
			m.Interval, m.SuccessCondition = "10s", "result < 0.05"
			return newRun(m, smokeJob("smoke"))
		},
		script: map[string][]Result{
			"error-rate": {value(0.01), value(0.02)},
			"smoke":      {{Running: true, Metadata: job}, {Running: true, Metadata: job}, {Running: true, Metadata: job}},
		},
		drive: func(d *runDriver) {
			now := t0
			for _, step := range []time.Duration{50 * time.Millisecond, 10 * time.Second, 50 * time.Millisecond} {
				d.pass(now)
				now = now.Add(step)
			}
			d.run.Spec.Terminate = true // the Rollout was promoted: background analysis ends
			d.runUntilEnded(now)
		},
	}, {
		name: "no-free-slot-polls",
		run: func() *v1alpha1.AnalysisRun {
			m := promMetric("error-rate")
			m.Count, m.SuccessCondition = ios(1), "result < 0.05"
			return newRun(m)
		},
		script: map[string][]Result{"error-rate": {value(0.01)}},
		setup:  func(d *runDriver) { d.noSlot = 2 },
	}, {
		name: "secret-values-redacted",
		run: func() *v1alpha1.AnalysisRun {
			m := promMetric("error-rate")
			m.Count, m.ConsecutiveErrorLimit = ios(2), ios(0)
			return newRun(m)
		},
		script: map[string][]Result{"error-rate": {{Err: errors.New("401 Unauthorized for token s3cr3t-t0ken"), Text: "s3cr3t-t0ken"}}},
		setup:  func(d *runDriver) { d.in.Secrets = []string{"s3cr3t-t0ken"} },
	}} {
		t.Run(s.name, func(t *testing.T) {
			d := newRunDriver(t, s.run(), s.script)
			if s.setup != nil {
				s.setup(d)
			}
			if s.drive != nil {
				s.drive(d)
			} else {
				d.runUntilEnded(t0)
			}
			if strings.Contains(d.out.String(), "s3cr3t") || strings.Contains(fmt.Sprint(d.run.Status), "s3cr3t") {
				t.Errorf("a secret value reached the status or the timeline:\n%s", d.out.String())
			}
			golden.Assert(t, "runs/"+s.name+".txt", []byte(d.out.String()))
		})
	}
}

// A completed run with a measurement still running (a crash between the status write and the
// Job's deletion) is stopped again, and a run being deleted is left alone.
func TestRunPlanStopsAgainAfterACrash(t *testing.T) {
	run := newRun(smokeJob("smoke"))
	run.Status.Phase = v1alpha1.AnalysisPhaseFailed
	run.Status.MetricResults = []v1alpha1.MetricResult{{Name: "smoke", Phase: running, Measurements: []v1alpha1.Measurement{{Phase: running, StartedAt: mt(t0), Metadata: map[string]string{"job-name": "j"}}}}}
	p := PlanRun(RunObserved{Run: run, Now: at(time.Minute)})
	if !p.Ended || len(p.Stop) != 1 || p.Stop[0].Prev.Metadata["job-name"] != "j" || len(p.Start) != 0 || len(p.Notes) != 0 {
		t.Errorf("completed run: %+v, want it ended, its Job stopped, nothing started or noted", p)
	}
	run.DeletionTimestamp = mt(t0)
	run.Status.Phase = running
	if p := PlanRun(RunObserved{Run: run, Now: at(time.Minute)}); !p.Ended || len(p.Stop) != 0 || len(p.Start) != 0 {
		t.Errorf("run being deleted: %+v, want it ended with nothing to do (its Jobs go with it)", p)
	}
}

// The ReconcileError condition goes with the first plan that records something new, and stays
// through a pass with nothing new to write.
func TestRunPlanClearsTheReconcileErrorOnlyWithSomethingNew(t *testing.T) {
	m := promMetric("error-rate")
	m.Interval, m.Count = "10s", ios(3)
	run := newRun(m)
	run.Status = PlanRun(RunObserved{Run: run, Now: t0}).Status // started; its call was refused a slot
	run.Status.Conditions = []metav1.Condition{{Type: v1alpha1.ConditionReconcileError, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonReconcileFailed, Message: "refused"}}
	p := PlanRun(RunObserved{Run: run, Now: t0})
	if len(p.Status.Conditions) != 1 || len(p.Start) != 1 {
		t.Fatalf("a pass that only starts a call: conditions %v, start %d; want the condition kept and one call", p.Status.Conditions, len(p.Start))
	}
	p = PlanRun(RunObserved{Run: run, Now: t0, Ended: map[string]Call{"error-rate": {Began: t0, Result: value(0.01)}}})
	if len(p.Status.Conditions) != 0 || len(p.Notes) == 0 || p.Notes[len(p.Notes)-1].Reason != v1alpha1.ReasonReconcileRecovered {
		t.Errorf("a pass that records a measurement: conditions %v, notes %v; want the condition gone and a ReconcileRecovered note", p.Status.Conditions, p.Notes)
	}
}
