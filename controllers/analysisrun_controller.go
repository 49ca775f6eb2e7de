package controllers

import (
	"context"
	"errors"
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
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
	"github.com/ramp-dev/ramp/pkg/note"
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
	failures failureCounts[types.NamespacedName]
}

// Reconcile measures what is due in one AnalysisRun. A pass that fails often enough in a row
// says so in the run's status (analysis.RunReconcileFailed) before the error is retried.
func (r *AnalysisRunReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	run := &v1alpha1.AnalysisRun{}
	if err := r.Get(ctx, req.NamespacedName, run); err != nil {
		if apierrors.IsNotFound(err) {
			r.inflight.forget(req.NamespacedName)
			r.failures.succeeded(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	res, wrote, err := r.reconcile(ctx, run)
	if err != nil {
		r.reportFailure(ctx, run, err)
		return ctrl.Result{}, err
	}
	if wrote {
		// Only a status write that went through ends a run of failures: the passes between
		// two refused measurements (starting the next call) write nothing.
		r.failures.succeeded(req.NamespacedName)
	}
	return res, nil
}

// reconcile is one pass: observe (the run, its args, the calls that ended), plan
// (analysis.PlanRun), apply (start calls, patch the status, stop calls of an ended run).
func (r *AnalysisRunReconciler) reconcile(ctx context.Context, run *v1alpha1.AnalysisRun) (res ctrl.Result, wrote bool, err error) {
	p := analysis.PlanRun(r.observeRun(ctx, run))
	if p.Ended {
		r.inflight.forget(client.ObjectKeyFromObject(run))
	}
	for _, c := range p.Start {
		r.startCall(run, c)
	}
	wrote = !equality.Semantic.DeepEqual(run.Status, p.Status)
	if written, err := r.writeRunStatus(ctx, run, p.Status); err != nil || !written {
		return ctrl.Result{}, false, err
	}
	r.stopCalls(ctx, run, p.Stop)
	r.Timeline.RecordRun(withStatus(run, p.Status), p.Notes)
	for _, m := range p.Measured {
		metrics.Measurements.WithLabelValues(m.Provider, string(m.Phase)).Inc()
		metrics.MeasurementSeconds.WithLabelValues(m.Provider).Observe(m.Seconds)
	}
	if p.Status.Phase.Completed() && !run.Status.Phase.Completed() {
		metrics.Runs.WithLabelValues(string(p.Status.Phase)).Inc()
	}
	return ctrl.Result{RequeueAfter: p.RequeueAfter}, wrote, nil
}

// reportFailure counts a failed pass and, once analysis.RunReconcileFailed says so, writes the
// error into the run's status; that write failing too is only logged.
func (r *AnalysisRunReconciler) reportFailure(ctx context.Context, run *v1alpha1.AnalysisRun, cause error) {
	st, n, ok := analysis.RunReconcileFailed(run, r.failures.failed(client.ObjectKeyFromObject(run)), cause, r.Clock.Now())
	if !ok {
		return
	}
	if _, err := r.writeRunStatus(ctx, run, st); err != nil {
		log.FromContext(ctx).V(1).Info("could not report the failure in status", "error", err.Error())
		return
	}
	r.Timeline.RecordRun(withStatus(run, st), []note.Note{n})
}

// observeRun reads what the planner needs beyond the run: its args (Secrets read from the API
// server, for a live run only) and the calls of its metrics that ended or still run.
func (r *AnalysisRunReconciler) observeRun(ctx context.Context, run *v1alpha1.AnalysisRun) analysis.RunObserved {
	in := analysis.RunObserved{Run: run, Now: r.Clock.Now(), Ended: map[string]analysis.Call{}, Running: map[string]bool{}}
	if !analysis.Live(run) {
		return in
	}
	in.Args, in.Secrets, in.ArgsErr = analysis.ResolveArgs(nil, run.Spec.Args, r.lookup(ctx, run.Namespace))
	for _, m := range run.Spec.Metrics {
		c, ended, running := r.inflight.take(run, m.Name)
		switch {
		case ended:
			in.Ended[m.Name] = analysis.Call{Began: c.began, Elapsed: c.elapsed, Result: c.res}
		case running:
			in.Running[m.Name] = true
		}
	}
	return in
}

// writeRunStatus patches the run's status when it changed. written is false, with no error,
// when the run changed meanwhile: its watch event brings the newer one, and what was measured
// here is dropped, not recorded twice.
func (r *AnalysisRunReconciler) writeRunStatus(ctx context.Context, run *v1alpha1.AnalysisRun, status v1alpha1.AnalysisRunStatus) (written bool, err error) {
	if equality.Semantic.DeepEqual(run.Status, status) {
		return true, nil
	}
	err = r.Status().Patch(ctx, withStatus(run, status), client.MergeFromWithOptions(run, client.MergeFromWithOptimisticLock{}), client.FieldOwner(fieldManager))
	if apierrors.IsConflict(err) {
		log.FromContext(ctx).V(1).Info("analysisrun changed meanwhile, measuring again")
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("patch status of analysisrun %s/%s: %w", run.Namespace, run.Name, err)
	}
	return true, nil
}

func withStatus(run *v1alpha1.AnalysisRun, status v1alpha1.AnalysisRunStatus) *v1alpha1.AnalysisRun {
	out := run.DeepCopy()
	out.Status = status
	return out
}

// startCall asks the metric's provider for one measurement in the background (inflight):
// the reconcile that finds it ended judges it. Without a free slot it is asked on a later pass.
func (r *AnalysisRunReconciler) startCall(run *v1alpha1.AnalysisRun, c analysis.CallStart) {
	provider := r.Providers[analysis.ProviderType(c.Metric)]
	own := run.DeepCopy() // the call reads it while this reconcile goes on
	r.inflight.start(run, c.Metric.Name, c.Began, func(ctx context.Context) analysis.Result {
		if provider == nil {
			return analysis.Result{Err: errors.New("no provider for this metric: set one of prometheus, web, job")}
		}
		return provider.Measure(ctx, own, c.Metric, c.Prev)
	})
}

// stopCalls stops what providers still run for a run that ended (a Job).
func (r *AnalysisRunReconciler) stopCalls(ctx context.Context, run *v1alpha1.AnalysisRun, stop []analysis.CallStart) {
	for _, c := range stop {
		t, ok := r.Providers[analysis.ProviderType(c.Metric)].(analysis.Terminator)
		if !ok {
			continue
		}
		if err := t.Terminate(ctx, run, c.Metric, c.Prev); err != nil {
			r.Timeline.Log.Error(err, "terminate measurement", "analysisrun", run.Namespace+"/"+run.Name, "metric", c.Metric.Name)
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
