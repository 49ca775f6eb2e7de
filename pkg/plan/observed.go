package plan

import (
	"encoding/json"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/workload"
)

// Decisions the controller needs while it reads and writes, kept here with the planner's: what
// a read means is the planner's business, never the reconciler's.

// SplitReplicaSets sorts listed ReplicaSets into those the Rollout owns and the orphans it may
// adopt: no controller, not being deleted, a revision hash, matched by its selector (left by
// a deleted Rollout, or another tool). Others are neither.
func SplitReplicaSets(ro *v1alpha1.Rollout, listed []*appsv1.ReplicaSet) (owned, orphans []*appsv1.ReplicaSet) {
	sel, err := metav1.LabelSelectorAsSelector(ro.Spec.Selector)
	if err != nil || sel.Empty() {
		sel = labels.Nothing() // the planner reports the selector; nothing is matched meanwhile
	}
	for _, rs := range listed {
		owner := metav1.GetControllerOf(rs)
		switch {
		case owner != nil && owner.UID == ro.UID:
			owned = append(owned, rs)
		case owner == nil && rs.DeletionTimestamp.IsZero() && rs.Labels[v1alpha1.PodTemplateHashLabel] != "" && sel.Matches(labels.Set(rs.Labels)):
			orphans = append(orphans, rs)
		}
	}
	return owned, orphans
}

// CreatedButNotCached: the object whose name a ReplicaSet create found taken is that very
// ReplicaSet (the Rollout's, of the same revision), which the cache has not seen yet: wait,
// rather than count a hash collision.
func CreatedButNotCached(ro *v1alpha1.Rollout, want, existing *appsv1.ReplicaSet) bool {
	owner := metav1.GetControllerOf(existing)
	return owner != nil && owner.UID == ro.UID && workload.HashOf(existing) == workload.HashOf(want)
}

// DefaultedTemplateNeeded says whether the planner must see the pod template as the API
// server defaults it to tell which revision it is: no ReplicaSet carries the template's hash,
// and one may be its revision. hash is the template's.
func DefaultedTemplateNeeded(ro *v1alpha1.Rollout, rss []*appsv1.ReplicaSet) (hash string, needed bool) {
	hash, err := workload.TemplateHash(&ro.Spec.Template, ro.Status.CollisionCount)
	if err != nil {
		return "", false
	}
	for _, rs := range rss {
		if workload.HashOf(rs) == hash {
			return hash, false
		}
		needed = needed || workload.MayBeRevisionOf(&ro.Spec.Template, rs)
	}
	return hash, needed
}

// SideMetadataPatches are the merge patches that move a ReplicaSet's pods to side metadata md,
// from the ReplicaSet as just read: its template (pods to come), each of its pods, and the
// record of what it now carries. Applied in that order, each idempotent, an interrupted move
// is redone in full.
func SideMetadataPatches(fresh *appsv1.ReplicaSet, md v1alpha1.PodTemplateMetadata) (template, pod, record []byte, err error) {
	change := workload.ChangeMetadata(workload.EphemeralOf(fresh), md)
	if template, err = json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{"metadata": change}}}); err != nil {
		return nil, nil, nil, fmt.Errorf("side metadata patch for %s/%s: %w", fresh.Namespace, fresh.Name, err)
	}
	if pod, err = json.Marshal(map[string]any{"metadata": change}); err != nil {
		return nil, nil, nil, fmt.Errorf("side metadata patch for pods of %s/%s: %w", fresh.Namespace, fresh.Name, err)
	}
	record = fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, workload.EphemeralMetadataAnnotation, workload.RecordMetadata(md))
	return template, pod, record, nil
}
