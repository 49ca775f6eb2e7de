package action

import (
	"fmt"
	"time"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// Pause holds the Rollout where it is (spec.paused).
func Pause(ro *v1alpha1.Rollout) (Change, error) {
	if ro.Spec.Paused {
		return Change{}, wrongState("%s is already held by spec.paused; resume it with kubectl ramp resume %s", ref(ro), ro.Name)
	}
	return specChange(ro, map[string]any{"paused": true}, fmt.Sprintf("%s paused: it holds where it is until kubectl ramp resume %s", ref(ro), ro.Name)), nil
}

// Resume lets a Rollout held by spec.paused go on.
func Resume(ro *v1alpha1.Rollout) (Change, error) {
	if !ro.Spec.Paused {
		if len(ro.Status.PauseConditions) > 0 {
			return Change{}, wrongState("%s is not held by spec.paused but paused by the controller (%s): promote it (kubectl ramp promote %s)", ref(ro), state(ro), ro.Name)
		}
		return Change{}, wrongState("%s is not paused: %s", ref(ro), state(ro))
	}
	return specChange(ro, map[string]any{"paused": false}, fmt.Sprintf("%s resumed", ref(ro))), nil
}

// Restart replaces every pod of the Rollout, a few at a time (spec.restartAt = now).
func Restart(ro *v1alpha1.Rollout, now time.Time) (Change, error) {
	at := now.UTC().Truncate(time.Second)
	c := specChange(ro, map[string]any{"restartAt": at.Format(time.RFC3339)},
		fmt.Sprintf("%s restarting: pods created before %s are replaced, %s", ref(ro), at.Format(time.RFC3339), "a few at a time"))
	if ph := ro.Status.Phase; ph != v1alpha1.RolloutPhaseHealthy && ph != v1alpha1.RolloutPhasePaused {
		c.Warning = fmt.Sprintf("the rollout is %s: the restart starts once it is Healthy or Paused", state(ro))
	}
	return c, nil
}
