package plan

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/analysis"
)

// ReconcileFailed is the plan for a Rollout whose reconcile failed `failures` times in a row,
// the last time with err: the status the controller last wrote, plus a ReconcileError
// condition with the error, and one timeline note. ok is false when there is nothing to
// write: too few failures yet, or the condition already says the same.
func ReconcileFailed(ro *v1alpha1.Rollout, failures int, err error, now time.Time) (p Plan, ok bool) {
	if failures < v1alpha1.ReconcileFailureThreshold || err == nil {
		return Plan{}, false
	}
	msg := analysis.Excerpt(err.Error(), v1alpha1.MaxReconcileErrorBytes)
	if c := meta.FindStatusCondition(ro.Status.Conditions, v1alpha1.ConditionReconcileError); c != nil && c.Message == msg {
		return Plan{}, false
	}
	p = Plan{Status: *ro.Status.DeepCopy()}
	setCondition(&p.Status, ro, now, v1alpha1.ConditionReconcileError, true, v1alpha1.ReasonReconcileFailed, msg)
	p.warn(v1alpha1.ReasonReconcileFailed, fmt.Sprintf("%d passes in a row failed, the controller keeps retrying: %s", failures, msg))
	return p, true
}

// clearReconcileError removes the ReconcileError condition: a plan whose writes all succeed
// is the proof the controller reconciles again.
func clearReconcileError(p *Plan) {
	if meta.RemoveStatusCondition(&p.Status.Conditions, v1alpha1.ConditionReconcileError) {
		p.note(v1alpha1.ReasonReconcileRecovered, "the controller reconciles the rollout again")
	}
}
