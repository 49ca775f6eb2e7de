package argocd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// fixture reads a Rollout captured from the e2e suite; its file name starts with the health
// Argo CD must show for it.
func fixture(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := yaml.Unmarshal(data, &obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

// Every Rollout captured from a real run gets the health its file name says, with ramp's
// message.
func TestHealthOfCapturedRollouts(t *testing.T) {
	paths, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(paths) < 5 {
		t.Fatalf("fixtures %v (%v): want one per phase; capture them with the e2e suite", paths, err)
	}
	seen := map[string]bool{}
	for _, path := range paths {
		want, _, _ := strings.Cut(filepath.Base(path), "-")
		obj := fixture(t, path)
		status, message, err := Health(obj)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if status != want {
			t.Errorf("%s: %s (%q), want %s", path, status, message, want)
		}
		if ramp, _ := obj["status"].(map[string]any)["message"].(string); ramp != "" && message != ramp {
			t.Errorf("%s: message %q, want ramp's %q", path, message, ramp)
		}
		seen[status] = true
	}
	for _, status := range []string{"Healthy", "Progressing", "Suspended", "Degraded"} {
		if !seen[status] {
			t.Errorf("no captured Rollout is %s", status)
		}
	}
}

// What no phase shows: a Rollout ramp has not seen yet, a spec newer than the status, a
// controller that cannot reconcile, an invalid spec.
func TestHealthBeforeAndBesideThePhase(t *testing.T) {
	healthy := fixture(t, "testdata/Healthy-steady.yaml")
	status := func(obj map[string]any) map[string]any { return obj["status"].(map[string]any) }
	// setCondition replaces the condition of its type, as ramp does.
	setCondition := func(o map[string]any, c map[string]any) {
		var kept []any
		for _, old := range status(o)["conditions"].([]any) {
			if old.(map[string]any)["type"] != c["type"] {
				kept = append(kept, old)
			}
		}
		status(o)["conditions"] = append(kept, c)
	}
	copyOf := func() map[string]any {
		data, _ := yaml.Marshal(healthy)
		var obj map[string]any
		_ = yaml.Unmarshal(data, &obj)
		return obj
	}
	cases := map[string]struct {
		edit        func(map[string]any)
		want, words string
	}{
		"new": {func(o map[string]any) { delete(o, "status") }, "Progressing", "observe the Rollout"},
		"spec ahead": {func(o map[string]any) {
			meta := o["metadata"].(map[string]any)
			meta["generation"] = status(o)["observedGeneration"].(float64) + 1
		}, "Progressing", "latest spec"},
		"reconcile failing": {func(o map[string]any) {
			setCondition(o, map[string]any{"type": "ReconcileError", "status": "True", "message": "admission webhook denied the request"})
		}, "Degraded", "cannot reconcile the Rollout: admission webhook denied"},
		"invalid spec": {func(o map[string]any) {
			setCondition(o, map[string]any{"type": "InvalidSpec", "status": "True", "message": "spec.strategy.canary.steps[1]: bad"})
		}, "Degraded", "steps[1]: bad"},
		"recovered": {func(o map[string]any) {
			setCondition(o, map[string]any{"type": "ReconcileError", "status": "False"})
		}, "Healthy", ""},
	}
	for name, c := range cases {
		obj := copyOf()
		c.edit(obj)
		got, message, err := Health(obj)
		if err != nil || got != c.want || !strings.Contains(message, c.words) {
			t.Errorf("%s: %s %q, %v; want %s saying %q", name, got, message, err, c.want, c.words)
		}
	}
}

// The argocd-cm snippet the README points to carries this very script.
func TestConfigMapSnippetCarriesTheScript(t *testing.T) {
	data, err := os.ReadFile("argocd-cm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := yaml.Unmarshal(data, &cm); err != nil {
		t.Fatal(err)
	}
	if got := cm.Data["resource.customizations.health.rollouts.ramp.dev_Rollout"]; got != Script {
		t.Errorf("argocd-cm.yaml's health script differs from rollout-health.lua: run go generate ./config/argocd")
	}
}
