package plan

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/workload"
)

// degrade sets phase Degraded with a message naming the problem; only a change from the
// status the plan started from is a note.
func degrade(p *Plan, prev *v1alpha1.RolloutStatus, now time.Time, ro *v1alpha1.Rollout, reason, message string) {
	st := &p.Status
	if prev.Phase != v1alpha1.RolloutPhaseDegraded || prev.Message != message {
		p.warn(reason, message)
	}
	st.Phase, st.Message = v1alpha1.RolloutPhaseDegraded, message
	setCondition(st, ro, now, v1alpha1.ConditionProgressing, false, reason, message)
	setCondition(st, ro, now, v1alpha1.ConditionHealthy, false, reason, message)
}

// setCondition sets a condition, keeping its transition time unless its status changes.
func setCondition(st *v1alpha1.RolloutStatus, ro *v1alpha1.Rollout, now time.Time, typ string, status bool, reason, message string) {
	s := metav1.ConditionFalse
	if status {
		s = metav1.ConditionTrue
	}
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{
		Type: typ, Status: s, Reason: reason, Message: message,
		ObservedGeneration: ro.Generation, LastTransitionTime: metav1.NewTime(now),
	})
}

// countReplicas fills the replica counts from the ReplicaSets' own status, and what an
// autoscaler is shown of them.
func countReplicas(st *v1alpha1.RolloutStatus, ro *v1alpha1.Rollout, rss []*appsv1.ReplicaSet, currentHash string) {
	defer autoscalerView(st, ro, rss)
	st.Replicas, st.UpdatedReplicas, st.ReadyReplicas, st.AvailableReplicas = 0, 0, 0, 0
	for _, rs := range rss {
		st.Replicas += rs.Status.Replicas
		st.ReadyReplicas += rs.Status.ReadyReplicas
		st.AvailableReplicas += rs.Status.AvailableReplicas
		if currentHash != "" && workload.HashOf(rs) == currentHash {
			st.UpdatedReplicas = rs.Status.Replicas
		}
	}
}
