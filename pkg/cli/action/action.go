// Package action decides what each kubectl-ramp verb writes to a Rollout: a patch, or an error
// saying why the Rollout is in the wrong state for it. Pure: the Rollout in, the change out.
package action

import (
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/types"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// Change is one write to a Rollout.
type Change struct {
	// Status: the patch goes to the status subresource, where the controller's controls live.
	Status bool
	Type   types.PatchType
	Patch  []byte
	// Done says what was done, for the one line the command prints.
	Done string
	// Warning, when set, is printed after Done: something the user should know.
	Warning string
}

// WrongStateError is a verb the Rollout's state does not allow; Error says which state and
// what to do instead.
type WrongStateError struct{ Message string }

func (e *WrongStateError) Error() string { return e.Message }

func wrongState(format string, args ...any) error {
	return &WrongStateError{Message: fmt.Sprintf(format, args...)}
}

// mergePatch is a JSON merge patch carrying the resourceVersion the decision was made on, so
// that the API server refuses it (409 Conflict) if the Rollout changed in between.
func mergePatch(ro *v1alpha1.Rollout, section string, fields map[string]any) []byte {
	body := map[string]any{
		"metadata": map[string]any{"resourceVersion": ro.ResourceVersion},
		section:    fields,
	}
	data, _ := json.Marshal(body) // maps of plain values: cannot fail
	return data
}

func statusChange(ro *v1alpha1.Rollout, fields map[string]any, done string) Change {
	return Change{Status: true, Type: types.MergePatchType, Patch: mergePatch(ro, "status", fields), Done: done}
}

func specChange(ro *v1alpha1.Rollout, fields map[string]any, done string) Change {
	return Change{Type: types.MergePatchType, Patch: mergePatch(ro, "spec", fields), Done: done}
}

func ref(ro *v1alpha1.Rollout) string { return "rollout " + ro.Namespace + "/" + ro.Name }

// updating: a revision other than the stable one is being released.
func updating(ro *v1alpha1.Rollout) bool {
	st := ro.Status
	return st.CurrentPodHash != "" && st.StableRS != "" && st.CurrentPodHash != st.StableRS
}

// state describes the Rollout's phase and message for an error.
func state(ro *v1alpha1.Rollout) string {
	if ro.Status.Phase == "" {
		return "not yet seen by the controller"
	}
	if ro.Status.Message == "" {
		return string(ro.Status.Phase)
	}
	return fmt.Sprintf("%s: %s", ro.Status.Phase, ro.Status.Message)
}
