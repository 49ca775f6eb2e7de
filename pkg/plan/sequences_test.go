package plan

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/testenv/golden"
	"github.com/ramp-dev/ramp/pkg/workload"
)

// The golden sequences are what real rollouts do, tick by tick, on the simulation the
// property tests use: a change to the planner shows in testdata/sequences/*.txt as the
// rollouts it changes (go test ./pkg/plan -run TestGoldenSequences -update rewrites them).

// sequence drives a world and writes one line per tick.
type sequence struct {
	*world
	start time.Time
	out   strings.Builder
	seen  int // notes already written
}

func newSequence(w *world) *sequence {
	return &sequence{world: w, start: w.now, seen: len(w.notes)}
}

// tick reconciles once (after what, a user's or the cluster's action, when set), writes the
// line, then lets the cluster move: every pod becomes available and the clock moves on to
// when the plan asked to look again, or by step when it did not.
func (s *sequence) tick(what string, step time.Duration) Plan {
	p := s.reconcile()
	s.line(what, p)
	s.ready()
	if p.RequeueAfter > 0 && p.RequeueAfter < step {
		step = p.RequeueAfter
	}
	s.now = s.now.Add(step)
	return p
}

// until ticks until done says so, at most n times.
func (s *sequence) until(n int, step time.Duration, done func() bool) {
	s.t.Helper()
	for range n {
		s.tick("", step)
		if done() {
			return
		}
	}
	s.t.Fatalf("not done after %d ticks: %s", n, s.describe())
}

func (s *sequence) line(what string, p Plan) {
	st := s.ro.Status
	fmt.Fprintf(&s.out, "%6s  ", s.now.Sub(s.start).Round(time.Second))
	if what != "" {
		fmt.Fprintf(&s.out, "[%s] ", what)
	}
	if c := s.ro.Spec.Strategy.Canary; c != nil {
		fmt.Fprintf(&s.out, "step %s  ", s.ro.StepLabel())
		if w := st.Canary.Weights; w != nil && c.TrafficRouting != nil {
			fmt.Fprintf(&s.out, "weight %d/%d  ", w.Canary.Weight, w.Stable.Weight)
		}
	}
	var pods []string
	rss := s.replicaSets()
	slices.SortFunc(rss, func(a, b *appsv1.ReplicaSet) int { return cmp.Compare(workload.Revision(a), workload.Revision(b)) })
	for _, rs := range rss {
		image := rs.Spec.Template.Spec.Containers[0].Image
		pods = append(pods, fmt.Sprintf("%s=%d/%d", image, ptr.Deref(rs.Spec.Replicas, 1), rs.Status.AvailableReplicas))
	}
	fmt.Fprintf(&s.out, "pods %s  %s", strings.Join(pods, " "), st.Phase)
	var notes []string
	for _, n := range s.notes[s.seen:] {
		notes = append(notes, n.Reason)
	}
	s.seen = len(s.notes)
	if len(notes) > 0 {
		fmt.Fprintf(&s.out, "  | %s", strings.Join(notes, ", "))
	}
	s.out.WriteString("\n")
}

// endRuns gives every run not yet finished the phase.
func (s *sequence) endRunsAs(phase v1alpha1.AnalysisPhase) {
	for _, r := range s.runs {
		if !r.Status.Phase.Completed() {
			r.Status.Phase = phase
		}
	}
}

func (s *sequence) check(name string) {
	s.t.Helper()
	golden.Assert(s.t, "sequences/"+name+".txt", []byte(s.out.String()))
}

func settled(w *world) *world {
	w.settle()
	return w
}

func paused(w *world) func() bool {
	return func() bool { return w.ro.Status.Phase == v1alpha1.RolloutPhasePaused }
}

func phaseIs(w *world, phase v1alpha1.RolloutPhase) func() bool {
	return func() bool { return w.ro.Status.Phase == phase }
}

func TestGoldenSequences(t *testing.T) {
	scenarios := map[string]func(t *testing.T) *sequence{
		"canary-pod-ratio": func(t *testing.T) *sequence {
			s := newSequence(settled(newWorld(t, 4, weight(25), pause(), weight(50), pauseFor("1m"))))
			s.setImage("web:2")
			s.until(10, 10*time.Second, paused(s.world))
			s.promote()
			s.tick("promote", 10*time.Second)
			s.until(20, 10*time.Second, phaseIs(s.world, v1alpha1.RolloutPhaseHealthy))
			return s
		},
		"canary-routed-abort-retry": func(t *testing.T) *sequence {
			s := newSequence(newRoutedWorld(t, 4, weight(20), pause(), weight(60), pause()))
			s.setImage("web:2")
			s.until(10, 10*time.Second, paused(s.world))
			s.ro.Status.Abort = true
			s.tick("abort", 10*time.Second)
			s.until(10, 10*time.Second, phaseIs(s.world, v1alpha1.RolloutPhaseDegraded))
			s.ro.Status.Abort = false
			s.tick("retry", 10*time.Second)
			s.until(10, 10*time.Second, paused(s.world))
			s.ro.Status.PromoteFull = true
			s.tick("promote --full", 10*time.Second)
			s.until(20, 10*time.Second, phaseIs(s.world, v1alpha1.RolloutPhaseHealthy))
			return s
		},
		"canary-routed-setcanaryscale": func(t *testing.T) *sequence {
			s := newSequence(newRoutedWorld(t, 5,
				v1alpha1.CanaryStep{SetCanaryScale: &v1alpha1.SetCanaryScale{Replicas: ptr.To[int32](1)}},
				weight(10), pause(),
				v1alpha1.CanaryStep{SetCanaryScale: &v1alpha1.SetCanaryScale{MatchTrafficWeight: true}},
				weight(40), pause()))
			s.setImage("web:2")
			s.until(10, 10*time.Second, paused(s.world))
			s.promote()
			s.tick("promote", 10*time.Second)
			s.until(10, 10*time.Second, paused(s.world))
			s.promote()
			s.tick("promote", 10*time.Second)
			s.until(20, 10*time.Second, phaseIs(s.world, v1alpha1.RolloutPhaseHealthy))
			return s
		},
		"canary-analysis-pass-fail-inconclusive": func(t *testing.T) *sequence {
			s := newSequence(settled(newWorld(t, 4, weight(25), analysisStep("error-rate"), weight(50), pause())))
			s.setImage("web:2")
			s.until(10, 10*time.Second, func() bool { return s.runOf("web:2", "1", 0) != "" })
			s.endRunsAs(v1alpha1.AnalysisPhaseSuccessful)
			s.tick("analysis Successful", 10*time.Second)
			s.until(10, 10*time.Second, paused(s.world))
			s.promote()
			s.tick("promote", 10*time.Second)
			s.until(20, 10*time.Second, phaseIs(s.world, v1alpha1.RolloutPhaseHealthy))
			s.setImage("web:3")
			s.until(10, 10*time.Second, func() bool { return s.runOf("web:3", "1", 0) != "" })
			s.endRunsAs(v1alpha1.AnalysisPhaseInconclusive)
			s.tick("analysis Inconclusive", 10*time.Second)
			s.until(10, 10*time.Second, paused(s.world))
			s.promote()
			s.tick("promote", 10*time.Second)
			s.until(10, 10*time.Second, paused(s.world))
			s.promote()
			s.tick("promote", 10*time.Second)
			s.until(20, 10*time.Second, phaseIs(s.world, v1alpha1.RolloutPhaseHealthy))
			s.setImage("web:4")
			s.until(10, 10*time.Second, func() bool { return s.runOf("web:4", "1", 0) != "" })
			s.endRunsAs(v1alpha1.AnalysisPhaseFailed)
			s.tick("analysis Failed", 10*time.Second)
			s.until(10, 10*time.Second, phaseIs(s.world, v1alpha1.RolloutPhaseDegraded))
			return s
		},
		"canary-fast-rollback": func(t *testing.T) *sequence {
			w := newRoutedWorld(t, 4, weight(50), pause())
			w.ro.Spec.Strategy.Canary.ScaleDownDelaySeconds = ptr.To[int32](60)
			s := newSequence(w)
			s.setImage("web:2")
			s.until(10, 10*time.Second, paused(s.world))
			s.promote()
			s.tick("promote", 10*time.Second)
			s.until(10, 10*time.Second, phaseIs(s.world, v1alpha1.RolloutPhaseHealthy))
			s.setImage("web:1")
			s.tick("back to web:1 within scaleDownDelaySeconds", 10*time.Second)
			s.until(20, 10*time.Second, func() bool { return s.pods("web:2") == 0 })
			return s
		},
		"canary-progress-deadline": func(t *testing.T) *sequence {
			w := newWorld(t, 4, weight(25), pause())
			w.ro.Spec.ProgressDeadlineSeconds = ptr.To[int32](60)
			s := newSequence(settled(w))
			s.setImage("web:2")
			for range 10 { // the new pods never become available
				p := s.reconcile()
				s.line("", p)
				s.now = s.now.Add(10 * time.Second)
			}
			return s
		},
		"canary-scale-mid-rollout": func(t *testing.T) *sequence {
			s := newSequence(settled(newWorld(t, 4, weight(25), pause(), weight(75), pause())))
			s.setImage("web:2")
			s.until(10, 10*time.Second, paused(s.world))
			s.ro.Spec.Replicas = ptr.To[int32](8)
			s.ro.Generation++
			s.tick("scaled to 8 (an HPA)", 10*time.Second)
			s.until(10, 10*time.Second, paused(s.world))
			s.promote()
			s.tick("promote", 10*time.Second)
			s.until(10, 10*time.Second, paused(s.world))
			s.ro.Spec.Replicas = ptr.To[int32](2)
			s.ro.Generation++
			s.tick("scaled to 2", 10*time.Second)
			s.promote()
			s.tick("promote", 10*time.Second)
			s.until(20, 10*time.Second, phaseIs(s.world, v1alpha1.RolloutPhaseHealthy))
			return s
		},
		"bluegreen-analysis-scaledown-delay": func(t *testing.T) *sequence {
			tmpl := &v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "smoke"}}}
			w := newBlueGreenWorld(t, 3, v1alpha1.BlueGreenStrategy{
				AutoPromotionEnabled: ptr.To(false), PrePromotionAnalysis: tmpl, PostPromotionAnalysis: tmpl.DeepCopy(),
				ScaleDownDelaySeconds: ptr.To[int32](30),
			})
			s := newSequence(w)
			s.setImage("web:2")
			s.until(10, 10*time.Second, func() bool { return len(s.runs) > 0 })
			s.endRunsAs(v1alpha1.AnalysisPhaseSuccessful)
			s.tick("pre-promotion analysis Successful", 10*time.Second)
			s.until(10, 10*time.Second, paused(s.world))
			s.promote()
			s.tick("promote", 10*time.Second)
			s.until(10, 10*time.Second, func() bool { return len(s.runs) > 1 })
			s.endRunsAs(v1alpha1.AnalysisPhaseSuccessful)
			s.tick("post-promotion analysis Successful", 10*time.Second)
			s.until(20, 10*time.Second, func() bool { return s.pods("web:1") == 0 })
			return s
		},
	}
	for name, run := range scenarios {
		t.Run(name, func(t *testing.T) { run(t).check(name) })
	}
}
