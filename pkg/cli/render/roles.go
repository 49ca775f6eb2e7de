package render

import (
	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// rolesOf are the parts a revision (by pod-template hash) plays in the rollout: stable and
// canary, or active and preview, in that order.
func rolesOf(ro *v1alpha1.Rollout, hash string) []string {
	if hash == "" {
		return nil
	}
	st := ro.Status
	var roles []string
	if ro.Spec.Strategy.BlueGreen != nil {
		bg := st.BlueGreen
		if hash == bg.ActiveSelector {
			roles = append(roles, "active")
		}
		// After a promotion the preview Service stays on the active revision: calling that
		// revision "preview" too would only blur which one is new.
		if hash == bg.PreviewSelector && bg.PreviewSelector != bg.ActiveSelector {
			roles = append(roles, "preview")
		}
		return roles
	}
	if hash == st.StableRS {
		roles = append(roles, "stable")
	}
	if hash == st.CurrentPodHash && st.CurrentPodHash != st.StableRS {
		roles = append(roles, "canary")
	}
	return roles
}
