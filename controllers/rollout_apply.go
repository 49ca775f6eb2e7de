package controllers

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/plan"
)

// replicaSets lists the ReplicaSets the Rollout owns, adopting orphans that its selector
// matches and that carry a revision hash (left by a deleted Rollout, or another tool).
func (r *RolloutReconciler) replicaSets(ctx context.Context, ro *v1alpha1.Rollout) ([]*appsv1.ReplicaSet, error) {
	sel, err := metav1.LabelSelectorAsSelector(ro.Spec.Selector)
	if err != nil || sel.Empty() {
		sel = labels.Nothing() // the planner reports the selector; nothing is matched meanwhile
	}
	list := &appsv1.ReplicaSetList{}
	if err := r.List(ctx, list, client.InNamespace(ro.Namespace)); err != nil {
		return nil, fmt.Errorf("list replicasets of %s/%s: %w", ro.Namespace, ro.Name, err)
	}
	var out []*appsv1.ReplicaSet
	for i := range list.Items {
		rs := &list.Items[i]
		owner := metav1.GetControllerOf(rs)
		switch {
		case owner != nil && owner.UID == ro.UID:
			out = append(out, rs)
		case owner == nil && rs.DeletionTimestamp.IsZero() && rs.Labels[v1alpha1.PodTemplateHashLabel] != "" && sel.Matches(labels.Set(rs.Labels)):
			if err := r.adopt(ctx, ro, rs); err != nil {
				return nil, err
			}
			out = append(out, rs)
		}
	}
	return out, nil
}

func (r *RolloutReconciler) adopt(ctx context.Context, ro *v1alpha1.Rollout, rs *appsv1.ReplicaSet) error {
	orig := rs.DeepCopy()
	rs.OwnerReferences = append(rs.OwnerReferences, *metav1.NewControllerRef(ro, v1alpha1.GroupVersion.WithKind("Rollout")))
	if err := r.Patch(ctx, rs, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{}), client.FieldOwner(fieldManager)); err != nil {
		return fmt.Errorf("adopt replicaset %s/%s: %w", rs.Namespace, rs.Name, err)
	}
	return nil
}

// apply carries out a plan's changes to the cluster, in the order that keeps traffic safe:
// new pods first, then scaling, then Service selectors, then clean-up.
func (r *RolloutReconciler) apply(ctx context.Context, ro *v1alpha1.Rollout, p *plan.Plan) error {
	if p.Create != nil {
		if err := r.createReplicaSet(ctx, ro, p); err != nil {
			return err
		}
	}
	for name, replicas := range p.Scale {
		rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: ro.Namespace, Name: name}}
		patch := client.RawPatch("application/merge-patch+json", fmt.Appendf(nil, `{"spec":{"replicas":%d}}`, replicas))
		if err := r.Patch(ctx, rs, patch, client.FieldOwner(fieldManager)); err != nil {
			return fmt.Errorf("scale replicaset %s/%s to %d: %w", ro.Namespace, name, replicas, err)
		}
	}
	for name, hash := range p.Selectors {
		svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ro.Namespace, Name: name}}
		patch := client.RawPatch("application/merge-patch+json", fmt.Appendf(nil, `{"spec":{"selector":{%q:%q}}}`, v1alpha1.PodTemplateHashLabel, hash))
		if err := r.Patch(ctx, svc, patch, client.FieldOwner(fieldManager)); err != nil {
			return fmt.Errorf("point service %s/%s at revision %s: %w", ro.Namespace, name, hash, err)
		}
	}
	for _, name := range p.Delete {
		rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: ro.Namespace, Name: name}}
		if err := r.Delete(ctx, rs); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("delete old replicaset %s/%s: %w", ro.Namespace, name, err)
		}
	}
	return nil
}

// createReplicaSet creates the current revision's ReplicaSet. A name taken by a ReplicaSet
// that is not this revision's is a hash collision: the status's collisionCount moves on.
func (r *RolloutReconciler) createReplicaSet(ctx context.Context, ro *v1alpha1.Rollout, p *plan.Plan) error {
	err := r.Create(ctx, p.Create, client.FieldOwner(fieldManager))
	if err == nil || !apierrors.IsAlreadyExists(err) {
		if err != nil {
			return fmt.Errorf("create replicaset %s/%s: %w", p.Create.Namespace, p.Create.Name, err)
		}
		return nil
	}
	existing := &appsv1.ReplicaSet{}
	if err := r.Get(ctx, client.ObjectKeyFromObject(p.Create), existing); err != nil {
		return fmt.Errorf("get replicaset %s/%s: %w", p.Create.Namespace, p.Create.Name, err)
	}
	if owner := metav1.GetControllerOf(existing); owner != nil && owner.UID == ro.UID &&
		existing.Labels[v1alpha1.PodTemplateHashLabel] == p.Create.Labels[v1alpha1.PodTemplateHashLabel] {
		return fmt.Errorf("replicaset %s/%s exists but is not in the cache yet", existing.Namespace, existing.Name)
	}
	p.Status.CollisionCount = ptr.To(ptr.Deref(p.Status.CollisionCount, 0) + 1)
	p.Scale, p.Selectors, p.Delete, p.Notes = nil, nil, nil, []plan.Note{{Reason: "HashCollision",
		Message: fmt.Sprintf("replicaset name %s is taken by another object: retrying with collisionCount %d", p.Create.Name, *p.Status.CollisionCount), Warning: true}}
	p.Create = nil
	return nil
}
