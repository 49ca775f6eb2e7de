package plan

import (
	"testing"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// An aborted rollout stays aborted when its steps are edited: the abort was about the
// revision, which has not changed. Retrying then runs the new steps from the first.
func TestEditingTheStepsKeepsTheAbort(t *testing.T) {
	w := newWorld(t, 4, weight(25), analysisStep("error-rate"), pause())
	w.settle()
	w.setImage("web:2")
	w.settle()
	w.endRun(w.runOf("web:2", "1", 0), v1alpha1.AnalysisPhaseFailed, "metric error-rate failed")
	w.settle()
	w.expect(v1alpha1.RolloutPhaseDegraded, 0, map[string]int32{"web:1": 4, "web:2": 0})

	w.ro.Spec.Strategy.Canary.Steps = append(w.ro.Spec.Strategy.Canary.Steps, weight(50))
	w.ro.Generation++
	w.settle()
	if !w.ro.Status.Abort || w.ro.Status.AbortedAt == nil {
		t.Fatalf("editing the steps cleared the abort: %+v", w.ro.Status)
	}
	w.expect(v1alpha1.RolloutPhaseDegraded, 0, map[string]int32{"web:1": 4, "web:2": 0})

	w.ro.Status.Abort = false
	w.settle()
	if w.ro.Status.Canary.Attempt != 1 {
		t.Errorf("retry after the edit: attempt %d, want 1", w.ro.Status.Canary.Attempt)
	}
	w.expect(v1alpha1.RolloutPhaseProgressing, 1, map[string]int32{"web:2": 1})
}

// A run is found by what it measures, not by its step's index: editing the steps that lead to
// an analysis (here the weight it runs under) makes it measure again, and an analysis that
// moved to another index does not take the verdict of the run that index had.
func TestAnEditedAnalysisStepDoesNotReuseAnOldVerdict(t *testing.T) {
	w := newWorld(t, 4, weight(25), analysisStep("error-rate"), pause())
	w.settle()
	w.setImage("web:2")
	w.settle()
	passed := w.runOf("web:2", "1", 0)
	w.endRun(passed, v1alpha1.AnalysisPhaseSuccessful, "")
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 2, nil)

	w.ro.Spec.Strategy.Canary.Steps = []v1alpha1.CanaryStep{weight(50), analysisStep("latency"), pause()}
	w.ro.Generation++
	w.settle()
	fresh := w.runOf("web:2", "1", 0)
	if fresh == passed || fresh == "" {
		t.Fatalf("the edited step reuses run %s (runs %v)", passed, sortedKeys(w.runs))
	}
	w.expect(v1alpha1.RolloutPhaseProgressing, 1, map[string]int32{"web:2": 2})

	// Only the weight before the analysis changes: it measures again too.
	w.endRun(fresh, v1alpha1.AnalysisPhaseSuccessful, "")
	w.settle()
	w.ro.Spec.Strategy.Canary.Steps = []v1alpha1.CanaryStep{weight(25), analysisStep("latency"), pause()}
	w.ro.Generation++
	w.settle()
	if again := w.runOf("web:2", "1", 0); again == fresh {
		t.Errorf("the analysis under another weight reuses run %s", fresh)
	}
}
