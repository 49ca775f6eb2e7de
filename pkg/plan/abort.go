package plan

import (
	"encoding/json"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// abortedBy names who set status.abort: the field manager that owns it (kubectl-ramp for the
// plugin, ramp-controller for progressDeadlineAbort), or "a user" when none can be told.
func abortedBy(ro *v1alpha1.Rollout) string {
	for i := len(ro.ManagedFields) - 1; i >= 0; i-- {
		mf := ro.ManagedFields[i]
		if mf.Subresource != "status" || mf.FieldsV1 == nil {
			continue
		}
		var fields struct {
			Status map[string]json.RawMessage `json:"f:status"`
		}
		if json.Unmarshal(mf.FieldsV1.Raw, &fields) == nil && fields.Status["f:abort"] != nil && mf.Manager != "" {
			return mf.Manager
		}
	}
	return "a user"
}
