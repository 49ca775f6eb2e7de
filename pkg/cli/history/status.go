package history

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// The status fills in what the Events lost: they expire (after an hour by default) and may be
// dropped. A condition's lastTransitionTime is when its status last flipped, while its reason
// and message are the latest, so a condition line says "in this state since", no more. Only the
// conditions older than the oldest Event are added, since the Events tell the rest better; all
// of them when there is no Event, and then a last line with where the rollout is now.

// phaseCondition is the condition that changes with each phase and carries its reason.
var phaseCondition = map[v1alpha1.RolloutPhase]string{
	v1alpha1.RolloutPhaseHealthy:     v1alpha1.ConditionHealthy,
	v1alpha1.RolloutPhasePaused:      v1alpha1.ConditionPaused,
	v1alpha1.RolloutPhaseProgressing: v1alpha1.ConditionProgressing,
	v1alpha1.RolloutPhaseDegraded:    v1alpha1.ConditionProgressing,
}

// conditionEntries are the lines of ro's conditions older than oldestEvent, or of all of them
// when there are no events. Without events the condition of the current phase is left to
// currentEntry, which says the same with revision, step and weight.
func conditionEntries(ro *v1alpha1.Rollout, oldestEvent time.Time, events bool) []Entry {
	var entries []Entry
	for _, c := range ro.Status.Conditions {
		if events && !c.LastTransitionTime.Time.Before(oldestEvent) {
			continue
		}
		if !events && c.Type == phaseCondition[ro.Status.Phase] {
			continue
		}
		if e, ok := conditionEntry(c); ok {
			entries = append(entries, e)
		}
	}
	return entries
}

// conditionEntry is the line of a condition whose status is news. Paused, Healthy or InvalidSpec
// False, and Progressing True, are the ordinary course of a rollout and only add noise.
func conditionEntry(c metav1.Condition) (Entry, bool) {
	e := Entry{
		Time: c.LastTransitionTime.Time, Reason: c.Reason, Message: c.Message,
		Type: corev1.EventTypeNormal, Source: SourceStatus,
	}
	isTrue := c.Status == metav1.ConditionTrue
	switch c.Type {
	case v1alpha1.ConditionAvailable:
		if !isTrue {
			e.Type = corev1.EventTypeWarning
		}
		return e, true
	case v1alpha1.ConditionProgressing:
		e.Type, e.ToPhase = corev1.EventTypeWarning, string(v1alpha1.RolloutPhaseDegraded)
		return e, !isTrue
	case v1alpha1.ConditionPaused:
		e.ToPhase = string(v1alpha1.RolloutPhasePaused)
	case v1alpha1.ConditionHealthy:
		e.ToPhase = string(v1alpha1.RolloutPhaseHealthy)
	case v1alpha1.ConditionInvalidSpec:
		e.Type = corev1.EventTypeWarning
	}
	return e, isTrue
}

// currentEntry is where ro is now, as of its newest condition's lastTransitionTime.
func currentEntry(ro *v1alpha1.Rollout) (Entry, bool) {
	st := ro.Status
	if st.Phase == "" && st.Message == "" {
		return Entry{}, false
	}
	e := Entry{
		Revision: st.CurrentPodHash, Step: ro.StepLabel(), ToPhase: string(st.Phase),
		Message: st.Message, Type: corev1.EventTypeNormal, Source: SourceStatus,
	}
	for _, c := range st.Conditions {
		if t := c.LastTransitionTime.Time; t.After(e.Time) {
			e.Time = t
		}
	}
	if c := meta.FindStatusCondition(st.Conditions, phaseCondition[st.Phase]); c != nil {
		e.Reason = c.Reason
	}
	if st.Phase == v1alpha1.RolloutPhaseDegraded {
		e.Type = corev1.EventTypeWarning
	}
	if w := st.Canary.Weights; w != nil && e.Step != "" {
		weight := w.Canary.Weight
		e.Weight = &weight
	}
	return e, true
}
