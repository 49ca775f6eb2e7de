package history

import (
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/reference"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/plan"
	"github.com/ramp-dev/ramp/pkg/timeline"
)

// now is when the golden tables are read.
var now = time.Date(2025, 3, 14, 15, 30, 0, 0, time.UTC)

func at(clock string) time.Time {
	t, err := time.Parse(time.DateTime, "2025-03-14 "+clock)
	if err != nil {
		panic(err)
	}
	return t
}

// canaryRollout is a Rollout with five canary steps, as the controller leaves it Healthy.
func canaryRollout(name string, uid types.UID, steps ...v1alpha1.CanaryStep) *v1alpha1.Rollout {
	return &v1alpha1.Rollout{
		TypeMeta: metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "Rollout"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name, UID: uid,
			CreationTimestamp: metav1.NewTime(at("09:00:00"))},
		Spec: v1alpha1.RolloutSpec{Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{Steps: steps}}},
		Status: v1alpha1.RolloutStatus{
			Phase: v1alpha1.RolloutPhaseHealthy, Message: "revision 84c6d9f7b is stable: 5 of 5 pods available",
			CurrentPodHash: "84c6d9f7b", StableRS: "84c6d9f7b", CurrentStepIndex: ptr.To(int32(len(steps))),
			Canary: v1alpha1.CanaryStatus{Weights: &v1alpha1.TrafficWeights{}},
		},
	}
}

func setWeight(w int32) v1alpha1.CanaryStep { return v1alpha1.CanaryStep{SetWeight: &w} }

var (
	pauseStep    = v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{}}
	analysisStep = v1alpha1.CanaryStep{Analysis: &v1alpha1.RolloutAnalysis{}}
)

func condition(typ string, status bool, reason, message string, since time.Time) metav1.Condition {
	s := metav1.ConditionFalse
	if status {
		s = metav1.ConditionTrue
	}
	return metav1.Condition{Type: typ, Status: s, Reason: reason, Message: message, LastTransitionTime: metav1.NewTime(since)}
}

func note(reason, format string, args ...any) plan.Note {
	return plan.Note{Reason: reason, Message: fmt.Sprintf(format, args...)}
}

func warn(reason, format string, args ...any) plan.Note {
	return plan.Note{Reason: reason, Message: fmt.Sprintf(format, args...), Warning: true}
}

// story records a rollout's transitions through the controller's own timeline.Recorder, so
// that the tests read the Events exactly as the controller writes them.
type story struct {
	ro     *v1alpha1.Rollout
	events *fakeEvents
}

func newStory(t *testing.T, ro *v1alpha1.Rollout, start time.Time) *story {
	return &story{ro: ro, events: &fakeEvents{t: t, clock: start}}
}

// after moves the clock on by d.
func (s *story) after(d time.Duration) *story {
	s.events.clock = s.events.clock.Add(d)
	return s
}

// pass records the notes of one reconcile that left the rollout at step (index) and weight, in
// phase.
func (s *story) pass(phase v1alpha1.RolloutPhase, step, weight int32, notes ...plan.Note) *story {
	from := s.ro.Status.Phase
	st := &s.ro.Status
	st.Phase, st.CurrentStepIndex = phase, ptr.To(step)
	st.Canary.Weights = &v1alpha1.TrafficWeights{Canary: v1alpha1.WeightDestination{Weight: weight}}
	timeline.Recorder{Log: logr.Discard(), Events: s.events}.Record(s.ro, from, notes)
	return s
}

// run records the notes of the rollout's AnalysisRun name.
func (s *story) run(name string, notes ...plan.Note) *story {
	run := &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Namespace: s.ro.Namespace, Name: name}}
	run.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(s.ro, v1alpha1.GroupVersion.WithKind("Rollout"))}
	timeline.Recorder{Log: logr.Discard(), Events: s.events}.RecordRun(run, notes)
	return s
}

// repeated makes the last Event a series of count, last seen d after it began.
func (s *story) repeated(count int32, d time.Duration) *story {
	ev := &s.events.list[len(s.events.list)-1]
	ev.Series = &eventsv1.EventSeries{Count: count, LastObservedTime: metav1.NewMicroTime(ev.EventTime.Add(d))}
	return s
}

// Events are the recorded Events in reverse, as a list may return them in any order.
func (s *story) Events() []eventsv1.Event {
	out := make([]eventsv1.Event, 0, len(s.events.list))
	for i := len(s.events.list) - 1; i >= 0; i-- {
		out = append(out, s.events.list[i])
	}
	return out
}

var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}()

// fakeEvents makes the Events client-go's events recorder would make, on a clock the test moves.
type fakeEvents struct {
	t        *testing.T
	clock    time.Time
	recorded int64
	list     []eventsv1.Event
}

func (f *fakeEvents) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any) {
	f.AnnotatedEventf(regarding, related, nil, eventtype, reason, action, note, args...)
}

func (f *fakeEvents) AnnotatedEventf(regarding, related runtime.Object, annotations map[string]string, eventtype, reason, action, note string, args ...any) {
	ref, err := reference.GetReference(scheme, regarding)
	if err != nil {
		f.t.Fatalf("reference to the regarding object: %v", err)
	}
	var relatedRef *corev1.ObjectReference
	if related != nil {
		if relatedRef, err = reference.GetReference(scheme, related); err != nil {
			f.t.Fatalf("reference to the related object: %v", err)
		}
	}
	// The Events of one pass share their eventTime (the API keeps microseconds); the nanoseconds
	// in client-go's names tell them apart.
	f.recorded++
	f.list = append(f.list, eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("%s.%x", ref.Name, f.clock.UnixNano()+f.recorded), Namespace: ref.Namespace,
			Annotations: maps.Clone(annotations), CreationTimestamp: metav1.NewTime(f.clock),
		},
		EventTime: metav1.NewMicroTime(f.clock),
		Regarding: *ref, Related: relatedRef, ReportingController: "ramp-controller",
		Action: action, Reason: reason, Type: eventtype, Note: fmt.Sprintf(note, args...),
	})
}

// revision makes hash the rollout's newest revision.
func (s *story) revision(hash string) *story {
	s.ro.Status.CurrentPodHash = hash
	return s
}
