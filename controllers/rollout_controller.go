package controllers

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/plan"
	"github.com/ramp-dev/ramp/pkg/timeline"
	"github.com/ramp-dev/ramp/pkg/traffic"
)

// fieldManager is the field manager of every write the controller makes.
const fieldManager = "ramp-controller"

// RolloutReconciler drives Rollouts: observe, plan (pkg/plan), apply, write status.
type RolloutReconciler struct {
	client.Client
	// APIReader reads what is not worth a cache: the pods of one ReplicaSet, on the rare
	// occasions (side metadata changes) they are needed.
	APIReader client.Reader
	Clock     clock.PassiveClock
	Timeline  timeline.Recorder
	Options   Options

	expected  expectations
	defaulted defaultedTemplates
	failures  failureCounts[types.UID]
}

// +kubebuilder:rbac:groups=rollouts.ramp.dev,resources=rollouts,verbs=get;list;watch
// +kubebuilder:rbac:groups=rollouts.ramp.dev,resources=rollouts/status,verbs=get;patch
// +kubebuilder:rbac:groups=rollouts.ramp.dev,resources=rollouts/finalizers,verbs=update
// +kubebuilder:rbac:groups=apps,resources=replicasets,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups="",resources=pods,verbs=list;patch
// +kubebuilder:rbac:groups="",resources=pods/eviction,verbs=create
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=rollouts.ramp.dev,resources=analysisruns,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=rollouts.ramp.dev,resources=analysistemplates;clusteranalysistemplates,verbs=get;list;watch

// forgetRollout drops everything kept in memory for a deleted Rollout: no map grows with the
// Rollouts a cluster ever had.
func (r *RolloutReconciler) forgetRollout(o client.Object) {
	r.expected.forget(o.GetUID())
	r.defaulted.forget(client.ObjectKeyFromObject(o))
	r.failures.succeeded(o.GetUID())
}

// Reconcile brings one Rollout a step closer to its plan. A pass that fails often enough in a
// row says so in the Rollout's status (plan.ReconcileFailed) before the error is retried.
func (r *RolloutReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ro := &v1alpha1.Rollout{}
	if err := r.Get(ctx, req.NamespacedName, ro); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err) // deleted: forgetRollout dropped its state
	}
	if !ro.DeletionTimestamp.IsZero() {
		return r.releaseWorkload(ctx, ro)
	}
	if r.expected.staleRollout(ro) {
		log.FromContext(ctx).V(1).Info("waiting for the cache to see our last status write")
		return ctrl.Result{}, nil
	}
	res, err := r.reconcile(ctx, ro)
	if err != nil {
		r.reportFailure(ctx, ro, err)
		return ctrl.Result{}, err
	}
	r.failures.succeeded(ro.UID)
	return res, nil
}

// reconcile is one pass: observe, plan, carry the plan out, write status.
func (r *RolloutReconciler) reconcile(ctx context.Context, ro *v1alpha1.Rollout) (ctrl.Result, error) {
	if wrote, err := r.holdForWorkload(ctx, ro); wrote || err != nil {
		return ctrl.Result{}, err
	}
	dep, err := r.workload(ctx, ro)
	if err != nil {
		return ctrl.Result{}, err
	}
	ro, invalid := plan.ResolveWorkload(ro, dep)
	in, router, err := r.observe(ctx, ro, invalid)
	if in != nil {
		in.Workload = dep
	}
	if err != nil || in == nil {
		return ctrl.Result{}, err
	}
	p, routed, err := r.planAndCarryOut(ctx, ro, router, in)
	if err != nil {
		r.Timeline.Record(ro, ro.Status.Phase, routed) // what the router did before the error
		return ctrl.Result{}, err
	}
	if err := r.writeStatus(ctx, ro, p.Status); apierrors.IsConflict(err) {
		// Planned from a Rollout older than the server's (a user's promote or abort, or our
		// own last write not cached yet): the watch brings the newer one, planned afresh. The
		// router's changes are done, though: they go on the timeline now or never.
		log.FromContext(ctx).V(1).Info("status changed meanwhile, planning again")
		r.Timeline.Record(ro, ro.Status.Phase, routed)
		return ctrl.Result{}, nil
	} else if err != nil {
		return ctrl.Result{}, err
	}
	fromPhase := ro.Status.Phase
	ro.Status = p.Status
	r.Timeline.Record(ro, fromPhase, append(p.Notes, routed...))
	return ctrl.Result{RequeueAfter: p.RequeueAfter, Priority: routinePriority}, nil
}

// planAndCarryOut plans and carries the plan out; a ReplicaSet name found taken is told to the
// planner, whose new plan (the collision) is carried out in its place.
func (r *RolloutReconciler) planAndCarryOut(ctx context.Context, ro *v1alpha1.Rollout, router traffic.Router, in *plan.Input) (plan.Plan, []plan.Note, error) {
	p := plan.Compute(*in)
	routed, err := r.carryOut(ctx, ro, router, in, &p)
	var taken *nameTakenError
	if !errors.As(err, &taken) {
		return p, routed, err
	}
	in.NameTaken = taken.name
	p = plan.Compute(*in)
	more, err := r.carryOut(ctx, ro, router, in, &p)
	return p, append(routed, more...), err
}

// reportFailure counts a failed pass and, once plan.ReconcileFailed says so, writes the error
// into the Rollout's status. That write failing too (the API server itself is the fault) is
// only logged: the pass's own error is what gets retried.
func (r *RolloutReconciler) reportFailure(ctx context.Context, ro *v1alpha1.Rollout, cause error) {
	p, ok := plan.ReconcileFailed(ro, r.failures.failed(ro.UID), cause, r.Clock.Now())
	if !ok {
		return
	}
	if err := r.writeStatus(ctx, ro, p.Status); err != nil {
		log.FromContext(ctx).V(1).Info("could not report the failure in status", "error", err.Error())
		return
	}
	fromPhase := ro.Status.Phase
	ro.Status = p.Status
	r.Timeline.Record(ro, fromPhase, p.Notes)
}

// carryOut makes the plan's writes in the plan's order (plan.Plan.Writes, the order that
// keeps traffic safe at every crash point) and returns the timeline notes of the routing
// changes it made.
func (r *RolloutReconciler) carryOut(ctx context.Context, ro *v1alpha1.Rollout, router traffic.Router, in *plan.Input, p *plan.Plan) ([]plan.Note, error) {
	var notes []plan.Note
	writes := p.Writes()
	for i, w := range writes {
		made, err := r.write(ctx, ro, router, in, p, w)
		if notes = append(notes, made...); err != nil {
			return notes, fmt.Errorf("write %d of %d (%s %s; the %d before it made): %w", i+1, len(writes), w.Kind, w.Name, i, err)
		}
	}
	return notes, nil
}

// writeStatus patches the status when it changed, with an optimistic lock: a user's promote
// or abort written meanwhile makes it fail and the Rollout is planned again with it.
func (r *RolloutReconciler) writeStatus(ctx context.Context, ro *v1alpha1.Rollout, status v1alpha1.RolloutStatus) error {
	if equality.Semantic.DeepEqual(ro.Status, status) {
		return nil
	}
	patched := ro.DeepCopy()
	patched.Status = status
	err := r.Status().Patch(ctx, patched, client.MergeFromWithOptions(ro, client.MergeFromWithOptimisticLock{}), client.FieldOwner(fieldManager))
	if err != nil {
		return fmt.Errorf("patch status of rollout %s/%s: %w", ro.Namespace, ro.Name, err)
	}
	r.expected.wroteRollout(patched)
	return nil
}
