package plan

import (
	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/workload"
)

// UrgentChange: a change of a Rollout that must act at once, so the controller's queue takes it
// before routine work: a user's abort or promotion, or a template put back to the stable
// revision (the fast rollback planStable makes).
func UrgentChange(old, cur *v1alpha1.Rollout) bool {
	switch {
	case cur.Status.Abort && !old.Status.Abort:
		return true // abort: traffic back to stable
	case len(old.Status.PauseConditions) > 0 && len(cur.Status.PauseConditions) == 0 && cur.Status.ControllerPause:
		return true // promoted by a user
	case cur.Status.PromoteFull && !old.Status.PromoteFull:
		return true
	case cur.Generation != old.Generation:
		hash, err := workload.TemplateHash(&cur.Spec.Template, cur.Status.CollisionCount)
		return err == nil && backToStable(&cur.Status, hash)
	}
	return false
}

// backToStable: the template is the stable revision's again while another one was being
// released: a fast rollback, no steps.
func backToStable(st *v1alpha1.RolloutStatus, hash string) bool {
	return st.StableRS != "" && hash == st.StableRS && st.CurrentPodHash != "" && st.CurrentPodHash != hash
}
