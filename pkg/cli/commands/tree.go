package commands

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/cli/render"
	"github.com/ramp-dev/ramp/pkg/plan"
)

// tree reads a Rollout and the objects it owns: its ReplicaSets, their pods, its AnalysisRuns.
func (s *session) tree(ctx context.Context, name string, now time.Time) (render.Tree, error) {
	ro, err := s.rollout(ctx, name)
	if err != nil {
		return render.Tree{}, err
	}
	t := render.Tree{Rollout: ro, Now: now}
	if ref := ro.Spec.WorkloadRef; ref != nil {
		// its selector and images are the Deployment's, as the controller sees them
		if t.Workload, err = s.deployment(ctx, ref.Name); err != nil {
			return t, err
		}
		t.Rollout, _ = plan.ResolveWorkload(ro, t.Workload)
		ro = t.Rollout
	}
	sel := s.selector(ro)

	if t.ReplicaSets, err = s.replicaSets(ctx, ro); err != nil {
		return t, err
	}
	owned := map[types.UID]bool{}
	for _, rs := range t.ReplicaSets {
		owned[rs.UID] = true
	}

	var pods corev1.PodList
	if err := s.c.List(ctx, &pods, client.InNamespace(s.ns), client.MatchingLabelsSelector{Selector: sel}); err != nil {
		return t, fmt.Errorf("list pods of rollout %s/%s: %w", s.ns, name, err)
	}
	for _, p := range pods.Items {
		if ref := metav1.GetControllerOf(&p); ref != nil && owned[ref.UID] {
			t.Pods = append(t.Pods, p)
		}
	}

	var runs v1alpha1.AnalysisRunList
	if err := s.c.List(ctx, &runs, client.InNamespace(s.ns)); err != nil {
		return t, fmt.Errorf("list AnalysisRuns of rollout %s/%s: %w", s.ns, name, err)
	}
	for _, r := range runs.Items {
		if controlledBy(&r, ro.UID) {
			t.Runs = append(t.Runs, r)
		}
	}
	return t, nil
}

// replicaSets are the Rollout's own ReplicaSets: selected by its selector, controlled by it.
func (s *session) replicaSets(ctx context.Context, ro *v1alpha1.Rollout) ([]appsv1.ReplicaSet, error) {
	var rss appsv1.ReplicaSetList
	if err := s.c.List(ctx, &rss, client.InNamespace(s.ns), client.MatchingLabelsSelector{Selector: s.selector(ro)}); err != nil {
		return nil, fmt.Errorf("list ReplicaSets of rollout %s/%s: %w", s.ns, ro.Name, err)
	}
	var owned []appsv1.ReplicaSet
	for _, rs := range rss.Items {
		if controlledBy(&rs, ro.UID) {
			owned = append(owned, rs)
		}
	}
	return owned, nil
}

// selector picks the Rollout's pods and ReplicaSets; a Rollout without a usable selector (it
// is Degraded for it) selects nothing.
func (s *session) selector(ro *v1alpha1.Rollout) labels.Selector {
	if ro.Spec.Selector == nil {
		return labels.Nothing()
	}
	sel, err := metav1.LabelSelectorAsSelector(ro.Spec.Selector)
	if err != nil || sel.Empty() {
		return labels.Nothing()
	}
	return sel
}

// controlledBy: obj's controller is the object with uid.
func controlledBy(obj metav1.Object, uid types.UID) bool {
	ref := metav1.GetControllerOf(obj)
	return ref != nil && ref.UID == uid
}
