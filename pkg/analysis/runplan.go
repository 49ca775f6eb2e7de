package analysis

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/note"
)

// PollWhileWaiting is how soon a run looks again while a due measurement waits for a free
// call slot; a call in flight wakes its run when it ends.
const PollWhileWaiting = time.Second

// RunObserved is what the AnalysisRun reconciler saw in one pass: the run, the time, its args
// resolved (secret values only in memory), and the provider calls of its metrics that ended
// since the last pass or still run.
type RunObserved struct {
	Run *v1alpha1.AnalysisRun
	Now time.Time
	// Args are the run's args resolved, Secrets the values of its secretKeyRef args (to redact);
	// ArgsErr is why they could not be.
	Args    map[string]string
	Secrets []string
	ArgsErr error
	// Ended are the calls that ended, by metric; Running the metrics with a call in flight.
	Ended   map[string]Call
	Running map[string]bool
}

// Call is one ended provider call: when its measurement began and what it returned.
type Call struct {
	Began   time.Time
	Elapsed time.Duration
	Result  Result
}

// RunPlan is what the pass does: the run's new status, its timeline notes, the provider calls
// to start and, once the run ended, the measurements to stop.
type RunPlan struct {
	Status v1alpha1.AnalysisRunStatus
	Notes  []note.Note
	// Start are the calls to start: metrics due with no call in flight. Their Metric has the
	// args filled in (secret values too): it lives only in memory, never in a write.
	Start []CallStart
	// Stop are the measurements still running in a run that ended (a Job to delete).
	Stop []CallStart
	// Measured are the measurements taken, for the controller's metrics.
	Measured []Measured
	// Ended: the run is over (or gone); nothing of it is in flight any more.
	Ended bool
	// RequeueAfter is when the next measurement is due; 0: never.
	RequeueAfter time.Duration
}

// CallStart is one metric to measure (or stop) and its measurement still running, if any.
type CallStart struct {
	Metric v1alpha1.Metric
	Prev   *v1alpha1.Measurement
	Began  time.Time
}

// Measured is one measurement taken.
type Measured struct {
	Provider string
	Phase    v1alpha1.AnalysisPhase
	Seconds  float64
}

// Live: the run still measures (not completed, not being deleted). Only a live run's args are
// resolved, so an ended run reads no Secret.
func Live(run *v1alpha1.AnalysisRun) bool {
	return !run.Status.Phase.Completed() && run.DeletionTimestamp.IsZero()
}

// PlanRun is the AnalysisRun planner: it starts the run, fills its args in, checks its
// conditions, records every call that ended for a due metric, starts the calls due, assesses
// the phase and says when to look again. An arg without a value or a condition that does not
// compile ends the run as Error at once.
func PlanRun(in RunObserved) (p RunPlan) {
	run := in.Run
	p = RunPlan{Status: *run.Status.DeepCopy()}
	if !Live(run) {
		p.Ended = true
		if run.DeletionTimestamp.IsZero() {
			p.Stop = stops(run) // again after a crash between the write and the stop
		}
		return p
	}
	defer clearRunReconcileError(run, &p)
	st := &p.Status
	if st.StartedAt == nil {
		st.StartedAt = &metav1.Time{Time: in.Now}
		st.Phase = v1alpha1.AnalysisPhaseRunning
	}
	resolved, conds, err := prepareRun(run, in)
	if err != nil {
		st.Phase, st.Message = v1alpha1.AnalysisPhaseError, Redact(err.Error(), in.Secrets)
	} else {
		resolved.Status = *st
		if !run.Spec.Terminate {
			p.measure(in, resolved, conds)
		}
		*st = resolved.Status
		st.Phase, st.Message = Assess(resolved)
	}
	if st.Phase != run.Status.Phase {
		p.Notes = append(p.Notes, note.Note{Reason: v1alpha1.ReasonRunPhase, Message: fmt.Sprintf("AnalysisRun %s %s: %s", run.Name, st.Phase, st.Message),
			Warning: st.Phase == v1alpha1.AnalysisPhaseFailed || st.Phase == v1alpha1.AnalysisPhaseError})
	}
	if st.Phase.Completed() {
		p.Ended, p.Start, p.Stop = true, nil, stops(withStatus(run, *st))
		return p
	}
	if resolved == nil {
		return p
	}
	if _, next := Due(resolved, in.Now); !next.IsZero() {
		p.RequeueAfter = max(next.Sub(in.Now), 10*time.Millisecond)
		if len(p.Start) > 0 || len(in.Running) > 0 {
			p.RequeueAfter = max(p.RequeueAfter, PollWhileWaiting)
		}
	}
	return p
}

// stops are the run's measurements still running, to stop once it ended.
func stops(run *v1alpha1.AnalysisRun) []CallStart {
	var out []CallStart
	for _, m := range run.Spec.Metrics {
		if prev := RunningMeasurement(run, m.Name); prev != nil {
			out = append(out, CallStart{Metric: m, Prev: prev})
		}
	}
	return out
}

func withStatus(run *v1alpha1.AnalysisRun, st v1alpha1.AnalysisRunStatus) *v1alpha1.AnalysisRun {
	out := run.DeepCopy()
	out.Status = st
	return out
}

// prepareRun is the run with its metrics' args filled in, and their compiled conditions.
func prepareRun(run *v1alpha1.AnalysisRun, in RunObserved) (*v1alpha1.AnalysisRun, map[string][2]*Condition, error) {
	if in.ArgsErr != nil {
		return nil, nil, in.ArgsErr
	}
	resolved := run.DeepCopy()
	conds := map[string][2]*Condition{}
	secretArgs := SecretArgs(run.Spec.Args)
	for i, m := range run.Spec.Metrics {
		var pair [2]*Condition
		m, err := JobSecretsByReference(m, secretArgs)
		if err != nil {
			return nil, nil, err
		}
		if resolved.Spec.Metrics[i], pair[0], pair[1], err = Prepare(m, in.Args); err != nil {
			return nil, nil, err
		}
		// Counts, limits and durations written as {{args.name}} are known only now.
		if _, err := Limits(resolved.Spec.Metrics[i]); err != nil {
			return nil, nil, err
		}
		conds[m.Name] = pair
	}
	return resolved, conds, nil
}

// measure records each ended call of a due metric into resolved and asks for a call for each
// due metric with none in flight.
func (p *RunPlan) measure(in RunObserved, resolved *v1alpha1.AnalysisRun, conds map[string][2]*Condition) {
	due, _ := Due(resolved, in.Now)
	for _, name := range due {
		metric, _ := metricSpec(resolved, name)
		c, ended := in.Ended[name]
		if !ended {
			if !in.Running[name] {
				prev := RunningMeasurement(resolved, name)
				began := in.Now
				if prev != nil && prev.StartedAt != nil {
					began = prev.StartedAt.Time
				}
				p.Start = append(p.Start, CallStart{Metric: metric, Prev: prev, Began: began})
			}
			continue
		}
		m := judgeCall(metric, conds[name], in.Secrets, c, in.Now)
		Record(resolved, name, m)
		if m.Phase == v1alpha1.AnalysisPhaseRunning {
			continue
		}
		p.Measured = append(p.Measured, Measured{Provider: ProviderType(metric), Phase: m.Phase, Seconds: c.Elapsed.Seconds()})
		p.Notes = append(p.Notes, note.Note{Reason: v1alpha1.ReasonMeasurement, Warning: m.Phase != v1alpha1.AnalysisPhaseSuccessful,
			Message: fmt.Sprintf("AnalysisRun %s metric %s: %s, value %s%s", in.Run.Name, name, m.Phase, orDash(ReadableValue(m.Value)), inParens(m.Message))})
	}
}

// judgeCall turns an ended call into the measurement the run records.
func judgeCall(metric v1alpha1.Metric, conds [2]*Condition, secrets []string, c Call, now time.Time) v1alpha1.Measurement {
	m := v1alpha1.Measurement{StartedAt: &metav1.Time{Time: c.Began}}
	phase, message := Judge(metric, conds[0], conds[1], c.Result)
	m.Phase, m.Message = phase, Redact(message, secrets)
	m.Value, m.Metadata = Redact(c.Result.Text, secrets), c.Result.Metadata
	if m.Phase != v1alpha1.AnalysisPhaseRunning {
		m.FinishedAt = &metav1.Time{Time: now}
	}
	return m
}

// RunningMeasurement is the metric's last measurement while it is still Running (a Job that
// has not ended), else nil.
func RunningMeasurement(run *v1alpha1.AnalysisRun, metric string) *v1alpha1.Measurement {
	if last := lastMeasurement(result(run, metric)); last != nil && last.Phase == v1alpha1.AnalysisPhaseRunning {
		m := *last
		return &m
	}
	return nil
}

// ProviderType names the metric's provider: prometheus, web or job ("" for none).
func ProviderType(m v1alpha1.Metric) string {
	switch p := m.Provider; {
	case p.Prometheus != nil:
		return "prometheus"
	case p.Web != nil:
		return "web"
	case p.Job != nil:
		return "job"
	}
	return ""
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func inParens(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}
