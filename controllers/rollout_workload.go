package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/plan"
)

// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=rollouts.ramp.dev,resources=rollouts,verbs=patch

// workload reads the Deployment spec.workloadRef names, from the cache; nil without a
// workloadRef or when it does not exist.
func (r *RolloutReconciler) workload(ctx context.Context, ro *v1alpha1.Rollout) (*appsv1.Deployment, error) {
	ref := ro.Spec.WorkloadRef
	if ref == nil {
		return nil, nil
	}
	dep := &appsv1.Deployment{}
	err := r.Get(ctx, client.ObjectKey{Namespace: ro.Namespace, Name: ref.Name}, dep)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get workloadRef deployment %s/%s: %w", ro.Namespace, ref.Name, err)
	}
	return dep, nil
}

// scaleWorkload sets the Deployment's replicas and ramp's annotations on it in one patch.
func (r *RolloutReconciler) scaleWorkload(ctx context.Context, ns string, w *plan.WorkloadScale) error {
	patch := map[string]any{"spec": map[string]any{"replicas": w.Replicas}}
	if len(w.Annotations) > 0 {
		patch["metadata"] = map[string]any{"annotations": w.Annotations}
	}
	body, err := json.Marshal(patch)
	if err != nil {
		return fmt.Errorf("deployment patch: %w", err)
	}
	dep := &appsv1.Deployment{}
	dep.Namespace, dep.Name = ns, w.Name
	if err := r.Patch(ctx, dep, client.RawPatch(types.MergePatchType, body), client.FieldOwner(fieldManager)); err != nil {
		return fmt.Errorf("scale workloadRef deployment %s/%s to %d: %w", ns, w.Name, w.Replicas, err)
	}
	return nil
}

// holdForWorkload puts WorkloadFinalizer on a Rollout that scales its Deployment down, before
// it ever does: deleting the Rollout then gives the Deployment its replicas back first. It
// reports whether it wrote (the Rollout comes back with the finalizer).
func (r *RolloutReconciler) holdForWorkload(ctx context.Context, ro *v1alpha1.Rollout) (bool, error) {
	if !ro.ScalesDownWorkload() || controllerutil.ContainsFinalizer(ro, v1alpha1.WorkloadFinalizer) {
		return false, nil
	}
	return true, r.patchFinalizers(ctx, ro, func(o client.Object) { controllerutil.AddFinalizer(o, v1alpha1.WorkloadFinalizer) })
}

// releaseWorkload is a deleted Rollout's last pass: each Deployment it scaled down (the one it
// names, and any it named before) gets its replicas back, and the Rollout goes (its
// ReplicaSets with it) only once they are available, or the progress deadline after the
// deletion has passed.
func (r *RolloutReconciler) releaseWorkload(ctx context.Context, ro *v1alpha1.Rollout) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(ro, v1alpha1.WorkloadFinalizer) {
		return ctrl.Result{}, nil // owned ReplicaSets go with it through garbage collection
	}
	deps, err := r.scaledDownBy(ctx, ro)
	if err != nil {
		return ctrl.Result{}, err
	}
	waiting := false
	for _, dep := range deps {
		restore, done := plan.WorkloadRestore(ro, dep, r.Clock.Now())
		if restore != nil {
			if err := r.scaleWorkload(ctx, ro.Namespace, restore); err != nil {
				return ctrl.Result{}, err
			}
			r.Timeline.Record(ro, ro.Status.Phase, []plan.Note{restore.RestoreNote()})
		}
		waiting = waiting || restore != nil || !done
	}
	if waiting {
		// the Deployments' status brings the Rollout back; the deadline, if nothing else does
		return ctrl.Result{RequeueAfter: max(time.Second, time.Until(ro.DeletionTimestamp.Add(ro.ProgressDeadline())))}, nil
	}
	return ctrl.Result{}, r.patchFinalizers(ctx, ro, func(o client.Object) { controllerutil.RemoveFinalizer(o, v1alpha1.WorkloadFinalizer) })
}

// scaledDownBy are the Deployments a deleted Rollout must hand back: the one it names, and
// those ramp's annotation says it scaled down.
func (r *RolloutReconciler) scaledDownBy(ctx context.Context, ro *v1alpha1.Rollout) ([]*appsv1.Deployment, error) {
	var out []*appsv1.Deployment
	named, err := r.workload(ctx, ro)
	if err != nil {
		return nil, err
	}
	if named != nil {
		out = append(out, named)
	}
	list := &appsv1.DeploymentList{}
	if err := r.List(ctx, list, client.InNamespace(ro.Namespace)); err != nil {
		return nil, fmt.Errorf("list deployments of %s: %w", ro.Namespace, err)
	}
	for i := range list.Items {
		if dep := &list.Items[i]; plan.ScaledDownBy(ro, dep) && (named == nil || dep.Name != named.Name) {
			out = append(out, dep)
		}
	}
	return out, nil
}

// patchFinalizers changes the Rollout's finalizers with an optimistic lock: the list is
// replaced whole, so another writer's change must not be lost.
func (r *RolloutReconciler) patchFinalizers(ctx context.Context, ro *v1alpha1.Rollout, change func(client.Object)) error {
	patched := ro.DeepCopy()
	change(patched)
	err := r.Patch(ctx, patched, client.MergeFromWithOptions(ro, client.MergeFromWithOptimisticLock{}), client.FieldOwner(fieldManager))
	if client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("finalizers of rollout %s/%s: %w", ro.Namespace, ro.Name, err)
	}
	return nil
}
