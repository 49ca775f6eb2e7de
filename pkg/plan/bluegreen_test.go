package plan

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/workload"
)

// newBlueGreenWorld is a world whose Rollout is blue-green over web-active and web-preview,
// settled on web:1.
func newBlueGreenWorld(t *testing.T, replicas int32, bg v1alpha1.BlueGreenStrategy) *world {
	w := newWorld(t, replicas)
	bg.ActiveService, bg.PreviewService = "web-active", "web-preview"
	w.ro.Spec.Strategy = v1alpha1.RolloutStrategy{BlueGreen: &bg}
	for _, name := range []string{"web-active", "web-preview"} {
		w.services[name] = &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}}}
	}
	w.settle()
	if w.ro.Status.Phase != v1alpha1.RolloutPhaseHealthy || w.selects("web-active") != w.hashOf("web:1") {
		t.Fatalf("first revision: %s, active selects %q", w.describe(), w.selects("web-active"))
	}
	return w
}

func TestBlueGreenAutoPromotionSwitchesOnlyWhenFullyAvailable(t *testing.T) {
	w := newBlueGreenWorld(t, 3, v1alpha1.BlueGreenStrategy{})
	v1, v2 := w.hashOf("web:1"), w.hashOf("web:2")
	w.setImage("web:2")
	w.reconcile()
	w.expect(v1alpha1.RolloutPhaseProgressing, -1, map[string]int32{"web:1": 3, "web:2": 3})
	if w.selects("web-active") != v1 || w.selects("web-preview") != v1 {
		t.Fatalf("before the new pods are available: active %s preview %s", w.selects("web-active"), w.selects("web-preview"))
	}
	w.ready()
	w.reconcile() // preview ready, promoted automatically, switched
	if w.selects("web-active") != v2 || w.selects("web-preview") != v2 {
		t.Fatalf("after promotion: active %s preview %s, want %s", w.selects("web-active"), w.selects("web-preview"), v2)
	}
	w.settle()
	// Released: Healthy at once, as in Argo; the old revision keeps its pods for the delay.
	w.expect(v1alpha1.RolloutPhaseHealthy, -1, map[string]int32{"web:1": 3, "web:2": 3})
	if !strings.Contains(w.ro.Status.Message, "earlier revisions keep their pods until 2026-11-23T12:00:30Z (scaleDownDelaySeconds)") {
		t.Errorf("message %q does not say the pending scale-down", w.ro.Status.Message)
	}
	w.now = w.now.Add(30 * time.Second)
	w.settle()
	if w.ro.Status.Phase != v1alpha1.RolloutPhaseHealthy || w.pods("web:1") != 0 || w.ro.Status.StableRS != v2 {
		t.Errorf("after scaleDownDelaySeconds: %s", w.describe())
	}
	want := []string{v1alpha1.ReasonRevisionDetected, v1alpha1.ReasonPromoted, v1alpha1.ReasonServiceSwitched, v1alpha1.ReasonCompleted, v1alpha1.ReasonHealthy}
	if got := w.reasons(); !slices.Equal(got[len(got)-len(want):], want) {
		t.Errorf("timeline %v, want it to end %v", got, want)
	}
}

func TestBlueGreenManualPromotionWithPreviewReplicas(t *testing.T) {
	w := newBlueGreenWorld(t, 4, v1alpha1.BlueGreenStrategy{AutoPromotionEnabled: ptr.To(false), PreviewReplicaCount: ptr.To[int32](1), ScaleDownDelaySeconds: ptr.To[int32](0)})
	v1, v2 := w.hashOf("web:1"), w.hashOf("web:2")
	w.setImage("web:2")
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, -1, map[string]int32{"web:1": 4, "web:2": 1})
	if w.selects("web-active") != v1 || w.selects("web-preview") != v2 {
		t.Fatalf("paused: active %s preview %s", w.selects("web-active"), w.selects("web-preview"))
	}
	w.promote()
	w.reconcile() // promoted: web:2 to full size, not switched yet
	if w.pods("web:2") != 4 || w.selects("web-active") != v1 {
		t.Fatalf("promoted, scaling: web:2 %d pods, active %s", w.pods("web:2"), w.selects("web-active"))
	}
	w.reconcile() // pods not available yet: still no switch
	if w.selects("web-active") != v1 {
		t.Fatal("the active Service switched before the new revision was fully available")
	}
	w.settle()
	w.expect(v1alpha1.RolloutPhaseHealthy, -1, map[string]int32{"web:1": 0, "web:2": 4})
	if w.selects("web-active") != v2 {
		t.Errorf("active selects %s, want %s", w.selects("web-active"), v2)
	}
}

func TestBlueGreenAutoPromotionSeconds(t *testing.T) {
	w := newBlueGreenWorld(t, 2, v1alpha1.BlueGreenStrategy{AutoPromotionSeconds: 60})
	w.setImage("web:2")
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, -1, nil)
	if w.last.RequeueAfter != 60*time.Second {
		t.Errorf("requeue after %s, want 60s", w.last.RequeueAfter)
	}
	w.now = w.now.Add(60 * time.Second)
	w.settle()
	if w.selects("web-active") != w.hashOf("web:2") {
		t.Errorf("not switched after autoPromotionSeconds: %s", w.describe())
	}
}

func TestBlueGreenPrePromotionFailureNeverMovesTheActiveService(t *testing.T) {
	w := newBlueGreenWorld(t, 2, v1alpha1.BlueGreenStrategy{PrePromotionAnalysis: &v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "smoke"}}}})
	v1 := w.hashOf("web:1")
	w.setImage("web:2")
	w.settle()
	run := w.runOf("web:2", "prepromotion", 0)
	w.expect(v1alpha1.RolloutPhaseProgressing, -1, map[string]int32{"web:2": 2})
	w.endRun(run, v1alpha1.AnalysisPhaseFailed, "metric smoke failed")
	w.settle()
	w.expect(v1alpha1.RolloutPhaseDegraded, -1, map[string]int32{"web:1": 2, "web:2": 2})
	if w.selects("web-active") != v1 || !w.ro.Status.Abort {
		t.Fatalf("after a failed pre-promotion analysis: active %s abort %v", w.selects("web-active"), w.ro.Status.Abort)
	}
	w.now = w.now.Add(30 * time.Second)
	w.settle()
	w.expect(v1alpha1.RolloutPhaseDegraded, -1, map[string]int32{"web:1": 2, "web:2": 0})
}

func TestBlueGreenPostPromotionFailureSwitchesBack(t *testing.T) {
	w := newBlueGreenWorld(t, 2, v1alpha1.BlueGreenStrategy{PostPromotionAnalysis: &v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "smoke"}}}})
	v1, v2 := w.hashOf("web:1"), w.hashOf("web:2")
	w.setImage("web:2")
	w.settle()
	if w.selects("web-active") != v2 || w.ro.Status.StableRS != v1 {
		t.Fatalf("during post-promotion analysis: active %s stable %s", w.selects("web-active"), w.ro.Status.StableRS)
	}
	w.endRun(w.runOf("web:2", "postpromotion", 0), v1alpha1.AnalysisPhaseFailed, "metric smoke failed")
	w.reconcile()
	if w.selects("web-active") != v1 || w.pods("web:1") != 2 {
		t.Fatalf("after a failed post-promotion analysis: active %s, web:1 %d pods: want it back on the old revision at once", w.selects("web-active"), w.pods("web:1"))
	}
	w.expect(v1alpha1.RolloutPhaseDegraded, -1, nil)
}

// Property: whatever users, pods and analyses do, and however late ReplicaSet statuses report a
// scale-down, no write leaves fewer available pods behind the active Service than replicas (or
// than it had before the pass), the active Service never selects a revision without available
// pods once it selected one, and every sequence ends Healthy, or Degraded after an abort.
func TestBlueGreenPlannerInvariants(t *testing.T) {
	images := []string{"web:1", "web:2", "web:3"}
	for seed := uint64(0); seed < 300; seed++ {
		rng := rand.New(rand.NewPCG(seed, 13))
		bg := v1alpha1.BlueGreenStrategy{AutoPromotionEnabled: ptr.To(rng.IntN(2) == 0), ScaleDownDelaySeconds: ptr.To(rng.Int32N(60))}
		if rng.IntN(2) == 0 {
			bg.PreviewReplicaCount = ptr.To(1 + rng.Int32N(3))
		}
		if rng.IntN(2) == 0 {
			bg.PrePromotionAnalysis = &v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "pre"}}}
		}
		if rng.IntN(2) == 0 {
			bg.PostPromotionAnalysis = &v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "post"}}}
		}
		w := newBlueGreenWorld(t, 1+rng.Int32N(5), bg)
		w.LagScaleDowns = seed%4 != 0
		var log []string
		check := func(what string) {
			before := w.availableBehind("web-active")
			w.afterWrite = func() {
				// Pods as they are, not as a lagging ReplicaSet status reports them.
				if now := w.availableBehind("web-active"); now < min(before, w.ro.DesiredReplicas()) {
					t.Fatalf("seed %d after %v: available pods behind the active Service %d -> %d (replicas %d): %s", seed, append(log, what), before, now, w.ro.DesiredReplicas(), w.describe())
				}
			}
			w.reconcile()
			w.afterWrite = nil
			log = append(log, what)
			if w.availableBehind("web-active") == 0 && w.ro.Status.Replicas > 0 {
				t.Fatalf("seed %d after %v: the active Service selects %s with no available pod: %s", seed, log, w.selects("web-active"), w.describe())
			}
		}
		for i := 0; i < 60; i++ {
			check(w.disturb(rng, images, func() string { // a blue-green Rollout has no router: crash more often
				w.crash = func(n int) int { return rng.IntN(n) }
				return "crash"
			}))
		}
		w.ro.Spec.Paused = false
		for i := 0; ; i++ {
			if i > 100 {
				t.Fatalf("seed %d after %v: stuck: %s", seed, log, w.describe())
			}
			w.ready()
			w.endRuns()
			w.now = w.now.Add(time.Minute)
			w.promote()
			check("settle")
			ph := w.ro.Status.Phase
			if (ph == v1alpha1.RolloutPhaseHealthy || ph == v1alpha1.RolloutPhaseDegraded) && len(w.last.Scale) == 0 && len(w.last.Selectors) == 0 {
				if ph == v1alpha1.RolloutPhaseDegraded && !w.ro.Status.Abort {
					t.Fatalf("seed %d after %v: Degraded without an abort: %s", seed, log, w.describe())
				}
				break
			}
		}
	}
}

func TestBlueGreenScaleDownDelayRevisionLimitAndSideMetadata(t *testing.T) {
	w := newBlueGreenWorld(t, 2, v1alpha1.BlueGreenStrategy{
		ScaleDownDelaySeconds: ptr.To[int32](600), ScaleDownDelayRevisionLimit: ptr.To[int32](1),
		ActiveMetadata:  &v1alpha1.PodTemplateMetadata{Labels: map[string]string{"role": "active"}},
		PreviewMetadata: &v1alpha1.PodTemplateMetadata{Labels: map[string]string{"role": "preview"}},
	})
	w.setImage("web:2")
	w.reconcile()
	if got := w.rss[w.rsName("web:2")].Spec.Template.Labels["role"]; got != "preview" {
		t.Errorf("the preview's pods are labelled role=%q, want preview", got)
	}
	w.settle()
	w.setImage("web:3")
	w.settle()
	// web:1 and web:2 both wait out the delay, but the limit keeps only the newest of them.
	w.expect(v1alpha1.RolloutPhaseHealthy, -1, map[string]int32{"web:1": 0, "web:2": 2, "web:3": 2})
	if got := workload.EphemeralOf(w.rss[w.rsName("web:3")]).Labels["role"]; got != "active" {
		t.Errorf("the active revision's pods are labelled role=%q, want active", got)
	}
	w.now = w.now.Add(10 * time.Minute)
	w.settle()
	w.expect(v1alpha1.RolloutPhaseHealthy, -1, map[string]int32{"web:2": 0, "web:3": 2})
}

// spec.paused holds a blue-green release before its promotion and before its switch, and
// the release goes on when it is cleared.
func TestBlueGreenSpecPausedHoldsPromotionAndSwitch(t *testing.T) {
	w := newBlueGreenWorld(t, 2, v1alpha1.BlueGreenStrategy{})
	v1, v2 := w.hashOf("web:1"), w.hashOf("web:2")
	w.ro.Spec.Paused = true
	w.setImage("web:2")
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, -1, map[string]int32{"web:1": 2, "web:2": 2})
	if w.selects("web-active") != v1 || w.selects("web-preview") != v2 || w.ro.Status.BlueGreen.Promoted {
		t.Fatalf("held before promotion: active %s preview %s promoted %v", w.selects("web-active"), w.selects("web-preview"), w.ro.Status.BlueGreen.Promoted)
	}
	if got := w.reasons(); got[len(got)-1] != v1alpha1.ReasonPaused || count(got, v1alpha1.ReasonPaused) != 1 {
		t.Errorf("timeline %v: want one RolloutPaused for the hold", got)
	}

	w.ro.Spec.Paused = false
	w.settle()
	if w.selects("web-active") != v2 {
		t.Fatalf("not switched once spec.paused was cleared: %s", w.describe())
	}
	if !slices.Contains(w.reasons(), v1alpha1.ReasonResumed) {
		t.Errorf("timeline %v lacks the resume", w.reasons())
	}

	// Promoted by hand, then held before the controller acted on it: the promotion and the
	// switch wait for the hold to end.
	w = newBlueGreenWorld(t, 2, v1alpha1.BlueGreenStrategy{AutoPromotionEnabled: ptr.To(false)})
	w.setImage("web:2")
	w.settle()
	w.promote()
	w.ro.Spec.Paused = true
	w.settle()
	if w.selects("web-active") != w.hashOf("web:1") || w.pods("web:2") != 2 || w.ro.Status.Phase != v1alpha1.RolloutPhasePaused {
		t.Fatalf("promoted then held: %s, active %s", w.describe(), w.selects("web-active"))
	}
	w.ro.Spec.Paused = false
	w.settle()
	if w.selects("web-active") != w.hashOf("web:2") {
		t.Errorf("not switched after the hold: %s", w.describe())
	}
}

// Going back to the revision a release replaced, while it keeps its pods for
// scaleDownDelaySeconds, is instant: the active Service goes back at once, with no new
// ReplicaSet, no preview and no pause (even without autoPromotion).
func TestBlueGreenRollbackWithinTheScaleDownDelayIsInstant(t *testing.T) {
	w := newBlueGreenWorld(t, 3, v1alpha1.BlueGreenStrategy{AutoPromotionEnabled: ptr.To(false)})
	v1, v2 := w.hashOf("web:1"), w.hashOf("web:2")
	w.setImage("web:2")
	w.settle()
	w.promote()
	w.settle()
	w.expect(v1alpha1.RolloutPhaseHealthy, -1, map[string]int32{"web:1": 3, "web:2": 3})
	if w.selects("web-active") != v2 {
		t.Fatalf("not switched: %s", w.describe())
	}
	w.notes = nil
	w.now = w.now.Add(10 * time.Second)
	w.setImage("web:1")
	p := w.reconcile()
	if p.Create != nil || w.selects("web-active") != v1 || w.ro.Status.StableRS != v1 || len(w.ro.Status.PauseConditions) != 0 {
		t.Fatalf("rollback within the delay: create %v, active %s, stable %s, pauses %v: want the active Service back on %s at once",
			p.Create != nil, w.selects("web-active"), w.ro.Status.StableRS, w.ro.Status.PauseConditions, v1)
	}
	w.settle()
	w.expect(v1alpha1.RolloutPhaseHealthy, -1, map[string]int32{"web:1": 3, "web:2": 3})
	if got := w.reasons(); !slices.Contains(got, v1alpha1.ReasonRolledBack) || slices.Contains(got, v1alpha1.ReasonPaused) || slices.Contains(got, v1alpha1.ReasonRevisionDetected) {
		t.Errorf("timeline %v: want a fast rollback, no new revision and no pause", got)
	}
	w.now = w.now.Add(30 * time.Second)
	w.settle()
	w.expect(v1alpha1.RolloutPhaseHealthy, -1, map[string]int32{"web:1": 3, "web:2": 0})
}

// A crash between the active Service's switch and the status write that records it: the next
// pass finds the Service already switched, and still keeps the previous revision for the whole
// scale-down delay (its rollback window), counted from the switch.
func TestBlueGreenSwitchSurvivesACrashBeforeTheStatusWrite(t *testing.T) {
	w := newBlueGreenWorld(t, 4, v1alpha1.BlueGreenStrategy{ScaleDownDelaySeconds: ptr.To[int32](60)})
	v2 := w.hashOf("web:2")
	w.setImage("web:2")
	for range 20 {
		if w.selects("web-active") == v2 {
			break
		}
		w.ready()
		w.crashBeforeStatus()
		w.reconcile()
		if _, switched := w.last.Selectors["web-active"]; !switched {
			w.ro.Status = w.last.Status // not the switch: this write lands
		}
	}
	if w.selects("web-active") != v2 {
		t.Fatalf("the active Service never switched: %s", w.describe())
	}
	switchedAt := w.now
	w.now = w.now.Add(10 * time.Second)
	w.settle()
	if w.pods("web:1") != 4 {
		t.Fatalf("10 s after the switch (delay 60 s), web:1 has %d pods: the rollback window is gone (%s)", w.pods("web:1"), w.describe())
	}
	if sw := w.ro.Status.BlueGreen.SwitchedAt; sw == nil || !sw.Time.Equal(switchedAt.Truncate(time.Second)) {
		t.Errorf("switchedAt %v, want the switch's time %s recovered from the Service", sw, switchedAt)
	}
	w.now = w.now.Add(time.Minute)
	w.settle()
	w.expect(v1alpha1.RolloutPhaseHealthy, -1, map[string]int32{"web:1": 0, "web:2": 4})
}

// An abort never points the active Service at a revision with no available pods: while the
// stable revision has none, the active Service stays where it serves, and so do its pods.
func TestBlueGreenAbortWaitsForStablePodsBeforeSwitchingBack(t *testing.T) {
	w := newBlueGreenWorld(t, 2, v1alpha1.BlueGreenStrategy{PostPromotionAnalysis: &v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "smoke"}}}})
	v1, v2 := w.hashOf("web:1"), w.hashOf("web:2")
	w.setImage("web:2")
	w.settle()
	if w.selects("web-active") != v2 {
		t.Fatalf("during post-promotion analysis: active %s", w.selects("web-active"))
	}
	old := w.rss[w.rsName("web:1")]
	old.Status.AvailableReplicas, old.Status.ReadyReplicas = 0, 0 // its node went away
	w.endRun(w.runOf("web:2", "postpromotion", 0), v1alpha1.AnalysisPhaseFailed, "metric smoke failed")
	for i := 0; i < 5; i++ {
		w.reconcile()
		if w.selects("web-active") != v2 {
			t.Fatalf("pass %d: active Service switched to %s, which has no available pod", i, w.selects("web-active"))
		}
		w.now = w.now.Add(time.Minute) // past abortScaleDownDelaySeconds
		if w.pods("web:2") == 0 {
			t.Fatalf("pass %d: the revision the active Service selects was scaled to 0", i)
		}
	}
	w.expect(v1alpha1.RolloutPhaseDegraded, -1, nil)
	if !strings.Contains(w.ro.Status.Message, "stays on it until stable revision "+v1+" has available pods (0 of 2 now)") {
		t.Errorf("message %q does not say why the active Service waits", w.ro.Status.Message)
	}
	w.ready()
	w.settle()
	if w.selects("web-active") != v1 {
		t.Errorf("stable pods available again: active %s, want %s", w.selects("web-active"), v1)
	}
}
