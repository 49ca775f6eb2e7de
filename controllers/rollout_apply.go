package controllers

import (
	"context"
	"encoding/json"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/plan"
	"github.com/ramp-dev/ramp/pkg/traffic"
	"github.com/ramp-dev/ramp/pkg/workload"
)

// replicaSets lists the ReplicaSets the Rollout owns, and the orphans it may adopt: those its
// selector matches that carry a revision hash (left by a deleted Rollout, or another tool).
func (r *RolloutReconciler) replicaSets(ctx context.Context, ro *v1alpha1.Rollout) (owned, orphans []*appsv1.ReplicaSet, err error) {
	sel, err := metav1.LabelSelectorAsSelector(ro.Spec.Selector)
	if err != nil || sel.Empty() {
		sel = labels.Nothing() // the planner reports the selector; nothing is matched meanwhile
	}
	// By index: listing (and so copying) every ReplicaSet of the namespace for each reconcile
	// was a third of the controller's CPU with 500 Rollouts in one namespace.
	ownedList, orphanList := &appsv1.ReplicaSetList{}, &appsv1.ReplicaSetList{}
	for key, list := range map[string]*appsv1.ReplicaSetList{string(ro.UID): ownedList, orphanKey: orphanList} {
		if err := r.List(ctx, list, client.InNamespace(ro.Namespace), client.MatchingFields{ownerIndex: key}); err != nil {
			return nil, nil, fmt.Errorf("list replicasets of %s/%s: %w", ro.Namespace, ro.Name, err)
		}
	}
	list := &appsv1.ReplicaSetList{Items: append(ownedList.Items, orphanList.Items...)}
	for i := range list.Items {
		rs := &list.Items[i]
		owner := metav1.GetControllerOf(rs)
		switch {
		case owner != nil && owner.UID == ro.UID:
			owned = append(owned, rs)
		case owner == nil && rs.DeletionTimestamp.IsZero() && rs.Labels[v1alpha1.PodTemplateHashLabel] != "" && sel.Matches(labels.Set(rs.Labels)):
			orphans = append(orphans, rs)
		}
	}
	return owned, orphans, nil
}

func (r *RolloutReconciler) adopt(ctx context.Context, ro *v1alpha1.Rollout, rs *appsv1.ReplicaSet) error {
	orig := rs.DeepCopy()
	rs.OwnerReferences = append(rs.OwnerReferences, *metav1.NewControllerRef(ro, v1alpha1.GroupVersion.WithKind("Rollout")))
	if err := r.Patch(ctx, rs, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{}), client.FieldOwner(fieldManager)); err != nil {
		return fmt.Errorf("adopt replicaset %s/%s: %w", rs.Namespace, rs.Name, err)
	}
	return nil
}

// write makes one write of the plan; it returns the timeline notes of routing changes.
func (r *RolloutReconciler) write(ctx context.Context, ro *v1alpha1.Rollout, router traffic.Router, in *plan.Input, p *plan.Plan, w plan.Write) ([]plan.Note, error) {
	switch w.Kind {
	case plan.WriteAdopt:
		rs := orphanNamed(in, w.Name)
		if rs == nil {
			return nil, fmt.Errorf("adopt replicaset %s/%s: not observed", ro.Namespace, w.Name)
		}
		return nil, r.adopt(ctx, ro, rs)
	case plan.WriteRelease:
		return r.release(ctx, ro, in, p.Release)
	case plan.WriteWeight:
		return setWeight(ctx, ro, router, p)
	case plan.WriteRoutes:
		return setRoutes(ctx, router, p)
	case plan.WriteCreate:
		return nil, r.createReplicaSet(ctx, ro, p)
	case plan.WriteRenumber:
		rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: ro.Namespace, Name: w.Name}}
		patch := client.RawPatch(types.MergePatchType, fmt.Appendf(nil, `{"metadata":{"annotations":{%q:"%d"}}}`, v1alpha1.RevisionAnnotation, p.Renumber[w.Name]))
		if err := r.Patch(ctx, rs, patch, client.FieldOwner(fieldManager)); err != nil {
			return nil, fmt.Errorf("renumber replicaset %s/%s as revision %d: %w", ro.Namespace, w.Name, p.Renumber[w.Name], err)
		}
	case plan.WriteMetadata:
		return nil, r.moveSideMetadata(ctx, ro.Namespace, w.Name, p.Metadata[w.Name])
	case plan.WriteSelector:
		return nil, r.pointService(ctx, ro, p, w.Name)
	case plan.WriteScale:
		return nil, r.scale(ctx, ro, w.Name, p.Scale[w.Name])
	case plan.WriteEvict:
		refused, err := r.evict(ctx, ro.Namespace, w.Name)
		if refused {
			p.RequeueAfter = p.RequeueIfEvictionRefused
		}
		return nil, err
	case plan.WriteDelete:
		rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: ro.Namespace, Name: w.Name}}
		if err := r.Delete(ctx, rs); client.IgnoreNotFound(err) != nil {
			return nil, fmt.Errorf("delete old replicaset %s/%s: %w", ro.Namespace, w.Name, err)
		}
	case plan.WriteStartRun:
		return nil, r.startRun(ctx, ro, p.StartRuns[w.Index])
	case plan.WriteTerminateRun:
		run := &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Namespace: ro.Namespace, Name: w.Name}}
		patch := client.RawPatch(types.MergePatchType, []byte(`{"spec":{"terminate":true}}`))
		if err := r.Patch(ctx, run, patch, client.FieldOwner(fieldManager)); client.IgnoreNotFound(err) != nil {
			return nil, fmt.Errorf("terminate analysisrun %s/%s: %w", ro.Namespace, w.Name, err)
		}
	case plan.WriteDeleteRun:
		run := &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Namespace: ro.Namespace, Name: w.Name}}
		if err := r.Delete(ctx, run); client.IgnoreNotFound(err) != nil {
			return nil, fmt.Errorf("delete old analysisrun %s/%s: %w", ro.Namespace, w.Name, err)
		}
	case plan.WriteDeleteIngress:
		return r.deleteIngresses(ctx, in, []string{w.Name})
	default:
		return nil, fmt.Errorf("plan write %q is not known to the controller", w.Kind)
	}
	return nil, nil
}

func orphanNamed(in *plan.Input, name string) *appsv1.ReplicaSet {
	for _, rs := range in.Orphans {
		if rs.Name == name {
			return rs.DeepCopy()
		}
	}
	return nil // the plan adopts only what was observed
}

// scale sets one ReplicaSet's replicas.
func (r *RolloutReconciler) scale(ctx context.Context, ro *v1alpha1.Rollout, name string, replicas int32) error {
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: ro.Namespace, Name: name}}
	patch := client.RawPatch(types.MergePatchType, fmt.Appendf(nil, `{"spec":{"replicas":%d}}`, replicas))
	if err := r.Patch(ctx, rs, patch, client.FieldOwner(fieldManager)); err != nil {
		return fmt.Errorf("scale replicaset %s/%s to %d: %w", ro.Namespace, name, replicas, err)
	}
	r.expected.wrote(rs)
	return nil
}

// pointService writes one Service's selector of the plan, with its annotations in the same
// write: both land, or neither.
func (r *RolloutReconciler) pointService(ctx context.Context, ro *v1alpha1.Rollout, p *plan.Plan, name string) error {
	hash := p.Selectors[name]
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ro.Namespace, Name: name}}
	patch := map[string]any{"spec": map[string]any{"selector": map[string]string{v1alpha1.PodTemplateHashLabel: hash}}}
	if a := p.ServiceAnnotations[name]; len(a) > 0 {
		patch["metadata"] = map[string]any{"annotations": a} // never null: that would drop every annotation
	}
	body, err := json.Marshal(patch)
	if err != nil {
		return fmt.Errorf("service patch: %w", err)
	}
	if err := r.Patch(ctx, svc, client.RawPatch(types.MergePatchType, body), client.FieldOwner(fieldManager)); err != nil {
		return fmt.Errorf("point service %s/%s at revision %s: %w", ro.Namespace, name, hash, err)
	}
	return nil
}

// nameTakenError is a ReplicaSet the plan created whose name another object has: the
// planner is told (plan.Input.NameTaken) and plans the collision.
type nameTakenError struct{ name string }

func (e *nameTakenError) Error() string { return "replicaset name " + e.name + " is taken" }

// createReplicaSet creates the current revision's ReplicaSet; a name taken by an object that
// is not this revision's ReplicaSet is a *nameTakenError.
func (r *RolloutReconciler) createReplicaSet(ctx context.Context, ro *v1alpha1.Rollout, p *plan.Plan) error {
	err := r.Create(ctx, p.Create, client.FieldOwner(fieldManager))
	if err == nil {
		r.expected.wrote(p.Create)
		return nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create replicaset %s/%s: %w", p.Create.Namespace, p.Create.Name, err)
	}
	// From the API server: the cache holds only ReplicaSets with the revision label, and the
	// object in the way may not have it.
	existing := &appsv1.ReplicaSet{}
	if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(p.Create), existing); err != nil {
		return fmt.Errorf("get replicaset %s/%s: %w", p.Create.Namespace, p.Create.Name, err)
	}
	if owner := metav1.GetControllerOf(existing); owner != nil && owner.UID == ro.UID &&
		existing.Labels[v1alpha1.PodTemplateHashLabel] == p.Create.Labels[v1alpha1.PodTemplateHashLabel] {
		return fmt.Errorf("replicaset %s/%s exists but is not in the cache yet", existing.Namespace, existing.Name)
	}
	return &nameTakenError{name: p.Create.Name}
}

// moveSideMetadata changes the side metadata of a ReplicaSet's pods: on its template (for pods
// to come), in its record annotation, and on each of its existing pods.
func (r *RolloutReconciler) moveSideMetadata(ctx context.Context, ns, name string, md v1alpha1.PodTemplateMetadata) error {
	rs := &appsv1.ReplicaSet{}
	if err := r.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, rs); err != nil {
		return fmt.Errorf("get replicaset %s/%s: %w", ns, name, err)
	}
	// In this order: template (pods created from now on), existing pods, then the record. An
	// interrupted move is redone in full on the next reconcile; every patch is idempotent.
	change := workload.ChangeMetadata(workload.EphemeralOf(rs), md)
	templatePatch, err := json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{"metadata": change}}})
	if err != nil {
		return fmt.Errorf("side metadata patch for %s/%s: %w", ns, name, err)
	}
	if err := r.Patch(ctx, rs, client.RawPatch(types.MergePatchType, templatePatch), client.FieldOwner(fieldManager)); err != nil {
		return fmt.Errorf("move side metadata of replicaset %s/%s: %w", ns, name, err)
	}
	r.expected.wrote(rs)
	sel, err := metav1.LabelSelectorAsSelector(rs.Spec.Selector)
	if err != nil {
		return fmt.Errorf("selector of replicaset %s/%s: %w", ns, name, err)
	}
	pods := &corev1.PodList{}
	if err := r.APIReader.List(ctx, pods, client.InNamespace(ns), client.MatchingLabelsSelector{Selector: sel}); err != nil {
		return fmt.Errorf("list pods of replicaset %s/%s: %w", ns, name, err)
	}
	podPatch, err := json.Marshal(map[string]any{"metadata": change})
	if err != nil {
		return fmt.Errorf("side metadata patch for pods of %s/%s: %w", ns, name, err)
	}
	for i := range pods.Items {
		pod := &pods.Items[i]
		if owner := metav1.GetControllerOf(pod); owner == nil || owner.UID != rs.UID {
			continue
		}
		if err := r.Patch(ctx, pod, client.RawPatch(types.MergePatchType, podPatch), client.FieldOwner(fieldManager)); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("move side metadata of pod %s/%s: %w", ns, pod.Name, err)
		}
	}
	record := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, workload.EphemeralMetadataAnnotation, workload.RecordMetadata(md))
	if err := r.Patch(ctx, rs, client.RawPatch(types.MergePatchType, record), client.FieldOwner(fieldManager)); err != nil {
		return fmt.Errorf("record side metadata of replicaset %s/%s: %w", ns, name, err)
	}
	return nil
}

// pods lists the Rollout's pods straight from the API server (they are not cached: they are
// needed only while a restartAt is pending).
func (r *RolloutReconciler) pods(ctx context.Context, ro *v1alpha1.Rollout) ([]*corev1.Pod, error) {
	sel, err := metav1.LabelSelectorAsSelector(ro.Spec.Selector)
	if err != nil || sel.Empty() {
		return nil, nil // the planner reports the selector
	}
	list := &corev1.PodList{}
	if err := r.APIReader.List(ctx, list, client.InNamespace(ro.Namespace), client.MatchingLabelsSelector{Selector: sel}); err != nil {
		return nil, fmt.Errorf("list pods of rollout %s/%s: %w", ro.Namespace, ro.Name, err)
	}
	out := make([]*corev1.Pod, len(list.Items))
	for i := range list.Items {
		out[i] = &list.Items[i]
	}
	return out, nil
}

// evict asks the API server to evict a pod, which honours PodDisruptionBudgets. A refusal for
// a budget is not an error: it reports refused, and the restart tries again later.
func (r *RolloutReconciler) evict(ctx context.Context, ns, name string) (refused bool, err error) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	err = r.SubResource("eviction").Create(ctx, pod, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}})
	switch {
	case err == nil, apierrors.IsNotFound(err):
		return false, nil
	case apierrors.IsTooManyRequests(err):
		log.FromContext(ctx).Info("eviction refused by a disruption budget, retrying later", "pod", ns+"/"+name)
		return true, nil
	default:
		return false, fmt.Errorf("evict pod %s/%s: %w", ns, name, err)
	}
}
