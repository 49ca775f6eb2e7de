package history

import (
	"bytes"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// event is an Event regarding the Rollout shop/web.
func event(name string, t time.Time, annotations map[string]string) eventsv1.Event {
	return eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name, Annotations: annotations},
		EventTime:  metav1.NewMicroTime(t),
		Regarding:  corev1.ObjectReference{APIVersion: v1alpha1.GroupVersion.String(), Kind: "Rollout", Namespace: "shop", Name: "web", UID: "uid-web"},
		Reason:     name, Type: corev1.EventTypeNormal,
	}
}

func web() *v1alpha1.Rollout { return canaryRollout("web", "uid-web", setWeight(20)) }

func reasons(entries []Entry) []string {
	var r []string
	for _, e := range entries {
		r = append(r, e.Reason)
	}
	return r
}

func TestBuildKeepsTheEventsOfThisRolloutOnly(t *testing.T) {
	ro, events := otherRollouts(t)
	entries := Build(ro, events)
	if len(entries) != 3 {
		t.Fatalf("want the 3 Events of rollout checkout %s, got %q", ro.UID, reasons(entries))
	}
	for _, e := range entries {
		if e.Revision != "6d4f8b7c9" {
			t.Errorf("entry of another rollout kept: %+v", e)
		}
	}
}

func TestBuildOrdersByFirstOccurrenceThenName(t *testing.T) {
	same := at("15:00:00")
	series := event("web.182c4a7e00000001", at("14:59:00"), nil)
	series.Series = &eventsv1.EventSeries{Count: 5, LastObservedTime: metav1.NewMicroTime(at("15:10:00"))}
	events := []eventsv1.Event{
		event("web.182c4a7e0000000c", same, nil),
		event("web.182c4a7e0000000b", same, nil),
		series,
		event("web.182c4a7e0000000a", same, nil),
	}
	got := reasons(Build(web(), events))
	want := []string{"web.182c4a7e00000001", "web.182c4a7e0000000a", "web.182c4a7e0000000b", "web.182c4a7e0000000c"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

func TestOccurredAtIsTheFirstOccurrence(t *testing.T) {
	first, created, last := at("15:00:00"), at("15:00:01"), at("15:20:00")
	for name, c := range map[string]struct {
		ev   eventsv1.Event
		want time.Time
	}{
		"series": {eventsv1.Event{EventTime: metav1.NewMicroTime(first), Series: &eventsv1.EventSeries{Count: 3, LastObservedTime: metav1.NewMicroTime(last)}}, first},
		"core/v1": {eventsv1.Event{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(created)},
			DeprecatedFirstTimestamp: metav1.NewTime(first), DeprecatedLastTimestamp: metav1.NewTime(last)}, first},
		"created only":   {eventsv1.Event{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(created)}, DeprecatedLastTimestamp: metav1.NewTime(last)}, created},
		"last only":      {eventsv1.Event{DeprecatedLastTimestamp: metav1.NewTime(last)}, last},
		"series only":    {eventsv1.Event{Series: &eventsv1.EventSeries{LastObservedTime: metav1.NewMicroTime(last)}}, last},
		"no time at all": {eventsv1.Event{}, time.Time{}},
	} {
		if got := occurredAt(&c.ev); !got.Equal(c.want) {
			t.Errorf("%s: occurredAt = %v, want %v", name, got, c.want)
		}
	}
}

func TestRepeats(t *testing.T) {
	for _, c := range []struct {
		ev   eventsv1.Event
		want int32
	}{
		{eventsv1.Event{}, 0},
		{eventsv1.Event{DeprecatedCount: 1}, 0},
		{eventsv1.Event{DeprecatedCount: 4}, 4},
		{eventsv1.Event{Series: &eventsv1.EventSeries{Count: 7}}, 7},
	} {
		if got := repeats(&c.ev); got != c.want {
			t.Errorf("repeats(%+v) = %d, want %d", c.ev, got, c.want)
		}
	}
}

func TestBuildReadsTheAnnotations(t *testing.T) {
	canary := event("web.1", at("15:00:00"), map[string]string{
		v1alpha1.TimelineRevisionAnnotation: "5d6f", v1alpha1.TimelineStepAnnotation: "2/3",
		v1alpha1.TimelineFromPhaseAnnotation: "Paused", v1alpha1.TimelineToPhaseAnnotation: "Progressing",
		v1alpha1.TimelineWeightAnnotation: "0",
	})
	blueGreen := event("web.2", at("15:00:01"), map[string]string{
		v1alpha1.TimelineRevisionAnnotation: "5d6f", v1alpha1.TimelineWeightAnnotation: "0",
	})
	entries := Build(web(), []eventsv1.Event{canary, blueGreen})
	if len(entries) != 2 {
		t.Fatalf("got %d entries", len(entries))
	}
	e := entries[0]
	if e.Revision != "5d6f" || e.Step != "2/3" || e.FromPhase != "Paused" || e.ToPhase != "Progressing" || e.Weight == nil || *e.Weight != 0 {
		t.Errorf("canary entry %+v", e)
	}
	if entries[1].Weight != nil {
		t.Errorf("a weight without a step (blue-green) is the recorder's 0, not a weight: %d", *entries[1].Weight)
	}
}

func TestBuildNamesTheAnalysisRun(t *testing.T) {
	annotated := event("web.1", at("15:00:00"), map[string]string{v1alpha1.TimelineAnalysisRunAnnotation: "web-5d6f-2"})
	related := event("web.2", at("15:00:01"), nil)
	related.Related = &corev1.ObjectReference{Kind: "AnalysisRun", Name: "web-5d6f-3"}
	pod := event("web.3", at("15:00:02"), nil)
	pod.Related = &corev1.ObjectReference{Kind: "Pod", Name: "web-5d6f-x"}
	entries := Build(web(), []eventsv1.Event{annotated, related, pod})
	for i, want := range []string{"web-5d6f-2", "web-5d6f-3", ""} {
		if entries[i].AnalysisRun != want {
			t.Errorf("entry %d names AnalysisRun %q, want %q", i, entries[i].AnalysisRun, want)
		}
	}
}

func TestBuildSurvivesPartialEvents(t *testing.T) {
	bare := eventsv1.Event{Regarding: corev1.ObjectReference{Kind: "Rollout", Name: "web"}}
	badWeight := event("web.1", time.Time{}, map[string]string{v1alpha1.TimelineStepAnnotation: "1/1", v1alpha1.TimelineWeightAnnotation: "a lot"})
	badWeight.Series = &eventsv1.EventSeries{}
	badWeight.Related = &corev1.ObjectReference{}
	events := []eventsv1.Event{{}, bare, badWeight, {Regarding: corev1.ObjectReference{Kind: "Rollout"}}}

	ro := web()
	ro.Status.Conditions = []metav1.Condition{{Type: v1alpha1.ConditionAvailable, Status: metav1.ConditionTrue}}
	entries := Build(ro, events)
	if len(entries) != 2 {
		t.Fatalf("want the 2 Events regarding rollout web, got %+v", entries)
	}
	for _, e := range entries {
		if e.Type != corev1.EventTypeNormal || e.Weight != nil || e.Source != SourceEvent {
			t.Errorf("partial Event read as %+v", e)
		}
	}
	if err := WriteText(&bytes.Buffer{}, entries, Options{}); err != nil {
		t.Error(err)
	}
	if err := WriteJSON(&bytes.Buffer{}, entries); err != nil {
		t.Error(err)
	}
	if got := Build(nil, events); got != nil {
		t.Errorf("Build(nil) = %+v", got)
	}
	if got := Build(&v1alpha1.Rollout{}, nil); len(got) != 0 {
		t.Errorf("a Rollout without status has no timeline, got %+v", got)
	}
}

func TestStatusFillsInOnlyBeforeTheOldestEvent(t *testing.T) {
	for name, story := range map[string]func(*testing.T) (*v1alpha1.Rollout, []eventsv1.Event){"canary release": canaryRelease, "abort": abort} {
		ro, events := story(t)
		entries := Build(ro, events)
		var fromStatus []Entry
		for _, e := range entries {
			if e.Source == SourceStatus {
				fromStatus = append(fromStatus, e)
			}
		}
		if len(fromStatus) != 1 || fromStatus[0].Reason != v1alpha1.ReasonAvailable || entries[0] != fromStatus[0] {
			t.Errorf("%s: want only the Available condition, older than every Event, first; got %+v", name, fromStatus)
		}
	}
}

func TestWithoutEventsTheStatusSaysWhereTheRolloutIs(t *testing.T) {
	ro := statusOnly()
	entries := Build(ro, nil)
	if len(entries) != 2 {
		t.Fatalf("want the Available condition and the current state, got %+v", entries)
	}
	now := entries[1]
	if now.ToPhase != string(v1alpha1.RolloutPhasePaused) || now.Reason != v1alpha1.ReasonCanaryPauseStep ||
		now.Message != ro.Status.Message || !now.Time.Equal(at("14:55:03")) || now.Step != "2/5" ||
		now.Weight == nil || *now.Weight != 20 || now.Revision != "7c8d9e6f5" || now.Source != SourceStatus {
		t.Errorf("current state %+v", now)
	}

	ro.Status.Phase = v1alpha1.RolloutPhaseDegraded
	ro.Status.Conditions = []metav1.Condition{condition(v1alpha1.ConditionProgressing, false, v1alpha1.ReasonAborted, "aborted", at("15:00:00"))}
	entries = Build(ro, nil)
	if len(entries) != 1 || entries[0].Type != corev1.EventTypeWarning || entries[0].Reason != v1alpha1.ReasonAborted {
		t.Errorf("a Degraded rollout without Events: %+v", entries)
	}
}

func TestConditionsWorthALine(t *testing.T) {
	for _, c := range []struct {
		typ       string
		status    bool
		wantLine  bool
		wantType  string
		wantPhase string
	}{
		{v1alpha1.ConditionAvailable, true, true, "Normal", ""},
		{v1alpha1.ConditionAvailable, false, true, "Warning", ""},
		{v1alpha1.ConditionProgressing, true, false, "", ""},
		{v1alpha1.ConditionProgressing, false, true, "Warning", "Degraded"},
		{v1alpha1.ConditionPaused, true, true, "Normal", "Paused"},
		{v1alpha1.ConditionPaused, false, false, "", ""},
		{v1alpha1.ConditionHealthy, true, true, "Normal", "Healthy"},
		{v1alpha1.ConditionHealthy, false, false, "", ""},
		{v1alpha1.ConditionInvalidSpec, true, true, "Warning", ""},
		{v1alpha1.ConditionInvalidSpec, false, false, "", ""},
	} {
		e, ok := conditionEntry(condition(c.typ, c.status, "Why", "what", now))
		if ok != c.wantLine || ok && (e.Type != c.wantType || e.ToPhase != c.wantPhase) {
			t.Errorf("%s=%v: line %v %+v, want line %v type %q phase %q", c.typ, c.status, ok, e, c.wantLine, c.wantType, c.wantPhase)
		}
	}
}
