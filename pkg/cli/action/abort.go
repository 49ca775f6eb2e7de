package action

import (
	"fmt"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// Abort sends all traffic back to the stable revision and stops the release.
func Abort(ro *v1alpha1.Rollout) (Change, error) {
	if ro.Status.Abort {
		return Change{}, wrongState("%s is already aborted (%s): retry it (kubectl ramp retry %s) or undo (kubectl ramp undo %s)", ref(ro), state(ro), ro.Name, ro.Name)
	}
	if !updating(ro) {
		return Change{}, wrongState("%s has no release in progress to abort: %s", ref(ro), state(ro))
	}
	return statusChange(ro, map[string]any{"abort": true},
		fmt.Sprintf("%s aborted: traffic goes back to stable revision %s", ref(ro), ro.Status.StableRS)), nil
}

// Retry starts an aborted release again from its first step. It refuses an abort the
// controller has not carried out yet (status.abortedAt unset): clearing abort then would only
// cancel it, and the release would go on from where it was.
func Retry(ro *v1alpha1.Rollout) (Change, error) {
	st := ro.Status
	switch {
	case !st.Abort && st.AbortedAt == nil:
		return Change{}, wrongState("%s is not aborted, nothing to retry: %s", ref(ro), state(ro))
	case !st.Abort:
		return Change{}, wrongState("%s is already being retried: %s", ref(ro), state(ro))
	case st.AbortedAt == nil:
		return Change{}, wrongState("%s: the controller has not carried out the abort yet; retry once the rollout is Degraded (kubectl ramp status %s)", ref(ro), ro.Name)
	}
	return statusChange(ro, map[string]any{"abort": false},
		fmt.Sprintf("%s retried: revision %s starts again from the first step", ref(ro), st.CurrentPodHash)), nil
}
