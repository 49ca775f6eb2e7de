//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/config/argocd"
	"github.com/ramp-dev/ramp/e2e/framework"
)

// updateArgoCDFixtures, set, saves the Rollouts this test sees into config/argocd/testdata,
// where the unit test of the health check reads them.
const updateArgoCDFixtures = "RAMP_UPDATE_ARGOCD_FIXTURES"

// Argo CD's health check, run on a live Rollout in each phase, says what the phase is:
// Healthy, Progressing during an analysis step, Suspended at a pause step, Degraded once
// aborted and when the spec names a template that does not exist.
func TestArgoCDHealthOfEveryPhase(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"ok": true}`) }))
	defer srv.Close()
	ns := cluster.Namespace(t)
	cluster.StartController(t, controllerBin)
	applyOKTemplate(t, ns, srv.URL, 3)
	applyRollout(t, ns, 2, "web:1", "setWeight: 50", "analysis: {templates: [{templateName: ok}]}", "pause: {}")

	health := func(name, want string, ok func(*v1alpha1.Rollout) bool) {
		t.Helper()
		ro := waitRollout(t, ns, name, ok)
		obj := rolloutObject(t, ro)
		status, message, err := argocd.Health(obj)
		if err != nil || status != want {
			t.Errorf("%s: health %s (%q), %v; want %s", name, status, message, err, want)
		}
		if os.Getenv(updateArgoCDFixtures) != "" {
			saveFixture(t, name, obj)
		}
	}
	health("Healthy-steady", "Healthy", healthyAt(ns, "web:1"))
	setImage(t, ns, "web:2")
	health("Progressing-analysis-step", "Progressing", func(ro *v1alpha1.Rollout) bool {
		s := ro.Status.Canary.CurrentStepAnalysisRunStatus
		return phaseIs(v1alpha1.RolloutPhaseProgressing)(ro) && ptr.Deref(ro.Status.CurrentStepIndex, -1) == 1 && s != nil && s.Status == v1alpha1.AnalysisPhaseRunning
	})
	health("Suspended-pause-step", "Suspended", atStep(2, v1alpha1.RolloutPhasePaused))
	patchStatus(t, ns, `{"status":{"abort":true}}`)
	health("Degraded-aborted", "Degraded", func(ro *v1alpha1.Rollout) bool {
		return phaseIs(v1alpha1.RolloutPhaseDegraded)(ro) && ro.Status.Abort
	})
	patchRollout(t, ns, types.JSONPatchType, `[{"op":"replace","path":"/spec/strategy/canary/steps/1/analysis/templates/0/templateName","value":"missing"},
		{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"web:3"}]`)
	health("Degraded-missing-template", "Degraded", func(ro *v1alpha1.Rollout) bool {
		return phaseIs(v1alpha1.RolloutPhaseDegraded)(ro) && strings.Contains(ro.Status.Message, "missing not found")
	})
}

// rolloutObject is the Rollout as Argo CD sees it: its JSON, without managedFields.
func rolloutObject(t *testing.T, ro *v1alpha1.Rollout) map[string]any {
	t.Helper()
	ro = ro.DeepCopy()
	ro.ManagedFields = nil
	ro.APIVersion, ro.Kind = v1alpha1.GroupVersion.String(), "Rollout"
	data, err := json.Marshal(ro)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(data, &obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

func saveFixture(t *testing.T, name string, obj map[string]any) {
	t.Helper()
	data, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(framework.RepoRoot(), "config", "argocd", "testdata", name+".yaml")
	header := "# Captured from the e2e suite's TestArgoCDHealthOfEveryPhase (" + updateArgoCDFixtures + "=1).\n"
	if err := os.WriteFile(path, append([]byte(header), data...), 0o644); err != nil {
		t.Fatal(err)
	}
}
