package history

import (
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// regards tells whether ev is about ro: a Rollout of ramp's API group (when the reference names
// one) with ro's name and namespace, and ro's UID when both have one. The UID drops the Events of
// an earlier Rollout of the same name, and those of an Argo Rollout of the same name.
func regards(ev *eventsv1.Event, ro *v1alpha1.Rollout) bool {
	ref := ev.Regarding
	if ref.Kind != "Rollout" || ref.Name != ro.Name {
		return false
	}
	if ref.Namespace != "" && ro.Namespace != "" && ref.Namespace != ro.Namespace {
		return false
	}
	if ref.APIVersion != "" {
		if gv, err := schema.ParseGroupVersion(ref.APIVersion); err != nil || gv.Group != v1alpha1.GroupVersion.Group {
			return false
		}
	}
	return ref.UID == "" || ro.UID == "" || ref.UID == ro.UID
}

// fromEvent is the Entry of one Event recorded by pkg/timeline. Events of older controllers, and
// those of AnalysisRuns, lack the state annotations and leave those fields empty.
func fromEvent(ev *eventsv1.Event) Entry {
	a := ev.Annotations // reading a nil map is fine
	e := Entry{
		Time:      occurredAt(ev),
		Revision:  a[v1alpha1.TimelineRevisionAnnotation],
		Step:      a[v1alpha1.TimelineStepAnnotation],
		FromPhase: a[v1alpha1.TimelineFromPhaseAnnotation],
		ToPhase:   a[v1alpha1.TimelineToPhaseAnnotation],
		Reason:    ev.Reason,
		Message:   ev.Note,
		Type:      ev.Type,
		Count:     repeats(ev),
		Source:    SourceEvent,
	}
	if e.Type == "" {
		e.Type = corev1.EventTypeNormal
	}
	// The recorder writes weight 0 when there is no canary, so a weight means something only
	// beside a step, which only canaries have.
	if w, err := strconv.ParseInt(a[v1alpha1.TimelineWeightAnnotation], 10, 32); err == nil && e.Step != "" {
		weight := int32(w)
		e.Weight = &weight
	}
	e.AnalysisRun = a[v1alpha1.TimelineAnalysisRunAnnotation]
	if e.AnalysisRun == "" && ev.Related != nil && ev.Related.Kind == "AnalysisRun" {
		e.AnalysisRun = ev.Related.Name
	}
	return e
}

// occurredAt is when ev first happened, which is what orders a timeline. eventTime is the first
// occurrence (a series keeps it and moves series.lastObservedTime instead); Events written
// through the core/v1 API have none and keep it in deprecatedFirstTimestamp; the API server
// sets creationTimestamp when the first occurrence is stored. The last-occurrence times are
// only a fallback for Events that have nothing else.
func occurredAt(ev *eventsv1.Event) time.Time {
	for _, t := range []time.Time{
		ev.EventTime.Time,
		ev.DeprecatedFirstTimestamp.Time,
		ev.CreationTimestamp.Time,
		ev.DeprecatedLastTimestamp.Time,
		lastObserved(ev),
	} {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

func lastObserved(ev *eventsv1.Event) time.Time {
	if ev.Series == nil {
		return time.Time{}
	}
	return ev.Series.LastObservedTime.Time
}

// repeats is how many times ev happened when more than once, else 0.
func repeats(ev *eventsv1.Event) int32 {
	n := ev.DeprecatedCount
	if ev.Series != nil {
		n = max(n, ev.Series.Count)
	}
	if n > 1 {
		return n
	}
	return 0
}
