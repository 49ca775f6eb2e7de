package plan

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/testenv/golden"
)

func predicted(t *testing.T, name string, current *v1alpha1.Rollout, change func(*v1alpha1.Rollout), a Assumptions) Prediction {
	t.Helper()
	next := current.DeepCopy()
	change(next)
	p := Predict(current, next, a)
	var b strings.Builder
	for _, s := range p.Steps {
		b.WriteString(strings.Join([]string{s.Step, s.Action, "weight", itoa(s.Weight), "canary", itoa(s.CanaryPods), "stable", itoa(s.StablePods), "after", s.After.String(), s.Note}, " ") + "\n")
	}
	b.WriteString("--\n" + strings.Join(p.Ticks, "\n") + "\n--\n")
	summary, _ := json.MarshalIndent(struct {
		Outcome             v1alpha1.RolloutPhase
		MinDuration         string
		ManualGates         int
		PeakPods, PeakSurge int32
		Problems            []string
	}{p.Outcome, p.MinDuration.String(), p.ManualGates, p.PeakPods, p.PeakSurge, p.Problems}, "", "  ")
	b.Write(summary)
	b.WriteString("\n")
	golden.Assert(t, "predictions/"+name+".txt", []byte(b.String()))
	return p
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

func setImageTo(image string) func(*v1alpha1.Rollout) {
	return func(ro *v1alpha1.Rollout) { ro.Spec.Template.Spec.Containers[0].Image = image }
}

func TestPredictCanaryPodRatio(t *testing.T) {
	w := newWorld(t, 10, weight(20), pauseFor("1m"), weight(50), pause())
	p := predicted(t, "canary-pod-ratio", w.ro, setImageTo("web:2"), Assumptions{})
	if p.Outcome != v1alpha1.RolloutPhaseHealthy || p.ManualGates != 1 || len(p.Steps) != 4 {
		t.Fatalf("outcome %s, %d manual gates, %d steps: want Healthy, 1, 4", p.Outcome, p.ManualGates, len(p.Steps))
	}
	if p.MinDuration < time.Minute {
		t.Errorf("min duration %s, want at least the 1m pause", p.MinDuration)
	}
	if s := p.Steps[0]; s.CanaryPods != 2 || s.StablePods != 8 || s.Weight != 20 {
		t.Errorf("step 1: %+v, want 2 canary and 8 stable pods (20%%)", s)
	}
	if p.PeakSurge > 3 { // maxSurge 25% of 10
		t.Errorf("peak surge %d, over maxSurge", p.PeakSurge)
	}
}

func TestPredictRoutedWithAFailingAnalysis(t *testing.T) {
	w := newRoutedWorld(t, 4, weight(20), analysisStep("error-rate"), weight(60), pause())
	p := predicted(t, "canary-routed-analysis-fails", w.ro, setImageTo("web:2"), Assumptions{ReadyAfter: 5 * time.Second, Analysis: map[string]v1alpha1.AnalysisPhase{"1": v1alpha1.AnalysisPhaseFailed}})
	if p.Outcome != v1alpha1.RolloutPhaseDegraded || !strings.Contains(p.Message, "aborted") {
		t.Fatalf("outcome %s %q: want the failed analysis to abort it", p.Outcome, p.Message)
	}
}

func TestPredictReportsValidationProblems(t *testing.T) {
	w := newWorld(t, 4, weight(20))
	p := predicted(t, "invalid", w.ro, func(ro *v1alpha1.Rollout) {
		ro.Spec.Strategy.Canary.Steps = []v1alpha1.CanaryStep{{Pause: &v1alpha1.RolloutPause{Duration: ptr.To(intstr.FromString("5x"))}}}
		ro.Spec.Template.Spec.Containers[0].Image = "web:2"
	}, Assumptions{})
	if len(p.Problems) != 1 || !strings.Contains(p.Problems[0], "steps[0].pause.duration") {
		t.Fatalf("problems %q: want the bad pause duration named", p.Problems)
	}
}

// Whatever the file says, the prediction ends and never panics: no selector, spec.paused.
func TestPredictOnOddInput(t *testing.T) {
	w := newWorld(t, 3, weight(50), pause())
	noSelector := w.ro.DeepCopy()
	noSelector.Spec.Selector = nil
	noSelector.Spec.Template.Spec.Containers[0].Image = "web:2"
	if p := Predict(w.ro, noSelector, Assumptions{}); len(p.Problems) == 0 || !strings.Contains(p.Problems[0], "spec.selector") {
		t.Errorf("no selector: problems %q", p.Problems)
	}
	paused := w.ro.DeepCopy()
	paused.Spec.Paused = true
	paused.Spec.Template.Spec.Containers[0].Image = "web:2"
	if p := Predict(w.ro, paused, Assumptions{}); p.Outcome != v1alpha1.RolloutPhaseHealthy || p.ManualGates > 3 {
		t.Errorf("spec.paused: %s after %d manual gates, want Healthy after a resume and the pause step", p.Outcome, p.ManualGates)
	}
}
