package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/analysis"
	"github.com/ramp-dev/ramp/pkg/metrics"
	"github.com/ramp-dev/ramp/pkg/plan"
	"github.com/ramp-dev/ramp/pkg/timeline"
)

// +kubebuilder:rbac:groups=rollouts.ramp.dev,resources=analysisruns,verbs=get;list;watch
// +kubebuilder:rbac:groups=rollouts.ramp.dev,resources=analysisruns/status,verbs=get;patch
// +kubebuilder:rbac:groups=rollouts.ramp.dev,resources=analysisruns/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get
// +kubebuilder:rbac:groups=batch,resources=jobs,verbs=get;list;watch;create;delete

// AnalysisRunReconciler measures AnalysisRuns: when a metric is due it asks the metric's
// provider, judges the value with the metric's conditions, records the measurement and sets
// the run's phase, then comes back exactly when the next measurement is due.
type AnalysisRunReconciler struct {
	client.Client
	// APIReader reads Secrets for secretKeyRef args when measuring: never cached, never stored.
	APIReader client.Reader
	Clock     clock.PassiveClock
	Providers map[string]analysis.Provider
	Timeline  timeline.Recorder
	// Workers is how many runs are reconciled at once (DefaultAnalysisWorkers when 0); the
	// provider calls themselves run off the workers.
	Workers int

	inflight *inflight
}

// Reconcile measures what is due in one AnalysisRun.
func (r *AnalysisRunReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	run := &v1alpha1.AnalysisRun{}
	if err := r.Get(ctx, req.NamespacedName, run); err != nil {
		if apierrors.IsNotFound(err) {
			r.inflight.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if run.Status.Phase.Completed() || !run.DeletionTimestamp.IsZero() {
		r.inflight.forget(req.NamespacedName)
		return ctrl.Result{}, nil
	}
	work := run.DeepCopy()
	resolved, notes, taken, waiting := r.measure(ctx, work)
	phase, message := work.Status.Phase, work.Status.Message // ended before measuring
	if resolved != nil {
		phase, message = analysis.Assess(resolved)
	}
	if phase != run.Status.Phase {
		notes = append(notes, plan.Note{Reason: v1alpha1.ReasonRunPhase, Message: fmt.Sprintf("AnalysisRun %s %s: %s", run.Name, phase, message),
			Warning: phase == v1alpha1.AnalysisPhaseFailed || phase == v1alpha1.AnalysisPhaseError})
	}
	work.Status.Phase, work.Status.Message = phase, message
	if phase.Completed() {
		r.inflight.forget(req.NamespacedName)
		r.terminate(ctx, work)
	}
	if !equality.Semantic.DeepEqual(run.Status, work.Status) {
		err := r.Status().Patch(ctx, work, client.MergeFromWithOptions(run, client.MergeFromWithOptimisticLock{}), client.FieldOwner(fieldManager))
		if apierrors.IsConflict(err) {
			// Measured from a cached run older than our own last write: its watch event brings
			// the newer one; what was measured here is dropped, not recorded twice.
			log.FromContext(ctx).V(1).Info("analysisrun changed meanwhile, measuring again")
			return ctrl.Result{}, nil
		}
		if err != nil {
			return ctrl.Result{}, fmt.Errorf("patch status of analysisrun %s/%s: %w", run.Namespace, run.Name, err)
		}
	}
	r.Timeline.RecordRun(work, notes)
	for _, m := range taken {
		metrics.Measurements.WithLabelValues(m.provider, string(m.phase)).Inc()
		metrics.MeasurementSeconds.WithLabelValues(m.provider).Observe(m.seconds)
	}
	if phase.Completed() {
		metrics.Runs.WithLabelValues(string(phase)).Inc()
	}
	if phase.Completed() || resolved == nil {
		return ctrl.Result{}, nil
	}
	resolved.Status = work.Status
	_, next := analysis.Due(resolved, r.Clock.Now())
	if next.IsZero() {
		return ctrl.Result{}, nil
	}
	if waiting {
		// A call in flight wakes the run when it ends; the poll is for a call that found no
		// free slot.
		return ctrl.Result{RequeueAfter: max(time.Until(next), inflightPollWhileBusy)}, nil
	}
	return ctrl.Result{RequeueAfter: max(time.Until(next), 10*time.Millisecond)}, nil
}

// measure starts the run, fills its args in, checks its conditions, and takes every
// measurement due. An arg without a value or a condition that does not compile ends the run as
// Error at once. The metrics with their args filled in live only in memory: Secret values
// never reach the run's spec or status.
func (r *AnalysisRunReconciler) measure(ctx context.Context, run *v1alpha1.AnalysisRun) (resolved *v1alpha1.AnalysisRun, notes []plan.Note, taken []measured, waiting bool) {
	now := r.Clock.Now()
	if run.Status.StartedAt == nil {
		run.Status.StartedAt = &metav1.Time{Time: now}
		run.Status.Phase = v1alpha1.AnalysisPhaseRunning
	}
	args, secrets, err := analysis.ResolveArgs(nil, run.Spec.Args, r.lookup(ctx, run.Namespace))
	if err != nil {
		return nil, r.fail(run, analysis.Redact(err.Error(), secrets)), nil, false
	}
	resolved = run.DeepCopy() // shares nothing with run; its status is copied back below
	conds := map[string][2]*analysis.Condition{}
	secretArgs := analysis.SecretArgs(run.Spec.Args)
	for i, m := range run.Spec.Metrics {
		var pair [2]*analysis.Condition
		if m, err = analysis.JobSecretsByReference(m, secretArgs); err != nil {
			return nil, r.fail(run, err.Error()), nil, false
		}
		if resolved.Spec.Metrics[i], pair[0], pair[1], err = analysis.Prepare(m, args); err != nil {
			return nil, r.fail(run, analysis.Redact(err.Error(), secrets)), nil, false
		}
		// Counts, limits and durations written as {{args.name}} are known only now.
		if _, err := analysis.Limits(resolved.Spec.Metrics[i]); err != nil {
			return nil, r.fail(run, analysis.Redact(err.Error(), secrets)), nil, false
		}
		conds[m.Name] = pair
	}
	if run.Spec.Terminate {
		return resolved, nil, nil, false
	}
	due, _ := analysis.Due(resolved, now)
	for _, name := range due {
		metric := metricNamed(resolved, name)
		c, ended, running := r.inflight.take(resolved, name)
		if !ended {
			if !running {
				r.startCall(resolved, metric)
			}
			waiting = true
			continue
		}
		m := r.judge(resolved, metric, conds[name], secrets, c)
		analysis.Record(resolved, name, m)
		if m.Phase != v1alpha1.AnalysisPhaseRunning {
			taken = append(taken, measured{provider: providerType(metric), phase: m.Phase, seconds: c.elapsed.Seconds()})
			notes = append(notes, plan.Note{Reason: v1alpha1.ReasonMeasurement, Warning: m.Phase != v1alpha1.AnalysisPhaseSuccessful,
				Message: fmt.Sprintf("AnalysisRun %s metric %s: %s, value %s%s", run.Name, name, m.Phase, orDash(analysis.ReadableValue(m.Value)), suffix(m.Message))})
		}
	}
	run.Status = resolved.Status
	return resolved, notes, taken, waiting
}

// measured is one measurement taken, for the metrics once its status is written.
type measured struct {
	provider string
	phase    v1alpha1.AnalysisPhase
	seconds  float64
}

// startCall asks the metric's provider for one measurement in the background (inflight):
// the reconcile that finds it ended judges it. Without a free slot it is asked on a later pass.
func (r *AnalysisRunReconciler) startCall(run *v1alpha1.AnalysisRun, metric v1alpha1.Metric) {
	began := r.Clock.Now()
	prev := runningMeasurement(run, metric.Name)
	if prev != nil && prev.StartedAt != nil {
		began = prev.StartedAt.Time
	}
	provider := r.Providers[providerType(metric)]
	own := run.DeepCopy() // the call reads it while this reconcile goes on
	r.inflight.start(run, metric.Name, began, func(ctx context.Context) analysis.Result {
		if provider == nil {
			return analysis.Result{Err: errors.New("no provider for this metric: set one of prometheus, web, job")}
		}
		return provider.Measure(ctx, own, metric, prev)
	})
}

// judge turns an ended call into the measurement the run records.
func (r *AnalysisRunReconciler) judge(run *v1alpha1.AnalysisRun, metric v1alpha1.Metric, conds [2]*analysis.Condition, secrets []string, c call) v1alpha1.Measurement {
	start := metav1.NewTime(c.began)
	m := v1alpha1.Measurement{StartedAt: &start}
	phase, message := analysis.Judge(metric, conds[0], conds[1], c.res)
	m.Phase, m.Message = phase, analysis.Redact(message, secrets)
	m.Value, m.Metadata = analysis.Redact(c.res.Text, secrets), c.res.Metadata
	if m.Phase != v1alpha1.AnalysisPhaseRunning {
		m.FinishedAt = &metav1.Time{Time: r.Clock.Now()}
	}
	return m
}

// fail ends the run as Error with a message, before any measurement.
func (r *AnalysisRunReconciler) fail(run *v1alpha1.AnalysisRun, message string) []plan.Note {
	run.Status.Phase, run.Status.Message = v1alpha1.AnalysisPhaseError, message
	return nil
}

// terminate stops what providers still run for a run that ended (a Job).
func (r *AnalysisRunReconciler) terminate(ctx context.Context, run *v1alpha1.AnalysisRun) {
	for _, metric := range run.Spec.Metrics {
		prev := runningMeasurement(run, metric.Name)
		t, ok := r.Providers[providerType(metric)].(analysis.Terminator)
		if prev == nil || !ok {
			continue
		}
		if err := t.Terminate(ctx, run, metric, prev); err != nil {
			r.Timeline.Log.Error(err, "terminate measurement", "analysisrun", run.Namespace+"/"+run.Name, "metric", metric.Name)
		}
	}
}

// lookup resolves secretKeyRef args from the API server, without a cache.
func (r *AnalysisRunReconciler) lookup(ctx context.Context, ns string) func(v1alpha1.ValueFrom) (string, error) {
	return func(from v1alpha1.ValueFrom) (string, error) {
		ref := from.SecretKeyRef
		if ref == nil {
			return "", fmt.Errorf("only secretKeyRef args are resolved when measuring")
		}
		secret := &corev1.Secret{}
		if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: ns, Name: ref.Name}, secret); err != nil {
			return "", fmt.Errorf("secret %s/%s: %w", ns, ref.Name, err)
		}
		v, ok := secret.Data[ref.Key]
		if !ok {
			return "", fmt.Errorf("secret %s/%s has no key %q", ns, ref.Name, ref.Key)
		}
		return string(v), nil
	}
}

func metricNamed(run *v1alpha1.AnalysisRun, name string) v1alpha1.Metric {
	for _, m := range run.Spec.Metrics {
		if m.Name == name {
			return m
		}
	}
	return v1alpha1.Metric{Name: name}
}

func runningMeasurement(run *v1alpha1.AnalysisRun, metric string) *v1alpha1.Measurement {
	for _, res := range run.Status.MetricResults {
		if res.Name == metric && len(res.Measurements) > 0 {
			if last := res.Measurements[len(res.Measurements)-1]; last.Phase == v1alpha1.AnalysisPhaseRunning {
				return &last
			}
		}
	}
	return nil
}

func providerType(m v1alpha1.Metric) string {
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

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// SetupWithManager registers the reconciler for AnalysisRuns and the Jobs they own.
func (r *AnalysisRunReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.inflight == nil {
		r.inflight = newInflight()
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.AnalysisRun{}).
		Owns(&batchv1.Job{}).
		WatchesRawSource(source.Channel(r.inflight.wake, &handler.EnqueueRequestForObject{})).
		Named("analysisrun").
		WithOptions(controller.Options{MaxConcurrentReconciles: Options{AnalysisWorkers: r.Workers}.analysisWorkers()}).
		Complete(r)
}
