package history

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// The rollouts the golden files show, each with the Events of its namespace.

const (
	progressing = v1alpha1.RolloutPhaseProgressing
	paused      = v1alpha1.RolloutPhasePaused
	healthy     = v1alpha1.RolloutPhaseHealthy
	degraded    = v1alpha1.RolloutPhaseDegraded
)

// canaryRelease: a new revision goes through weight 20, a pause promoted by hand, weight 50, an
// analysis and weight 100. The rollout has been available since the morning, before any Event.
func canaryRelease(t *testing.T) (*v1alpha1.Rollout, []eventsv1.Event) {
	ro := canaryRollout("checkout", "0b6c3f6e-checkout", setWeight(20), pauseStep, setWeight(50), analysisStep, setWeight(100))
	ro.Status.Conditions = []metav1.Condition{
		condition(v1alpha1.ConditionAvailable, true, v1alpha1.ReasonAvailable, "5 of 5 pods available", at("09:01:30")),
		condition(v1alpha1.ConditionProgressing, true, v1alpha1.ReasonCompleted, "revision 6d4f8b7c9 is stable: 5 of 5 pods available", at("09:01:30")),
		condition(v1alpha1.ConditionHealthy, true, v1alpha1.ReasonHealthy, "revision 6d4f8b7c9 is stable: 5 of 5 pods available", at("15:13:58")),
	}
	const run = "checkout-6d4f8b7c9-4"
	s := newStory(t, ro, at("15:02:10")).revision("6d4f8b7c9").
		pass(progressing, 0, 0, note(v1alpha1.ReasonRevisionDetected, "new revision 6d4f8b7c9: starting 5 steps")).
		after(2*time.Second).pass(progressing, 0, 20, note(v1alpha1.ReasonWeightChanged, "canary weight 0 -> 20 (nginx: [checkout-checkout-canary])")).
		after(38*time.Second).pass(paused, 1, 20,
		note(v1alpha1.ReasonStepCompleted, "step 1/5: setWeight 20 reached with 1 canary pods available"),
		note(v1alpha1.ReasonPaused, "paused at step 2/5 until promoted (kubectl ramp promote checkout)")).
		after(6*time.Minute+12*time.Second).pass(progressing, 2, 20, note(v1alpha1.ReasonPromoted, "promoted past the pause at step 2/5")).
		after(time.Second).pass(progressing, 2, 50, note(v1alpha1.ReasonWeightChanged, "canary weight 20 -> 50 (nginx: [checkout-checkout-canary])")).
		after(44*time.Second).pass(progressing, 3, 50,
		note(v1alpha1.ReasonStepCompleted, "step 3/5: setWeight 50 reached with 3 canary pods available"),
		note(v1alpha1.ReasonAnalysisStarted, "step 4/5: AnalysisRun %s started", run)).
		after(time.Minute).run(run, note(v1alpha1.ReasonMeasurement, "AnalysisRun %s metric success-rate: Successful, value 0.998", run)).
		after(time.Minute).run(run, note(v1alpha1.ReasonMeasurement, "AnalysisRun %s metric success-rate: Successful, value 0.997", run)).
		after(time.Minute).run(run,
		note(v1alpha1.ReasonMeasurement, "AnalysisRun %s metric success-rate: Successful, value 0.999", run),
		note(v1alpha1.ReasonRunPhase, "AnalysisRun %s Successful: metric success-rate assessed Successful", run)).
		after(2*time.Second).pass(progressing, 4, 50, note(v1alpha1.ReasonAnalysisPassed, "step 4/5: AnalysisRun %s Successful", run)).
		after(time.Second).pass(progressing, 4, 100, note(v1alpha1.ReasonWeightChanged, "canary weight 50 -> 100 (nginx: [checkout-checkout-canary])")).
		after(50*time.Second).pass(healthy, 5, 100,
		note(v1alpha1.ReasonStepCompleted, "step 5/5: setWeight 100 reached with 5 canary pods available"),
		note(v1alpha1.ReasonCompleted, "revision 6d4f8b7c9 is fully available and becomes stable"),
		note(v1alpha1.ReasonHealthy, "revision 6d4f8b7c9 is stable: 5 of 5 pods available"))
	return ro, s.Events()
}

// abort: the analysis of the second step fails and the controller aborts the update.
func abort(t *testing.T) (*v1alpha1.Rollout, []eventsv1.Event) {
	ro := canaryRollout("payments", "5e1d9a40-payments", setWeight(10), analysisStep, setWeight(50), pauseStep)
	const message = "update to revision 5f7c9d8b6 aborted by AnalysisRun payments-5f7c9d8b6-2 (metric error-rate assessed Failed) at step 2/4: stable revision 84c6d9f7b back to full scale"
	ro.Status.Conditions = []metav1.Condition{
		condition(v1alpha1.ConditionAvailable, true, v1alpha1.ReasonAvailable, "4 of 4 pods available", at("09:00:40")),
		condition(v1alpha1.ConditionProgressing, false, v1alpha1.ReasonAborted, message, at("15:15:34")),
	}
	const run = "payments-5f7c9d8b6-2"
	s := newStory(t, ro, at("15:12:00")).revision("5f7c9d8b6").
		pass(progressing, 0, 0, note(v1alpha1.ReasonRevisionDetected, "new revision 5f7c9d8b6: starting 4 steps")).
		after(2*time.Second).pass(progressing, 0, 10, note(v1alpha1.ReasonWeightChanged, "canary weight 0 -> 10 (nginx: [payments-payments-canary])")).
		after(31*time.Second).pass(progressing, 1, 10,
		note(v1alpha1.ReasonStepCompleted, "step 1/4: setWeight 10 reached with 1 canary pods available"),
		note(v1alpha1.ReasonAnalysisStarted, "step 2/4: AnalysisRun %s started", run)).
		after(time.Minute).run(run, note(v1alpha1.ReasonMeasurement, "AnalysisRun %s metric error-rate: Successful, value 0.004", run)).
		after(time.Minute).run(run, warn(v1alpha1.ReasonMeasurement, "AnalysisRun %s metric error-rate: Failed, value 0.071", run)).
		after(time.Minute).run(run,
		warn(v1alpha1.ReasonMeasurement, "AnalysisRun %s metric error-rate: Failed, value 0.083", run),
		warn(v1alpha1.ReasonRunPhase, "AnalysisRun %s Failed: metric error-rate assessed Failed", run)).
		after(time.Second).pass(degraded, 1, 0,
		warn(v1alpha1.ReasonAnalysisFailed, "AnalysisRun %s Failed: metric error-rate assessed Failed", run),
		warn(v1alpha1.ReasonAborted, message)).
		after(time.Second).pass(degraded, 1, 0, note(v1alpha1.ReasonWeightChanged, "canary weight 10 -> 0 (nginx: [payments-payments-canary])"))
	return ro, s.Events()
}

// otherRollouts: the namespace also holds the Events of another rollout, of an earlier rollout
// of the same name (another UID), of an Argo Rollout and of a Pod of the same name.
func otherRollouts(t *testing.T) (*v1alpha1.Rollout, []eventsv1.Event) {
	ro := canaryRollout("checkout", "7a2e4c11-new", setWeight(20), pauseStep)
	mine := newStory(t, ro, at("15:20:00")).revision("6d4f8b7c9").
		pass(progressing, 0, 0, note(v1alpha1.ReasonRevisionDetected, "new revision 6d4f8b7c9: starting 2 steps")).
		after(2*time.Second).pass(progressing, 0, 20, note(v1alpha1.ReasonWeightChanged, "canary weight 0 -> 20 (nginx: [checkout-checkout-canary])")).
		after(40*time.Second).pass(paused, 1, 20, note(v1alpha1.ReasonPaused, "paused at step 2/2 until promoted (kubectl ramp promote checkout)"))
	neighbour := newStory(t, canaryRollout("checkout-api", "c0ffee00-api", setWeight(50)), at("15:20:01")).revision("59b8d6c4f").
		pass(progressing, 0, 0, note(v1alpha1.ReasonRevisionDetected, "new revision 59b8d6c4f: starting 1 steps"))
	earlier := newStory(t, canaryRollout("checkout", "3d9b0a77-old", setWeight(20)), at("15:05:00")).revision("77f9c6b5d").
		pass(progressing, 0, 0, note(v1alpha1.ReasonRevisionDetected, "new revision 77f9c6b5d: starting 1 steps")).
		after(time.Minute).pass(degraded, 0, 0, warn(v1alpha1.ReasonAborted, "update to revision 77f9c6b5d aborted by kubectl ramp abort at step 1/1"))
	argo := eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "checkout.182c4a7e1f0e9d00"},
		EventTime:  metav1.NewMicroTime(at("15:20:30")),
		Regarding:  corev1.ObjectReference{APIVersion: "argoproj.io/v1alpha1", Kind: "Rollout", Namespace: "shop", Name: "checkout"},
		Reason:     "RolloutUpdated", Note: "Rollout updated to revision 9", Type: corev1.EventTypeNormal,
	}
	pod := eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "checkout.182c4a7e2a11f300"},
		EventTime:  metav1.NewMicroTime(at("15:20:05")),
		Regarding:  corev1.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: "shop", Name: "checkout"},
		Reason:     "Pulled", Note: "Container image already present on machine", Type: corev1.EventTypeNormal,
	}
	var events []eventsv1.Event
	events = append(events, neighbour.Events()...)
	events = append(events, mine.Events()...)
	events = append(events, argo, pod)
	events = append(events, earlier.Events()...)
	return ro, events
}

// repeated: a traffic error repeats as an Event series; an older controller left Events without
// annotations, and something wrote a core/v1 Event with a count.
func repeated(t *testing.T) (*v1alpha1.Rollout, []eventsv1.Event) {
	ro := canaryRollout("search", "9f8e7d6c-search", setWeight(30), analysisStep)
	s := newStory(t, ro, at("15:21:00")).revision("6b7d8f9c5").
		pass(progressing, 0, 30, warn(v1alpha1.ReasonTrafficInvalid, "Ingress shop/search-canary not found: trafficRouting.nginx needs it")).
		repeated(12, 6*time.Minute)
	fromOldController := eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "search.182c4a0b3c5d6e00"},
		EventTime:  metav1.NewMicroTime(at("15:20:58")),
		Regarding:  corev1.ObjectReference{APIVersion: v1alpha1.GroupVersion.String(), Kind: "Rollout", Namespace: "shop", Name: "search", UID: "9f8e7d6c-search"},
		Reason:     v1alpha1.ReasonRevisionDetected, Note: "new revision 6b7d8f9c5: starting 2 steps", Type: corev1.EventTypeNormal,
	}
	runFromOldController := eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "search.182c4a0b4a1b2c00"},
		EventTime:  metav1.NewMicroTime(at("15:19:40")),
		Regarding:  corev1.ObjectReference{APIVersion: v1alpha1.GroupVersion.String(), Kind: "Rollout", Namespace: "shop", Name: "search", UID: "9f8e7d6c-search"},
		Related:    &corev1.ObjectReference{APIVersion: v1alpha1.GroupVersion.String(), Kind: "AnalysisRun", Namespace: "shop", Name: "search-5c4d3b2a1-2"},
		Reason:     v1alpha1.ReasonRunPhase, Note: "AnalysisRun search-5c4d3b2a1-2 Successful", Type: corev1.EventTypeNormal,
	}
	coreV1 := eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "search.182c4a0c00000000",
			CreationTimestamp: metav1.NewTime(at("15:22:00"))},
		Regarding:                corev1.ObjectReference{Kind: "Rollout", Namespace: "shop", Name: "search"},
		Reason:                   v1alpha1.ReasonDeadlineExceeded,
		Note:                     "step 1/2: no progress for 600s",
		Type:                     corev1.EventTypeWarning,
		DeprecatedFirstTimestamp: metav1.NewTime(at("15:21:30")),
		DeprecatedLastTimestamp:  metav1.NewTime(at("15:27:30")),
		DeprecatedCount:          3,
	}
	return ro, append(s.Events(), coreV1, fromOldController, runFromOldController)
}

// statusOnly: the Events have expired; the rollout has been paused at its second step for 35
// minutes and available for three days.
func statusOnly() *v1alpha1.Rollout {
	ro := canaryRollout("cart", "2f4a6c8e-cart", setWeight(20), pauseStep, setWeight(50), analysisStep, setWeight(100))
	const message = "step 2/5: paused until promoted (kubectl ramp promote cart)"
	ro.Status.Phase, ro.Status.Message = paused, message
	ro.Status.CurrentPodHash, ro.Status.CurrentStepIndex = "7c8d9e6f5", ptr.To(int32(1))
	ro.Status.Canary.Weights.Canary.Weight = 20
	ro.Status.Conditions = []metav1.Condition{
		condition(v1alpha1.ConditionAvailable, true, v1alpha1.ReasonAvailable, "5 of 5 pods available", time.Date(2025, 3, 11, 10, 4, 12, 0, time.UTC)),
		condition(v1alpha1.ConditionProgressing, true, v1alpha1.ReasonProgressing, message, time.Date(2025, 3, 13, 16, 0, 0, 0, time.UTC)),
		condition(v1alpha1.ConditionPaused, true, v1alpha1.ReasonCanaryPauseStep, message, at("14:55:03")),
		condition(v1alpha1.ConditionHealthy, false, v1alpha1.ReasonStepsNotCompleted, message, at("14:54:20")),
	}
	return ro
}
