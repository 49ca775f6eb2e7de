package plan

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// progressed reports whether anything moved between two statuses: the step, the revision, or
// the number of pods that exist or are available, the traffic weights, or the step's analysis
// (each measurement changes its run's message: a long analysis is not a stuck rollout). (Not the phase: the deadline's own Degraded
// would count as progress.)
func progressed(before, after *v1alpha1.RolloutStatus) bool {
	return ptr.Deref(before.CurrentStepIndex, -1) != ptr.Deref(after.CurrentStepIndex, -1) ||
		before.CurrentPodHash != after.CurrentPodHash ||
		before.Replicas != after.Replicas || before.UpdatedReplicas != after.UpdatedReplicas ||
		before.AvailableReplicas != after.AvailableReplicas ||
		!equality.Semantic.DeepEqual(before.Canary.Weights, after.Canary.Weights) ||
		!equality.Semantic.DeepEqual(before.Canary.CurrentStepAnalysisRunStatus, after.Canary.CurrentStepAnalysisRunStatus)
}

// checkProgress enforces progressDeadlineSeconds on a Progressing rollout: with no progress for
// that long it is Degraded (ProgressDeadlineExceeded) and, with progressDeadlineAbort, aborted.
// Pauses do not count against the deadline.
func (c *pass) checkProgress(before *v1alpha1.RolloutStatus) {
	st, now := c.st, c.in.Now
	if st.LastProgressTime == nil || progressed(before, st) {
		st.LastProgressTime = ptr.To(metav1.NewTime(now))
	}
	if st.Phase != v1alpha1.RolloutPhaseProgressing {
		return
	}
	deadline := c.ro.ProgressDeadline()
	end := st.LastProgressTime.Add(deadline)
	if now.Before(end) {
		c.p.requeueAt(now, end)
		return
	}
	msg := fmt.Sprintf("no progress for %s (spec.progressDeadlineSeconds): %s", deadline, st.Message)
	if c.ro.Spec.ProgressDeadlineAbort && st.CurrentPodHash != st.StableRS {
		st.Abort = true
		msg += "; aborting (spec.progressDeadlineAbort)"
	}
	degrade(c.p, before, now, c.ro, v1alpha1.ReasonDeadlineExceeded, msg)
}
