package plan

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/workload"
)

func weight(w int32) v1alpha1.CanaryStep { return v1alpha1.CanaryStep{SetWeight: ptr.To(w)} }
func pause() v1alpha1.CanaryStep         { return v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{}} }
func pauseFor(d string) v1alpha1.CanaryStep {
	return v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{Duration: ptr.To(intstr.FromString(d))}}
}

// promote does what `kubectl ramp promote` does: clear the pause conditions.
func (w *world) promote() { w.ro.Status.PauseConditions = nil }

func TestFirstRevisionGoesStraightToHealthy(t *testing.T) {
	w := newWorld(t, 5, weight(20), pause())
	w.settle()
	w.expect(v1alpha1.RolloutPhaseHealthy, 2, map[string]int32{"web:1": 5})
	if w.ro.Status.StableRS != w.hashOf("web:1") {
		t.Errorf("stableRS %q, want the first revision", w.ro.Status.StableRS)
	}
	if !slices.Equal(w.reasons(), []string{v1alpha1.ReasonHealthy}) {
		t.Errorf("timeline %v, want one Healthy", w.reasons())
	}
	if p := w.reconcile(); len(p.Notes) != 0 || len(p.Scale) != 0 {
		t.Errorf("a settled rollout planned %+v", p)
	}
}

func TestCanaryWalksStepsToCompletion(t *testing.T) {
	w := newWorld(t, 5, weight(20), pause(), weight(60), pauseFor("30s"))
	w.settle()
	w.notes = nil
	w.setImage("web:2")

	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 1, map[string]int32{"web:1": 4, "web:2": 1})
	if len(w.ro.Status.PauseConditions) != 1 || !w.ro.Status.ControllerPause {
		t.Fatalf("want one pause condition set by the controller: %+v", w.ro.Status)
	}
	w.settle() // an indefinite pause holds
	w.expect(v1alpha1.RolloutPhasePaused, 1, nil)

	w.promote()
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 3, map[string]int32{"web:1": 2, "web:2": 3})
	if w.last.RequeueAfter != 30*time.Second {
		t.Errorf("requeue after %s, want exactly the 30s pause", w.last.RequeueAfter)
	}
	w.now = w.now.Add(29 * time.Second)
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 3, nil)
	if w.last.RequeueAfter != time.Second {
		t.Errorf("requeue after %s, want the 1s left", w.last.RequeueAfter)
	}
	w.now = w.now.Add(time.Second)
	w.settle()
	w.expect(v1alpha1.RolloutPhaseHealthy, 4, map[string]int32{"web:1": 0, "web:2": 5})
	if w.ro.Status.StableRS != w.hashOf("web:2") {
		t.Errorf("stableRS %q, want the new revision", w.ro.Status.StableRS)
	}
	want := []string{
		v1alpha1.ReasonRevisionDetected, v1alpha1.ReasonStepCompleted, v1alpha1.ReasonPaused, v1alpha1.ReasonPromoted,
		v1alpha1.ReasonStepCompleted, v1alpha1.ReasonPaused, v1alpha1.ReasonResumed, v1alpha1.ReasonCompleted, v1alpha1.ReasonHealthy,
	}
	if !slices.Equal(w.reasons(), want) {
		t.Errorf("timeline\n got %v\nwant %v", w.reasons(), want)
	}
}

func TestPodsNotReadyHoldTheStep(t *testing.T) {
	w := newWorld(t, 4, weight(50), pause())
	w.settle()
	w.setImage("web:2")
	for i := 0; i < 5; i++ {
		w.reconcile() // no pod ever becomes available
	}
	w.expect(v1alpha1.RolloutPhaseProgressing, 0, map[string]int32{"web:1": 4, "web:2": 1})
	if !strings.Contains(w.ro.Status.Message, "waiting for 2 canary") {
		t.Errorf("message %q does not say what the step waits for", w.ro.Status.Message)
	}
}

func TestAbortRestoresStableAndRetryRestarts(t *testing.T) {
	w := newWorld(t, 4, weight(50), pause(), weight(75))
	w.settle()
	w.setImage("web:2")
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 1, map[string]int32{"web:1": 2, "web:2": 2})

	w.ro.Status.Abort = true
	w.settle()
	w.expect(v1alpha1.RolloutPhaseDegraded, 0, map[string]int32{"web:1": 4, "web:2": 0})
	if w.ro.Status.AbortedAt == nil || len(w.ro.Status.PauseConditions) != 0 {
		t.Errorf("abort must record abortedAt and clear the pause: %+v", w.ro.Status)
	}
	if n := w.notes[len(w.notes)-1]; n.Reason != v1alpha1.ReasonAborted || !n.Warning || !strings.Contains(n.Message, "at step 2/3") {
		t.Errorf("last note %+v, want an Aborted warning that says it stopped at step 2/3", n)
	}
	// As Argo: a pause condition written while aborted (a stale client) is cleared again.
	w.ro.Status.PauseConditions = []v1alpha1.PauseCondition{{Reason: v1alpha1.PauseReasonCanaryPauseStep}}
	w.ro.Status.ControllerPause = true
	w.reconcile()
	if len(w.ro.Status.PauseConditions) != 0 || w.ro.Status.ControllerPause || *w.ro.Status.CurrentStepIndex != 0 {
		t.Errorf("an aborted rollout keeps pause conditions %v (controllerPause %t) at step index %d: want none, at 0", w.ro.Status.PauseConditions, w.ro.Status.ControllerPause, *w.ro.Status.CurrentStepIndex)
	}

	w.ro.Status.Abort = false // kubectl ramp retry
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 1, map[string]int32{"web:1": 2, "web:2": 2})
	if !slices.Contains(w.reasons(), v1alpha1.ReasonRetried) {
		t.Errorf("timeline %v lacks a retry", w.reasons())
	}
}

func TestAbortScaleDownDelayKeepsTheCanary(t *testing.T) {
	w := newWorld(t, 4, weight(50), pause())
	w.ro.Spec.Strategy.Canary.AbortScaleDownDelaySeconds = ptr.To[int32](10)
	w.settle()
	w.setImage("web:2")
	w.settle()
	w.ro.Status.Abort = true
	w.settle()
	// The canary keeps its pods for the delay; stable grows as far as maxSurge allows meanwhile.
	w.expect(v1alpha1.RolloutPhaseDegraded, 0, map[string]int32{"web:1": 3, "web:2": 2})
	if w.last.RequeueAfter != 10*time.Second {
		t.Errorf("requeue after %s, want the 10s delay", w.last.RequeueAfter)
	}
	w.now = w.now.Add(10 * time.Second)
	w.settle()
	w.expect(v1alpha1.RolloutPhaseDegraded, 0, map[string]int32{"web:1": 4, "web:2": 0})
}

func TestFastRollbackToStable(t *testing.T) {
	w := newWorld(t, 4, weight(50), pause())
	w.settle()
	w.setImage("web:2")
	w.settle()
	w.setImage("web:1")
	w.settle()
	w.expect(v1alpha1.RolloutPhaseHealthy, 2, map[string]int32{"web:1": 4, "web:2": 0})
	if !slices.Contains(w.reasons(), v1alpha1.ReasonRolledBack) {
		t.Errorf("timeline %v lacks the rollback", w.reasons())
	}
	// The rolled-back-to revision is the newest release now, as with a Deployment.
	if got := workload.Revision(w.rss[w.rsName("web:1")]); got != 3 {
		t.Errorf("revision of web:1 after the rollback: %d, want 3", got)
	}
	if p := w.reconcile(); p.Renumber != nil {
		t.Errorf("renumbered again: %v", p.Renumber)
	}
}

func TestThirdRevisionMidRolloutReplacesTheCanary(t *testing.T) {
	w := newWorld(t, 4, weight(50), pause())
	w.settle()
	w.setImage("web:2")
	w.settle()
	w.setImage("web:3")
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 1, map[string]int32{"web:1": 2, "web:2": 0, "web:3": 2})
	w.promote()
	w.settle()
	w.expect(v1alpha1.RolloutPhaseHealthy, 2, map[string]int32{"web:1": 0, "web:2": 0, "web:3": 4})
}

func TestPromoteFullSkipsRemainingSteps(t *testing.T) {
	w := newWorld(t, 4, weight(25), pause(), weight(50), pause())
	w.settle()
	w.setImage("web:2")
	w.settle()
	w.ro.Status.PromoteFull = true
	w.settle()
	w.expect(v1alpha1.RolloutPhaseHealthy, 4, map[string]int32{"web:1": 0, "web:2": 4})
	if w.ro.Status.PromoteFull {
		t.Error("promoteFull must be cleared once the revision is stable")
	}
}

func TestSpecPausedStopsTimedPauses(t *testing.T) {
	w := newWorld(t, 4, weight(50), pauseFor("10s"), weight(100))
	w.settle()
	w.setImage("web:2")
	w.settle()
	w.ro.Spec.Paused = true
	w.now = w.now.Add(time.Hour) // the timed pause would have ended long ago
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 1, map[string]int32{"web:1": 2, "web:2": 2})
	w.ro.Spec.Paused = false
	w.settle()
	w.now = w.now.Add(10 * time.Second)
	w.settle()
	w.expect(v1alpha1.RolloutPhaseHealthy, 3, map[string]int32{"web:1": 0, "web:2": 4})
}

func TestScaleChangeMidRollout(t *testing.T) {
	w := newWorld(t, 4, weight(50), pause())
	w.settle()
	w.setImage("web:2")
	w.settle()
	w.ro.Spec.Replicas = ptr.To[int32](10) // kubectl scale, an HPA
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 1, map[string]int32{"web:1": 5, "web:2": 5})
}

func TestEditedStepsRestartTheSteps(t *testing.T) {
	w := newWorld(t, 4, weight(50), pause())
	w.settle()
	w.setImage("web:2")
	w.settle()
	w.promote()
	w.ro.Spec.Strategy.Canary.Steps = []v1alpha1.CanaryStep{weight(25), pause()}
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 1, map[string]int32{"web:1": 3, "web:2": 1})
}

func TestInvalidSpecTouchesNothing(t *testing.T) {
	w := newWorld(t, 4, weight(50), pause())
	w.settle()
	w.ro.Spec.Template.Labels = map[string]string{"app": "other"}
	p := w.reconcile()
	if p.Create != nil || len(p.Scale) != 0 || len(p.Selectors) != 0 || len(p.Delete) != 0 {
		t.Fatalf("an invalid spec planned changes: %+v", p)
	}
	if w.ro.Status.Phase != v1alpha1.RolloutPhaseDegraded || !strings.Contains(w.ro.Status.Message, "spec.selector") {
		t.Errorf("phase %s message %q, want Degraded naming spec.selector", w.ro.Status.Phase, w.ro.Status.Message)
	}
	if again := w.reconcile(); len(again.Notes) != 0 {
		t.Errorf("the same problem was noted twice: %+v", again.Notes)
	}
}

func TestMissingServiceTouchesNothing(t *testing.T) {
	w := newWorld(t, 4, weight(50), pause())
	w.ro.Spec.Strategy.Canary.StableService = "web-stable"
	p := w.reconcile()
	if p.Create != nil || len(p.Scale) != 0 {
		t.Fatalf("a missing Service still planned changes: %+v", p)
	}
	if !strings.Contains(w.ro.Status.Message, "Service shop/web-stable not found") {
		t.Errorf("message %q does not name the Service", w.ro.Status.Message)
	}
}

func TestServicesFollowAvailableRevisions(t *testing.T) {
	w := newWorld(t, 4, weight(50), pause())
	w.ro.Spec.Strategy.Canary.StableService, w.ro.Spec.Strategy.Canary.CanaryService = "web-stable", "web-canary"
	for _, name := range []string{"web-stable", "web-canary"} {
		w.services[name] = &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}}}
	}
	w.settle()
	v1, v2 := w.hashOf("web:1"), w.hashOf("web:2")
	selects := func(svc string) string { return w.services[svc].Spec.Selector[v1alpha1.PodTemplateHashLabel] }
	if selects("web-stable") != v1 || selects("web-canary") != v1 {
		t.Fatalf("after the first revision: stable %s canary %s, want both %s", selects("web-stable"), selects("web-canary"), v1)
	}
	w.setImage("web:2")
	w.reconcile() // canary created, no pod available yet
	if selects("web-canary") != v1 {
		t.Errorf("canary Service moved to %s before its pods were available", selects("web-canary"))
	}
	w.settle()
	if selects("web-stable") != v1 || selects("web-canary") != v2 {
		t.Errorf("mid-rollout: stable %s canary %s, want %s and %s", selects("web-stable"), selects("web-canary"), v1, v2)
	}
	w.promote()
	w.settle()
	if selects("web-stable") != v2 || selects("web-canary") != v2 {
		t.Errorf("after promotion: stable %s canary %s, want both %s", selects("web-stable"), selects("web-canary"), v2)
	}
}

func TestRevisionHistoryLimit(t *testing.T) {
	w := newWorld(t, 2)
	w.ro.Spec.RevisionHistoryLimit = ptr.To[int32](1)
	for _, image := range []string{"web:1", "web:2", "web:3", "web:4"} {
		w.setImage(image)
		w.settle()
	}
	if len(w.rss) != 2 || w.pods("web:4") != 2 || w.rss["web-"+w.hashOf("web:3")] == nil {
		t.Errorf("want the current and one old revision kept: %s", w.describe())
	}
}

func TestRollbackWindowSkipsSteps(t *testing.T) {
	w := newWorld(t, 2, weight(50), pause())
	w.ro.Spec.RollbackWindow = &v1alpha1.RollbackWindowSpec{Revisions: 1}
	w.settle()
	w.setImage("web:2")
	w.settle()
	w.promote()
	w.settle()
	w.setImage("web:1") // back to the previous revision
	w.settle()
	w.expect(v1alpha1.RolloutPhaseHealthy, 2, map[string]int32{"web:1": 2, "web:2": 0})
}

func TestProgressDeadline(t *testing.T) {
	w := newWorld(t, 4, weight(50), pause())
	w.ro.Spec.ProgressDeadlineSeconds = ptr.To[int32](60)
	w.settle()
	w.setImage("web:2")
	w.reconcile() // the canary's pods never become available
	if w.last.RequeueAfter != time.Minute {
		t.Errorf("requeue after %s, want the 60s deadline", w.last.RequeueAfter)
	}
	w.now = w.now.Add(time.Minute)
	for i := 0; i < 3; i++ {
		w.reconcile()
		if w.ro.Status.Phase != v1alpha1.RolloutPhaseDegraded || !strings.Contains(w.ro.Status.Message, "no progress for 1m0s") {
			t.Fatalf("round %d: phase %s message %q, want Degraded for the deadline", i, w.ro.Status.Phase, w.ro.Status.Message)
		}
	}
	if n := count(w.reasons(), v1alpha1.ReasonDeadlineExceeded); n != 1 {
		t.Errorf("deadline noted %d times, want once: %v", n, w.reasons())
	}
	if w.pods("web:1") != 4 {
		t.Errorf("the deadline scaled stable to %d, want it left at 4", w.pods("web:1"))
	}
	w.settle() // the pods come up after all: the rollout goes on
	w.expect(v1alpha1.RolloutPhasePaused, 1, map[string]int32{"web:1": 2, "web:2": 2})
}

func TestProgressDeadlineAbort(t *testing.T) {
	w := newWorld(t, 4, weight(50), pause())
	w.ro.Spec.ProgressDeadlineSeconds = ptr.To[int32](60)
	w.ro.Spec.ProgressDeadlineAbort = true
	w.settle()
	w.setImage("web:2")
	w.reconcile()
	w.now = w.now.Add(time.Minute)
	w.reconcile()
	if !w.ro.Status.Abort {
		t.Fatalf("progressDeadlineAbort did not abort: %s", w.describe())
	}
	w.settle()
	w.expect(v1alpha1.RolloutPhaseDegraded, 0, map[string]int32{"web:1": 4, "web:2": 0})
}

func TestPausesDoNotCountAgainstTheDeadline(t *testing.T) {
	w := newWorld(t, 4, weight(50), pause())
	w.ro.Spec.ProgressDeadlineSeconds = ptr.To[int32](60)
	w.settle()
	w.setImage("web:2")
	w.settle()
	w.now = w.now.Add(time.Hour)
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 1, nil)
}

func count(reasons []string, reason string) int {
	n := 0
	for _, r := range reasons {
		if r == reason {
			n++
		}
	}
	return n
}

func TestSideMetadataFollowsTheSides(t *testing.T) {
	w := newWorld(t, 4, weight(50), pause())
	canaryMD := &v1alpha1.PodTemplateMetadata{Labels: map[string]string{"role": "canary"}}
	stableMD := &v1alpha1.PodTemplateMetadata{Labels: map[string]string{"role": "stable"}}
	w.ro.Spec.Strategy.Canary.CanaryMetadata, w.ro.Spec.Strategy.Canary.StableMetadata = canaryMD, stableMD
	role := func(image string) string {
		return workload.EphemeralOf(w.rss[workload.ReplicaSetName("web", w.hashOf(image))]).Labels["role"]
	}
	w.settle()
	if got := w.rss[workload.ReplicaSetName("web", w.hashOf("web:1"))].Spec.Template.Labels["role"]; got != "stable" {
		t.Errorf("first revision created with role %q on its pods, want stable", got)
	}
	w.setImage("web:2")
	w.settle()
	if role("web:1") != "stable" || role("web:2") != "canary" {
		t.Errorf("mid-rollout roles: web:1 %q web:2 %q", role("web:1"), role("web:2"))
	}
	w.promote()
	w.settle()
	if role("web:2") != "stable" {
		t.Errorf("after promotion web:2 has role %q, want stable", role("web:2"))
	}
}

func TestSideMetadataMayNotTouchSelectorLabels(t *testing.T) {
	w := newWorld(t, 4)
	w.ro.Spec.Strategy.Canary.CanaryMetadata = &v1alpha1.PodTemplateMetadata{Labels: map[string]string{"app": "other"}}
	p := w.reconcile()
	if p.Create != nil || !strings.Contains(w.ro.Status.Message, "canaryMetadata.labels.app") {
		t.Errorf("want Degraded naming canaryMetadata.labels.app and nothing created; message %q", w.ro.Status.Message)
	}
}

// podsNow is the world's pods: every ReplicaSet's replicas, created at w.now when new.
func (w *world) podsNow(created map[string]time.Time) []*corev1.Pod {
	var pods []*corev1.Pod
	for _, rs := range w.replicaSets() {
		for i := int32(0); i < rs.Status.Replicas; i++ {
			name := fmt.Sprintf("%s-%d", rs.Name, i)
			if _, ok := created[name]; !ok {
				created[name] = w.now
			}
			pods = append(pods, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
				Name: name, CreationTimestamp: metav1.NewTime(created[name]),
				Labels: map[string]string{v1alpha1.PodTemplateHashLabel: workload.HashOf(rs)},
			}})
		}
	}
	return pods
}

func TestRestartAtEvictsOnePodAtATime(t *testing.T) {
	w := newWorld(t, 3)
	w.settle()
	created := map[string]time.Time{}
	w.podsNow(created)
	w.now = w.now.Add(time.Minute)
	w.ro.Spec.RestartAt = ptr.To(metav1.NewTime(w.now))

	var evicted []string
	for round := 0; round < 10 && RestartPending(w.ro); round++ {
		p := Compute(Input{Rollout: w.ro.DeepCopy(), ReplicaSets: w.replicaSets(), Pods: w.podsNow(created), Now: w.now})
		w.ro.Status = p.Status
		w.notes = append(w.notes, p.Notes...)
		if len(p.Evict) > 1 {
			t.Fatalf("evicted %v at once, want one at a time", p.Evict)
		}
		if len(p.Evict) == 1 && (p.RequeueIfEvictionRefused <= 0 || p.RequeueIfEvictionRefused > 5*time.Second) {
			t.Fatalf("evicting with RequeueIfEvictionRefused %s: a refused eviction must be retried within 5s", p.RequeueIfEvictionRefused)
		}
		for _, name := range p.Evict {
			evicted = append(evicted, name)
			created[name] = w.now.Add(time.Second) // the ReplicaSet replaces it
		}
	}
	if RestartPending(w.ro) || len(evicted) != 3 {
		t.Fatalf("restart pending %v after evicting %v", RestartPending(w.ro), evicted)
	}
	if got := w.reasons(); !slices.Contains(got, v1alpha1.ReasonRestarting) || !slices.Contains(got, v1alpha1.ReasonRestarted) {
		t.Errorf("timeline %v lacks the restart", got)
	}
}

func TestRestartAtWaitsForAvailablePodsAndReleases(t *testing.T) {
	w := newWorld(t, 3, weight(50), pause())
	w.settle()
	created := map[string]time.Time{}
	w.podsNow(created)
	w.ro.Spec.RestartAt = ptr.To(metav1.NewTime(w.now.Add(time.Minute)))
	p := Compute(Input{Rollout: w.ro.DeepCopy(), ReplicaSets: w.replicaSets(), Pods: w.podsNow(created), Now: w.now})
	if len(p.Evict) != 0 || p.RequeueAfter != time.Minute {
		t.Errorf("a restartAt in the future: evicted %v, requeue %s; want nothing now and a look in 1m", p.Evict, p.RequeueAfter)
	}
	w.now = w.now.Add(time.Minute)
	w.setImage("web:2")
	w.reconcile()
	p = Compute(Input{Rollout: w.ro.DeepCopy(), ReplicaSets: w.replicaSets(), Pods: w.podsNow(created), Now: w.now})
	if len(p.Evict) != 0 {
		t.Errorf("evicted %v while a revision is being released", p.Evict)
	}
}

func TestAbortSaysWhoAborted(t *testing.T) {
	w := newWorld(t, 2, weight(50), pause())
	w.settle()
	w.setImage("web:2")
	w.settle()
	w.ro.ManagedFields = []metav1.ManagedFieldsEntry{
		{Manager: "ramp-controller", Subresource: "status", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:status":{"f:phase":{}}}`)}},
		{Manager: "kubectl-ramp", Subresource: "status", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:status":{"f:abort":{}}}`)}},
	}
	w.ro.Status.Abort = true
	w.reconcile()
	if !strings.Contains(w.ro.Status.Message, "aborted by kubectl-ramp") {
		t.Errorf("message %q does not name who aborted", w.ro.Status.Message)
	}
}

func TestSpecPausedHoldsAtAnyStep(t *testing.T) {
	w := newWorld(t, 4, weight(25), weight(50), weight(75))
	w.settle()
	w.ro.Spec.Paused = true
	w.setImage("web:2")
	w.settle()
	// A template change while paused scales nothing up, as in Argo.
	w.expect(v1alpha1.RolloutPhasePaused, 0, map[string]int32{"web:1": 4, "web:2": 0})
	w.settle()
	if n := count(w.reasons(), v1alpha1.ReasonPaused); n != 1 {
		t.Errorf("the hold was noted %d times, want once: %v", n, w.reasons())
	}
	w.ro.Spec.Paused = false
	w.settle()
	w.expect(v1alpha1.RolloutPhaseHealthy, 3, map[string]int32{"web:1": 0, "web:2": 4})
	if !slices.Contains(w.reasons(), v1alpha1.ReasonResumed) {
		t.Errorf("timeline %v lacks the resume", w.reasons())
	}
}

// Without a router, pod counts approximate each weight as Argo Rollouts' do (its documented
// examples): the first move from a fully available stable revision, and where the step settles.
func TestBasicCanaryCountsAreArgos(t *testing.T) {
	tests := []struct {
		replicas, weight   int32
		surge, unavailable intstr.IntOrString
		first, settled     [2]int32 // canary, stable
	}{
		{10, 10, intstr.FromInt32(1), intstr.FromInt32(1), [2]int32{1, 9}, [2]int32{1, 9}},
		{10, 30, intstr.FromInt32(3), intstr.FromInt32(0), [2]int32{3, 10}, [2]int32{3, 7}},
		{10, 5, intstr.FromInt32(0), intstr.FromInt32(1), [2]int32{0, 9}, [2]int32{1, 9}},
		{1, 5, intstr.FromInt32(1), intstr.FromInt32(0), [2]int32{1, 1}, [2]int32{1, 1}},
		{10, 41, intstr.FromString("25%"), intstr.FromString("25%"), [2]int32{3, 8}, [2]int32{4, 6}},
		{3, 20, intstr.FromString("25%"), intstr.FromString("25%"), [2]int32{1, 3}, [2]int32{1, 3}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("R=%d w=%d surge=%s unavailable=%s", tt.replicas, tt.weight, tt.surge.String(), tt.unavailable.String()), func(t *testing.T) {
			w := newWorld(t, tt.replicas, weight(tt.weight), pause())
			w.ro.Spec.Strategy.Canary.MaxSurge, w.ro.Spec.Strategy.Canary.MaxUnavailable = &tt.surge, &tt.unavailable
			w.settle()
			w.setImage("web:2")
			w.reconcile()
			if got := [2]int32{w.pods("web:2"), w.pods("web:1")}; got != tt.first {
				t.Errorf("first move %d canary / %d stable, want %d / %d: %s", got[0], got[1], tt.first[0], tt.first[1], w.describe())
			}
			w.ready()
			w.settle()
			w.expect(v1alpha1.RolloutPhasePaused, 1, map[string]int32{"web:2": tt.settled[0], "web:1": tt.settled[1]})
		})
	}
}

// spec.paused on a Healthy rollout says Paused, with how to resume, as in Argo.
func TestSpecPausedOnAHealthyRolloutSaysPaused(t *testing.T) {
	w := newWorld(t, 4, weight(25), pause())
	w.settle()
	w.notes = nil
	w.ro.Spec.Paused = true
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 2, map[string]int32{"web:1": 4})
	if !strings.Contains(w.ro.Status.Message, "kubectl ramp resume web") || !slices.Equal(w.reasons(), []string{v1alpha1.ReasonPaused}) {
		t.Errorf("message %q, timeline %v: want how to resume, and one RolloutPaused", w.ro.Status.Message, w.reasons())
	}
	w.ro.Spec.Paused = false
	w.settle()
	w.expect(v1alpha1.RolloutPhaseHealthy, 2, map[string]int32{"web:1": 4})
	if want := []string{v1alpha1.ReasonPaused, v1alpha1.ReasonResumed, v1alpha1.ReasonHealthy}; !slices.Equal(w.reasons(), want) {
		t.Errorf("timeline %v, want %v", w.reasons(), want)
	}
}

// A new ReplicaSet's name found taken by another object (a hash collision) is planned again:
// collisionCount moves on, nothing else is written, and the next pass names the revision anew.
func TestHashCollisionIsPlannedAgain(t *testing.T) {
	w := newWorld(t, 4, weight(25), pause())
	w.settle()
	w.setImage("web:2")
	in := Input{Rollout: w.ro.DeepCopy(), ReplicaSets: w.replicaSets(), Now: w.now}
	first := Compute(in)
	if first.Create == nil {
		t.Fatal("no ReplicaSet planned for the new revision")
	}
	in.NameTaken = first.Create.Name
	p := Compute(in)
	if p.Create != nil || len(p.Scale) != 0 || len(p.Selectors) != 0 || p.Traffic != nil || len(p.StartRuns) != 0 {
		t.Fatalf("the collision's plan writes more than the status: %+v", p)
	}
	if got := ptr.Deref(p.Status.CollisionCount, 0); got != 1 {
		t.Fatalf("collisionCount %d, want 1", got)
	}
	if len(p.Notes) != 1 || p.Notes[0].Reason != v1alpha1.ReasonHashCollision || !p.Notes[0].Warning || !strings.Contains(p.Notes[0].Message, first.Create.Name) {
		t.Fatalf("notes %+v, want one HashCollision warning naming %s", p.Notes, first.Create.Name)
	}
	ro := w.ro.DeepCopy()
	ro.Status = p.Status
	next := Compute(Input{Rollout: ro, ReplicaSets: w.replicaSets(), Now: w.now})
	if next.Create == nil || next.Create.Name == first.Create.Name {
		t.Fatalf("after the collision the revision is created as %v, want a new name (not %s)", next.Create, first.Create.Name)
	}
}

// Orphans of the Rollout's revisions are adopted by the plan and planned as its own.
func TestOrphansAreAdoptedAndPlannedAsOwn(t *testing.T) {
	w := newWorld(t, 3)
	w.settle()
	rss := w.replicaSets()
	p := Compute(Input{Rollout: w.ro.DeepCopy(), Orphans: rss, Now: w.now})
	if !slices.Equal(p.Adopt, []string{rss[0].Name}) || p.Create != nil {
		t.Fatalf("adopt %v, create %v: want the orphan adopted and no new ReplicaSet", p.Adopt, p.Create)
	}
	if p.Status.Phase != v1alpha1.RolloutPhaseHealthy {
		t.Errorf("phase %s with its revision adopted, want Healthy", p.Status.Phase)
	}
}
