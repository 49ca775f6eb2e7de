// Package timeline writes what happens to a Rollout where users read it: every state
// transition is one structured log line and one Kubernetes Event with the same reason.
package timeline

import (
	"fmt"
	"strconv"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/analysis"
	"github.com/ramp-dev/ramp/pkg/metrics"
	"github.com/ramp-dev/ramp/pkg/notify"
	"github.com/ramp-dev/ramp/pkg/plan"
)

// Message is the constant log message of every timeline line; the data is in the keys.
const Message = "rollout transition"

// Recorder writes timeline entries to a logger and an Event recorder, and hands each to the
// Notifier, when there is one, for the Rollout's webhook.
type Recorder struct {
	Log      logr.Logger
	Events   events.EventRecorder
	Notifier Notifier
}

// Notifier takes transitions without blocking (notify.Notifier).
type Notifier interface{ Notify(notify.Transition) }

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
	step := ro.StepLabel()
	annotations := map[string]string{
		v1alpha1.TimelineRevisionAnnotation:  st.CurrentPodHash,
		v1alpha1.TimelineFromPhaseAnnotation: string(fromPhase),
		v1alpha1.TimelineToPhaseAnnotation:   string(st.Phase),
		v1alpha1.TimelineWeightAnnotation:    strconv.Itoa(int(weight)),
	}
	if step != "" {
		annotations[v1alpha1.TimelineStepAnnotation] = step
	}
	for _, n := range notes {
		n.Message = analysis.Excerpt(n.Message, MaxMessageBytes)
		metrics.Transitions.WithLabelValues(n.Reason).Inc()
		r.Log.Info(Message,
			"rollout", ro.Namespace+"/"+ro.Name, "revision", st.CurrentPodHash, "step", step,
			"phase", phase, "reason", n.Reason, "weight", weight, "message", n.Message)
		if r.Events != nil {
			kind := corev1.EventTypeNormal
			if n.Warning {
				kind = corev1.EventTypeWarning
			}
			r.event(ro, nil, annotations, kind, n.Reason, "Reconcile", n.Message)
		}
		if r.Notifier != nil {
			r.Notifier.Notify(notify.Transition{
				Namespace: ro.Namespace, Rollout: ro.Name, Reason: n.Reason, Message: n.Message, Warning: n.Warning,
				Revision: st.CurrentPodHash, Step: step, FromPhase: string(fromPhase), Phase: string(st.Phase), Weight: weight,
				Time: time.Now().UTC(), UID: string(ro.UID), Annotations: ro.Annotations,
			})
		}
	}
}

// MaxMessageBytes bounds a timeline line's message: it may quote what a tenant's endpoint
// answered, which belongs in the AnalysisRun (itself bounded), not whole in Events and logs.
const MaxMessageBytes = 512

// RunMessage is the constant log message of every AnalysisRun timeline line.
const RunMessage = "analysis transition"

// RecordRun writes one entry per note of an AnalysisRun: a log line with the keys rollout,
// analysisrun, phase, reason and message, and an Event regarding the Rollout that owns the run
// (related: the run), so that the Rollout's timeline tells the analysis too.
func (r Recorder) RecordRun(run *v1alpha1.AnalysisRun, notes []plan.Note) {
	owner := metav1.GetControllerOf(run)
	rollout := ""
	if owner != nil {
		rollout = run.Namespace + "/" + owner.Name
	}
	for _, n := range notes {
		n.Message = analysis.Excerpt(n.Message, MaxMessageBytes)
		metrics.Transitions.WithLabelValues(n.Reason).Inc()
		r.Log.Info(RunMessage, "rollout", rollout, "analysisrun", run.Namespace+"/"+run.Name,
			"phase", string(run.Status.Phase), "reason", n.Reason, "message", n.Message)
		if r.Events == nil || owner == nil {
			continue
		}
		kind := corev1.EventTypeNormal
		if n.Warning {
			kind = corev1.EventTypeWarning
		}
		regarding := &v1alpha1.Rollout{
			TypeMeta:   metav1.TypeMeta{APIVersion: owner.APIVersion, Kind: owner.Kind},
			ObjectMeta: metav1.ObjectMeta{Namespace: run.Namespace, Name: owner.Name, UID: owner.UID},
		}
		r.event(regarding, run, map[string]string{v1alpha1.TimelineAnalysisRunAnnotation: run.Name}, kind, n.Reason, "Analysis", n.Message)
	}
}

// event records with annotations when the recorder can (client-go's can; fakes may not).
func (r Recorder) event(regarding, related runtime.Object, annotations map[string]string, kind, reason, action, message string) {
	if a, ok := r.Events.(events.AnnotatedEventRecorder); ok {
		a.AnnotatedEventf(regarding, related, annotations, kind, reason, action, "%s", message)
		return
	}
	r.Events.Eventf(regarding, related, kind, reason, action, "%s", message)
}
