package action

import (
	"fmt"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// Promote ends the pause the Rollout is in: a pause step, an Inconclusive analysis, or a
// blue-green preview waiting to be switched.
func Promote(ro *v1alpha1.Rollout) (Change, error) {
	if err := promotable(ro); err != nil {
		return Change{}, err
	}
	if len(ro.Status.PauseConditions) == 0 {
		if updating(ro) {
			return Change{}, wrongState("%s is not paused (%s); to skip its remaining steps: kubectl ramp promote %s --full", ref(ro), state(ro), ro.Name)
		}
		return Change{}, wrongState("%s has nothing to promote: %s", ref(ro), state(ro))
	}
	return statusChange(ro, map[string]any{"pauseConditions": nil}, fmt.Sprintf("%s promoted: %s", ref(ro), promotedPast(ro))), nil
}

// PromoteFull skips every remaining step (canary) or switches at once (blue-green).
func PromoteFull(ro *v1alpha1.Rollout) (Change, error) {
	if err := promotable(ro); err != nil {
		return Change{}, err
	}
	if !updating(ro) {
		return Change{}, wrongState("%s has nothing to promote: %s", ref(ro), state(ro))
	}
	if ro.Status.PromoteFull {
		return Change{}, wrongState("%s is already being promoted to full: %s", ref(ro), state(ro))
	}
	return statusChange(ro, map[string]any{"promoteFull": true},
		fmt.Sprintf("%s promoted to full: revision %s replaces %s without the remaining steps", ref(ro), ro.Status.CurrentPodHash, ro.Status.StableRS)), nil
}

func promotable(ro *v1alpha1.Rollout) error {
	switch {
	case ro.IsAborted():
		return wrongState("%s is aborted (%s): retry it first (kubectl ramp retry %s)", ref(ro), state(ro), ro.Name)
	case ro.Spec.Paused:
		return wrongState("%s is held by spec.paused: resume it (kubectl ramp resume %s)", ref(ro), ro.Name)
	}
	return nil
}

// promotedPast says which pause the promotion ends.
func promotedPast(ro *v1alpha1.Rollout) string {
	for _, c := range ro.Status.PauseConditions {
		switch {
		case c.Reason.Is(v1alpha1.PauseReasonInconclusiveAnalysis):
			return "the Inconclusive analysis is accepted and the rollout goes on"
		case c.Reason.Is(v1alpha1.PauseReasonBlueGreenPause):
			return fmt.Sprintf("the active Service switches to revision %s once all its pods are available", ro.Status.CurrentPodHash)
		}
	}
	if c := ro.Spec.Strategy.Canary; c != nil {
		return fmt.Sprintf("pause at step %s ended", ro.StepLabel())
	}
	return "pause ended"
}
