package plan

import (
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/workload"
)

// autoscalerView sets what the scale subresource shows an HPA or KEDA: status.HPAReplicas and
// status.selector.
//
// The HPA divides External and Object AverageValue metrics by the reported replicas, and when
// the result is within tolerance it writes that count back to spec.replicas. Reporting the
// canary's extra pods there makes every release ratchet spec.replicas up, for no load (Argo
// #3849, #4847). So a routed canary reports the stable ReplicaSet only: its size is
// spec.replicas, the canary is capacity on top. The selector still covers the canary's pods:
// together with the stable's they carry all the traffic, so per-pod load metrics (Resource,
// Pods) sum to the true load. Blue-green reports the active ReplicaSet and selects only its
// pods, since the preview serves no users.
func autoscalerView(st *v1alpha1.RolloutStatus, ro *v1alpha1.Rollout, rss []*appsv1.ReplicaSet) {
	st.Selector, st.HPAReplicas = selectorString(ro, ""), st.Replicas
	switch s := ro.Spec.Strategy; {
	case s.BlueGreen != nil:
		active := st.BlueGreen.ActiveSelector
		if active == "" {
			active = st.StableRS
		}
		st.HPAReplicas = replicasOf(rss, active)
		st.Selector = selectorString(ro, active)
	case s.Canary != nil && s.Canary.TrafficRouting != nil && !s.Canary.DynamicStableScale:
		st.HPAReplicas = replicasOf(rss, st.StableRS)
	}
}

func replicasOf(rss []*appsv1.ReplicaSet, hash string) int32 {
	for _, rs := range rss {
		if hash != "" && workload.HashOf(rs) == hash {
			return rs.Status.Replicas
		}
	}
	return 0
}

// selectorString is spec.selector as a string, narrowed to one revision's pods when hash is set.
func selectorString(ro *v1alpha1.Rollout, hash string) string {
	if ro.Spec.Selector == nil {
		return ""
	}
	sel, err := metav1.LabelSelectorAsSelector(ro.Spec.Selector)
	if err != nil {
		return ""
	}
	if hash == "" {
		return sel.String()
	}
	req, err := labels.NewRequirement(v1alpha1.PodTemplateHashLabel, selection.Equals, []string{hash})
	if err != nil {
		return sel.String()
	}
	return sel.Add(*req).String()
}
