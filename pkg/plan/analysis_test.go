package plan

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

func analysisStep(template string) v1alpha1.CanaryStep {
	return v1alpha1.CanaryStep{Analysis: &v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: template}}}}
}

// endRun gives the named run a final phase, as the AnalysisRun controller would.
func (w *world) endRun(name string, phase v1alpha1.AnalysisPhase, message string) {
	w.t.Helper()
	r := w.runs[name]
	if r == nil {
		w.t.Fatalf("no run %s; runs: %v", name, sortedKeys(w.runs))
	}
	r.Status.Phase, r.Status.Message = phase, message
}

func TestAnalysisStepWaitsForItsRun(t *testing.T) {
	w := newWorld(t, 4, weight(25), analysisStep("error-rate"), weight(50), pause())
	w.settle()
	w.setImage("web:2")
	w.settle()
	run := w.runOf("web:2", "1", 0)
	w.expect(v1alpha1.RolloutPhaseProgressing, 1, map[string]int32{"web:2": 1})
	if w.runs[run] == nil || !strings.Contains(w.ro.Status.Message, "waiting for AnalysisRun "+run) {
		t.Fatalf("runs %v, message %q: want run %s started and waited for", sortedKeys(w.runs), w.ro.Status.Message, run)
	}
	if s := w.ro.Status.Canary.CurrentStepAnalysisRunStatus; s == nil || s.Name != run {
		t.Errorf("currentStepAnalysisRunStatus %+v", s)
	}
	w.endRun(run, v1alpha1.AnalysisPhaseSuccessful, "")
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 3, map[string]int32{"web:2": 2})
	if !slices.Contains(w.reasons(), v1alpha1.ReasonAnalysisPassed) {
		t.Errorf("timeline %v lacks %s", w.reasons(), v1alpha1.ReasonAnalysisPassed)
	}
}

func TestFailedAnalysisAbortsAndRetryStartsFreshRuns(t *testing.T) {
	w := newWorld(t, 4, weight(25), analysisStep("error-rate"), pause())
	w.settle()
	w.setImage("web:2")
	w.settle()
	run := w.runOf("web:2", "1", 0)
	w.endRun(run, v1alpha1.AnalysisPhaseFailed, "metric error-rate failed: value 0.31")
	w.reconcile()
	if !w.ro.Status.Abort || w.ro.Status.Phase != v1alpha1.RolloutPhaseDegraded {
		t.Fatalf("a failed run: abort %v phase %s", w.ro.Status.Abort, w.ro.Status.Phase)
	}
	if !strings.Contains(w.ro.Status.Message, "AnalysisRun "+run+" (metric error-rate failed: value 0.31)") {
		t.Errorf("message %q does not name the run and its metric", w.ro.Status.Message)
	}
	w.settle()
	w.expect(v1alpha1.RolloutPhaseDegraded, 0, map[string]int32{"web:1": 4, "web:2": 0})

	w.ro.Status.Abort = false
	w.settle()
	fresh := w.runOf("web:2", "1", 1)
	if w.runs[fresh] == nil || w.ro.Status.Canary.Attempt != 1 {
		t.Fatalf("after a retry: runs %v attempt %d, want a fresh run %s", sortedKeys(w.runs), w.ro.Status.Canary.Attempt, fresh)
	}
	w.endRun(fresh, v1alpha1.AnalysisPhaseSuccessful, "")
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 2, nil)
}

// pausedByInconclusive is a rollout whose analysis step (2/4) ended Inconclusive.
func pausedByInconclusive(t *testing.T) *world {
	w := newWorld(t, 4, weight(25), analysisStep("error-rate"), weight(50), pause())
	w.settle()
	w.setImage("web:2")
	w.settle()
	run := w.runOf("web:2", "1", 0)
	w.endRun(run, v1alpha1.AnalysisPhaseInconclusive, "metric error-rate: query returned no data")
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 1, nil)
	return w
}

func TestInconclusiveAnalysisPausesUntilPromoted(t *testing.T) {
	w := pausedByInconclusive(t)
	if c := w.ro.Status.PauseConditions; len(c) != 1 || c[0].Reason != "InconclusiveAnalysisRun" {
		t.Fatalf("pause conditions %+v, want Argo Rollouts' reason InconclusiveAnalysisRun", c)
	}
	w.promote()
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 3, map[string]int32{"web:2": 2})
}

// A status written before ramp took Argo's reason still pauses, and is still promoted past.
func TestInconclusivePauseWrittenBeforeIsRead(t *testing.T) {
	w := pausedByInconclusive(t)
	w.ro.Status.PauseConditions[0].Reason = "InconclusiveAnalysis"
	w.notes = nil
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 1, nil)
	if c := w.ro.Status.PauseConditions; len(c) != 1 || c[0].Reason != "InconclusiveAnalysis" || len(w.notes) != 0 {
		t.Fatalf("the old pause condition was not read as the same pause: %+v, notes %v", c, w.reasons())
	}
	w.promote()
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 3, map[string]int32{"web:2": 2})
}

// Runs carry Argo Rollouts' rollout-type label value, by what started them.
func TestRunRequestsCarryArgosRolloutType(t *testing.T) {
	w := newWorld(t, 4, weight(25), analysisStep("error-rate"), pause())
	w.ro.Spec.Strategy.Canary.Analysis = &v1alpha1.RolloutAnalysisBackground{
		RolloutAnalysis: v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "error-rate"}}},
	}
	w.settle()
	w.setImage("web:2")
	types := map[string]string{}
	for i := 0; i < 5; i++ {
		for _, req := range w.reconcile().StartRuns {
			types[req.Kind] = req.RolloutType
		}
		w.ready()
	}
	if types["background"] != v1alpha1.RolloutTypeBackground || types["1"] != v1alpha1.RolloutTypeStep || len(types) != 2 {
		t.Fatalf("rollout types by kind %v, want background=Background and 1=Step", types)
	}
}

func TestBackgroundAnalysisAbortsMidPause(t *testing.T) {
	w := newWorld(t, 4, weight(25), pause(), weight(50), pause())
	w.ro.Spec.Strategy.Canary.Analysis = &v1alpha1.RolloutAnalysisBackground{
		RolloutAnalysis: v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "error-rate"}}},
		StartingStep:    ptr.To[int32](1),
	}
	w.settle()
	w.setImage("web:2")
	w.reconcile()
	if len(w.runs) != 0 {
		t.Fatalf("runs %v before startingStep", sortedKeys(w.runs))
	}
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 1, nil)
	bg := w.runOf("web:2", "background", 0)
	if w.runs[bg] == nil {
		t.Fatalf("runs %v, want %s from startingStep 1", sortedKeys(w.runs), bg)
	}
	w.endRun(bg, v1alpha1.AnalysisPhaseError, "metric error-rate: 5 errors in a row")
	w.reconcile()
	w.expect(v1alpha1.RolloutPhaseDegraded, 0, nil)
	if !w.ro.Status.Abort {
		t.Fatal("a background run in Error did not abort")
	}
}

func TestRunsStopWithTheirRevisionAndHistoryIsBounded(t *testing.T) {
	w := newWorld(t, 2, analysisStep("a"), pause())
	w.ro.Spec.Analysis = &v1alpha1.AnalysisRunStrategy{SuccessfulRunHistoryLimit: ptr.To[int32](1)}
	w.settle()
	for i, image := range []string{"web:2", "web:3", "web:4"} {
		w.now = w.now.Add(time.Minute)
		w.setImage(image)
		w.settle()
		run := w.runOf(image, "0", 0)
		w.endRun(run, v1alpha1.AnalysisPhaseSuccessful, "")
		w.settle()
		w.promote()
		w.settle()
		w.expect(v1alpha1.RolloutPhaseHealthy, 2, nil)
		if len(w.runs) != 1 || w.runs[run] == nil {
			t.Errorf("release %d: runs %v, want only the latest successful one", i, sortedKeys(w.runs))
		}
	}
	// A revision replaced while its run runs: the run is terminated.
	w.setImage("web:5")
	w.settle()
	w.setImage("web:6")
	w.settle()
	if r := w.runs[w.runOf("web:5", "0", 0)]; r == nil || !r.Spec.Terminate {
		t.Errorf("the replaced revision's run: %+v, want terminated", r)
	}
}

func TestAnalysisInvalidDegradesAndTouchesNothing(t *testing.T) {
	w := newWorld(t, 2, analysisStep("missing"), pause())
	w.settle()
	w.setImage("web:2")
	w.reconcile()
	in := Input{Rollout: w.ro.DeepCopy(), ReplicaSets: w.replicaSets(), Now: w.now, AnalysisInvalid: "spec.strategy.canary.steps[0].analysis.templates[0]: AnalysisTemplate shop/missing not found"}
	p := Compute(in)
	if p.Status.Phase != v1alpha1.RolloutPhaseDegraded || len(p.Scale) != 0 || len(p.StartRuns) != 0 || p.Create != nil {
		t.Fatalf("phase %s scale %v runs %v create %v", p.Status.Phase, p.Scale, p.StartRuns, p.Create != nil)
	}
}

// A long analysis step is progress, not a stuck rollout: each measurement moves the run's
// message, and the progress deadline counts from the last one.
func TestLongAnalysisIsNotStuck(t *testing.T) {
	w := newWorld(t, 2, analysisStep("slow"), pause())
	w.ro.Spec.ProgressDeadlineSeconds = ptr.To[int32](60)
	w.settle()
	w.setImage("web:2")
	w.settle()
	run := w.runOf("web:2", "0", 0)
	for i := range 5 {
		w.now = w.now.Add(50 * time.Second)
		w.runs[run].Status.Phase, w.runs[run].Status.Message = v1alpha1.AnalysisPhaseRunning, fmt.Sprintf("measuring slow (%d of 5 measurements so far)", i+1)
		w.reconcile()
		w.expect(v1alpha1.RolloutPhaseProgressing, 0, nil)
	}
	w.now = w.now.Add(61 * time.Second) // no measurement for longer than the deadline
	w.reconcile()
	w.expect(v1alpha1.RolloutPhaseDegraded, 0, nil)
}

// With a router, a failed analysis returns the weight to 0 in the same plan that aborts.
func TestFailedAnalysisWithARouterReturnsTrafficAtOnce(t *testing.T) {
	w := newRoutedWorld(t, 4, weight(50), analysisStep("error-rate"), pause())
	w.setImage("web:2")
	w.settle()
	w.expectWeight(50)
	w.endRun(w.runOf("web:2", "1", 0), v1alpha1.AnalysisPhaseFailed, "metric error-rate failed: value 0.5")
	p := w.reconcile()
	if !w.ro.Status.Abort || p.Traffic == nil || p.Traffic.CanaryWeight != 0 {
		t.Fatalf("abort %v traffic %+v: want the abort and weight 0 in one plan", w.ro.Status.Abort, p.Traffic)
	}
	w.expectWeight(0)
}

// Silence is not a verdict: a release whose background run has not passed one measurement waits
// at its last step instead of completing.
func TestBackgroundAnalysisMustPassOnceBeforeCompleting(t *testing.T) {
	w := newWorld(t, 4, weight(50))
	w.ro.Spec.Strategy.Canary.Analysis = &v1alpha1.RolloutAnalysisBackground{
		RolloutAnalysis: v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "error-rate"}}},
	}
	w.settle()
	w.setImage("web:2")
	w.settle()
	bg := w.runOf("web:2", "background", 0)
	if w.runs[bg] == nil {
		t.Fatalf("runs %v, want %s", sortedKeys(w.runs), bg)
	}
	if w.ro.Status.Phase == v1alpha1.RolloutPhaseHealthy || !strings.Contains(w.ro.Status.Message, "waiting for a first successful measurement") {
		t.Fatalf("phase %s %q: want the release held until the background run passes a measurement", w.ro.Status.Phase, w.ro.Status.Message)
	}
	w.runs[bg].Status.MetricResults = []v1alpha1.MetricResult{{Name: "error-rate", Count: 1, Successful: 1}}
	w.settle()
	w.expect(v1alpha1.RolloutPhaseHealthy, 1, map[string]int32{"web:2": 4})
}

// A run's args are resolved by the plan: hashes and Rollout fields; Secret args stay
// references. A fieldRef that names no field is a message for the Rollout's author.
func TestRunArgsAreResolvedByThePlan(t *testing.T) {
	w := newWorld(t, 2)
	w.ro.Labels = map[string]string{"app": "web"}
	spec := v1alpha1.AnalysisRunSpec{Args: []v1alpha1.Argument{
		{Name: "stable", ValueFrom: &v1alpha1.ValueFrom{PodTemplateHashValue: ptr.To("Stable")}},
		{Name: "latest", ValueFrom: &v1alpha1.ValueFrom{PodTemplateHashValue: ptr.To("Latest")}},
		{Name: "app", ValueFrom: &v1alpha1.ValueFrom{FieldRef: &v1alpha1.FieldRef{FieldPath: "metadata.labels['app']"}}},
		{Name: "token", ValueFrom: &v1alpha1.ValueFrom{SecretKeyRef: &v1alpha1.SecretKeyRef{Name: "s", Key: "k"}}},
	}}
	got, err := resolveArgs(w.ro, spec, "aaa", "bbb")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"aaa", "bbb", "web"}
	for i, v := range want {
		if a := got.Args[i]; a.Value == nil || *a.Value != v || a.ValueFrom != nil {
			t.Errorf("arg %s = %+v, want %q", a.Name, a, v)
		}
	}
	if a := got.Args[3]; a.Value != nil || a.ValueFrom == nil || a.ValueFrom.SecretKeyRef == nil {
		t.Errorf("secret arg %+v: want it left a reference", a)
	}
	spec.Args[2].ValueFrom.FieldRef.FieldPath = "spec.nothing"
	msg := CheckFieldRefs(w.ro, NamedAnalysis{Field: "spec.strategy.canary.steps[1].analysis"}, spec)
	if !strings.Contains(msg, `spec.strategy.canary.steps[1].analysis: argument "app"`) {
		t.Errorf("message %q does not name the field and the argument", msg)
	}
}
