package analysis

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/note"
)

// RunReconcileFailed is the status of a run whose reconcile failed `failures` times in a row,
// the last time with err, as a Rollout's: the status the controller last wrote plus a
// ReconcileError condition with the error, and one timeline note. ok is false when there is
// nothing to write: too few failures yet, or the condition already says the same.
func RunReconcileFailed(run *v1alpha1.AnalysisRun, failures int, err error, now time.Time) (st v1alpha1.AnalysisRunStatus, n note.Note, ok bool) {
	if failures < v1alpha1.ReconcileFailureThreshold || err == nil {
		return st, n, false
	}
	msg := Excerpt(err.Error(), v1alpha1.MaxReconcileErrorBytes)
	if c := meta.FindStatusCondition(run.Status.Conditions, v1alpha1.ConditionReconcileError); c != nil && c.Message == msg {
		return st, n, false
	}
	st = *run.Status.DeepCopy()
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: v1alpha1.ConditionReconcileError, Status: metav1.ConditionTrue,
		Reason: v1alpha1.ReasonReconcileFailed, Message: msg, ObservedGeneration: run.Generation, LastTransitionTime: metav1.NewTime(now)})
	n = note.Note{Reason: v1alpha1.ReasonReconcileFailed, Warning: true,
		Message: fmt.Sprintf("AnalysisRun %s: %d passes in a row failed, the controller keeps retrying: %s", run.Name, failures, msg)}
	return st, n, true
}

// clearRunReconcileError removes the ReconcileError condition from a plan that records
// something new: its write succeeding is the proof the controller reconciles the run again. A
// plan with nothing new (the pass that starts the next call) keeps it, or a run whose every
// measurement is refused would flap between saying so and not.
func clearRunReconcileError(run *v1alpha1.AnalysisRun, p *RunPlan) {
	before, after := run.Status.DeepCopy(), p.Status.DeepCopy()
	before.Conditions, after.Conditions = nil, nil
	if equality.Semantic.DeepEqual(before, after) {
		return
	}
	if meta.RemoveStatusCondition(&p.Status.Conditions, v1alpha1.ConditionReconcileError) {
		p.Notes = append(p.Notes, note.Note{Reason: v1alpha1.ReasonReconcileRecovered, Message: fmt.Sprintf("AnalysisRun %s: the controller reconciles it again", run.Name)})
	}
}
