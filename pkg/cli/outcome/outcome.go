// Package outcome judges where a Rollout's release stands, for `kubectl ramp status` in CI:
// done, failed, waiting for a human, or still going.
package outcome

import (
	"fmt"
	"strings"

	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// Kind is where a release stands.
type Kind int

// The kinds, with the exit code kubectl ramp status ends with.
const (
	Going    Kind = -1 // not finished: keep waiting
	Healthy  Kind = 0
	Degraded Kind = 1
	Paused   Kind = 2
	TimedOut Kind = 3
)

// Outcome is the judgement of one look at a Rollout.
type Outcome struct {
	Kind Kind
	// Line describes the state in one line, for printing each transition.
	Line string
}

// Judge reads ro's status. A status the controller wrote for an older generation of the spec
// is not trusted: the release of the new spec has not been looked at yet.
func Judge(ro *v1alpha1.Rollout) Outcome {
	st := ro.Status
	if st.ObservedGeneration < ro.Generation || st.Phase == "" {
		return Outcome{Kind: Going, Line: fmt.Sprintf("waiting for the controller to observe generation %d", ro.Generation)}
	}
	line := string(st.Phase)
	if step := ro.StepLabel(); step != "" && st.Phase != v1alpha1.RolloutPhaseHealthy && !strings.Contains(st.Message, "step "+step) {
		line += " at step " + step
	}
	if st.Message != "" {
		line += ": " + st.Message
	}
	switch st.Phase {
	case v1alpha1.RolloutPhaseHealthy:
		return Outcome{Kind: Healthy, Line: line}
	case v1alpha1.RolloutPhaseDegraded:
		return Outcome{Kind: Degraded, Line: line}
	case v1alpha1.RolloutPhasePaused:
		if endsByItself(ro) {
			return Outcome{Kind: Going, Line: line}
		}
		return Outcome{Kind: Paused, Line: line}
	}
	return Outcome{Kind: Going, Line: line}
}

// endsByItself: the pause is a timed one (a pause step with a duration, or a blue-green preview
// auto-promoted after autoPromotionSeconds), so no human is needed and status keeps waiting.
func endsByItself(ro *v1alpha1.Rollout) bool {
	st := ro.Status
	if ro.Spec.Paused || st.Abort || len(st.PauseConditions) == 0 {
		return false
	}
	for _, c := range st.PauseConditions {
		switch c.Reason {
		case v1alpha1.PauseReasonCanaryPauseStep:
			steps, idx := stepsOf(ro), ptr.Deref(st.CurrentStepIndex, 0)
			if idx < 0 || int(idx) >= len(steps) || steps[idx].Pause == nil || steps[idx].Pause.Duration == nil {
				return false
			}
		case v1alpha1.PauseReasonBlueGreenPause:
			bg := ro.Spec.Strategy.BlueGreen
			if bg == nil || !bg.AutoPromotes() || bg.AutoPromotionSeconds <= 0 {
				return false
			}
		default: // an Inconclusive analysis waits for a human
			return false
		}
	}
	return true
}

func stepsOf(ro *v1alpha1.Rollout) []v1alpha1.CanaryStep {
	if c := ro.Spec.Strategy.Canary; c != nil {
		return c.Steps
	}
	return nil
}
