// Package timeline writes what happens to a Rollout where users read it: every state
// transition is one structured log line and one Kubernetes Event with the same reason.
package timeline

import (
	"fmt"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/events"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/metrics"
	"github.com/ramp-dev/ramp/pkg/plan"
)

// Message is the constant log message of every timeline line; the data is in the keys.
const Message = "rollout transition"

// Recorder writes timeline entries to a logger and an Event recorder.
type Recorder struct {
	Log    logr.Logger
	Events events.EventRecorder
}

// Record writes one entry per note. ro carries the status the notes led to; fromPhase is the
// phase before them. Keys: rollout, revision, step, phase (from->to when it changed), reason,
// weight, message.
func (r Recorder) Record(ro *v1alpha1.Rollout, fromPhase v1alpha1.RolloutPhase, notes []plan.Note) {
	if len(notes) == 0 {
		return
	}
	st := ro.Status
	phase := string(st.Phase)
	if fromPhase != st.Phase {
		phase = fmt.Sprintf("%s->%s", fromPhase, st.Phase)
	}
	var weight int32
	if st.Canary.Weights != nil {
		weight = st.Canary.Weights.Canary.Weight
	}
	step := plan.StepLabel(ro)
	for _, n := range notes {
		metrics.Transitions.WithLabelValues(n.Reason).Inc()
		r.Log.Info(Message,
			"rollout", ro.Namespace+"/"+ro.Name, "revision", st.CurrentPodHash, "step", step,
			"phase", phase, "reason", n.Reason, "weight", weight, "message", n.Message)
		if r.Events != nil {
			kind := corev1.EventTypeNormal
			if n.Warning {
				kind = corev1.EventTypeWarning
			}
			r.Events.Eventf(ro, nil, kind, n.Reason, "Reconcile", "%s", n.Message)
		}
	}
}
