package commands

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/plan"
	"github.com/ramp-dev/ramp/pkg/testenv/golden"
)

// rolloutManifest matches a file that declares a Rollout, not one that only refers to one.
var rolloutManifest = regexp.MustCompile(`(?m)^kind: Rollout$`)

// kubectl ramp plan on every example, offline, as a pull request's check would run it.
func TestPlanEveryExample(t *testing.T) {
	files, err := filepath.Glob("../../../examples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples (%v)", err)
	}
	planned := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !rolloutManifest.Match(data) {
			continue // examples/hpa.yaml: an HPA for the others' Rollout
		}
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			k := newCLI(t)
			out := k.mustRun("plan", "-f", f, "--image", "*=nginx:1.28")
			golden.Assert(t, "plan-"+name+".txt", []byte(out))
			if !strings.Contains(out, "Outcome:   Healthy") {
				t.Errorf("the example's release does not end Healthy:\n%s", out)
			}
		})
		planned++
	}
	if planned < 4 {
		t.Fatalf("planned %d examples, want every one with a Rollout", planned)
	}
}

// Against the cluster's Rollout, as JSON; an analysis assumed to fail aborts the release.
func TestPlanClusterRolloutAsJSON(t *testing.T) {
	k := newCLI(t, webRollout(func(ro *v1alpha1.Rollout) {
		ro.Spec.Strategy.Canary.Steps = []v1alpha1.CanaryStep{{SetWeight: ptrInt(50)}, {Analysis: &v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "error-rate"}}}}, {Pause: &v1alpha1.RolloutPause{}}}
	}))
	var p plan.Prediction
	if err := json.Unmarshal([]byte(k.mustRun("plan", "web", "--image", "web=web:3", "-o", "json")), &p); err != nil {
		t.Fatal(err)
	}
	if p.Outcome != v1alpha1.RolloutPhaseHealthy || len(p.Steps) != 3 || p.Steps[1].Note != "analysis: Successful" || p.ManualGates != 1 {
		t.Fatalf("prediction %+v: want Healthy through 3 steps, the analysis passing, one promotion", p)
	}
	if err := json.Unmarshal([]byte(k.mustRun("plan", "web", "--image", "web=web:3", "--analysis", "2=Failed", "-o", "json")), &p); err != nil {
		t.Fatal(err)
	}
	if p.Outcome != v1alpha1.RolloutPhaseDegraded || !strings.Contains(p.Message, "aborted") {
		t.Fatalf("with step 2's analysis failing: %s %q, want the release aborted", p.Outcome, p.Message)
	}
	if ro := k.rollout(); ro.Spec.Template.Spec.Containers[0].Image != "web:2" {
		t.Fatalf("plan changed the Rollout: image %s", ro.Spec.Template.Spec.Containers[0].Image)
	}
}

func TestPlanRefusesAChangeThatReleasesNothing(t *testing.T) {
	k := newCLI(t, webRollout())
	if code := k.run(t.Context(), "plan", "web"); code != 1 || !strings.Contains(k.err.String(), "nothing is released") {
		t.Fatalf("plan with no change: exit %d, %q", code, k.err.String())
	}
	if code := k.run(t.Context(), "plan", "web", "--image", "web=web:3", "--analysis", "2=Passed"); code != 1 || !strings.Contains(k.err.String(), "KIND=PHASE") {
		t.Fatalf("plan with a bad --analysis: exit %d, %q", code, k.err.String())
	}
}

func ptrInt(n int32) *int32 { return &n }

// A file's every problem is listed (the CRD's rules as the API server applies them, then the
// controller's checks), and nothing is simulated.
func TestPlanListsEveryProblemOfAFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "rollout.yaml")
	doc := `apiVersion: rollouts.ramp.dev/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web:1}]}
  strategy:
    canary:
      steps:
      - setWeight: 20
        pause: {}
      - pause: {duration: 5x}
`
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	k := newCLI(t)
	if code := k.run(t.Context(), "plan", "-f", file, "--image", "web=web:2"); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	out := k.out.String()
	for _, want := range []string{"steps[0]: Invalid value: a step sets exactly one of", "steps[1].pause.duration", "Outcome:   not released: fix the problems above"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
