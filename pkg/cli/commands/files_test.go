package commands

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const badRollout = `apiVersion: rollouts.ramp.dev/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web:1}]}
  strategy:
    canary:
      steps:
      - setWeight: 20
        pause: {}
`

func TestLintExitsOneWithFieldAndFix(t *testing.T) {
	k := newCLI(t)
	bad := write(t, "bad.yaml", badRollout)
	if code := k.run(context.Background(), "lint", bad); code != 1 {
		t.Fatalf("lint of a bad rollout: exit %d, want 1; out %q err %q", code, k.out.String(), k.err.String())
	}
	if out := k.out.String(); !strings.Contains(out, bad+":1 Rollout/web: spec.strategy.canary.steps[0]") || !strings.Contains(out, "exactly one of setWeight, pause") {
		t.Errorf("lint printed %q, want file, document, object, field and the rule's message", out)
	}
	good := strings.Replace(badRollout, "        pause: {}\n", "", 1)
	if code := k.run(context.Background(), "lint", write(t, "good.yaml", good)); code != 0 || k.out.String() != "" {
		t.Errorf("lint of a good rollout: exit %d out %q err %q", code, k.out.String(), k.err.String())
	}
}

// A warning is printed and does not fail the lint.
func TestLintWarningsDoNotFail(t *testing.T) {
	k := newCLI(t)
	tpl := write(t, "tpl.yaml", `apiVersion: rollouts.ramp.dev/v1alpha1
kind: AnalysisTemplate
metadata: {name: error-rate}
spec:
  metrics:
  - name: error-rate
    successCondition: result < 0.05
    provider: {prometheus: {address: "http://prometheus:9090", query: "sum(rate(errors[1m]))"}}
`)
	if code := k.run(context.Background(), "lint", tpl); code != 0 {
		t.Fatalf("lint with only a warning: exit %d, want 0; out %q err %q", code, k.out.String(), k.err.String())
	}
	if out := k.out.String(); !strings.Contains(out, "warning: spec.metrics[0].successCondition") || !strings.Contains(out, "result[0] < 0.05") {
		t.Errorf("lint printed %q, want the warning with result[0]", out)
	}
}

func TestConvertWritesRampYAMLAndWarns(t *testing.T) {
	k := newCLI(t)
	argo := strings.Replace(badRollout, "rollouts.ramp.dev/v1alpha1", "argoproj.io/v1alpha1", 1)
	argo = strings.Replace(argo, "    canary:\n", "    canary:\n      antiAffinity: {preferredDuringSchedulingIgnoredDuringExecution: {weight: 1}}\n", 1)
	out := k.mustRun("convert", write(t, "argo.yaml", argo))
	if !strings.Contains(out, "apiVersion: rollouts.ramp.dev/v1alpha1") || strings.Contains(out, "antiAffinity") {
		t.Errorf("convert wrote:\n%s", out)
	}
	if !strings.Contains(k.err.String(), "warning: document 1 Rollout/web: spec.strategy.canary.antiAffinity") {
		t.Errorf("convert warned %q", k.err.String())
	}
}

func TestVersionAndCompletion(t *testing.T) {
	k := newCLI(t)
	if out := k.mustRun("version"); out != "kubectl-ramp v0.0.0-test\n" {
		t.Errorf("version printed %q", out)
	}
	if out := k.mustRun("completion", "bash"); !strings.Contains(out, "kubectl ramp") && !strings.Contains(out, "__start_kubectl-ramp") {
		t.Errorf("completion bash printed no script:\n%.300s", out)
	}
	// Rollout names complete from the cluster.
	k = newCLI(t, webRollout())
	if out := k.mustRun("__complete", "promote", "w"); !strings.Contains(out, "web\n") {
		t.Errorf("completion of promote w: %q", out)
	}
}
