//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/e2e/framework"
	"github.com/ramp-dev/ramp/pkg/cli/history"
	"github.com/ramp-dev/ramp/pkg/testenv"
)

// ramp runs kubectl ramp in ns and returns what it printed; status waits for the controller.
func ramp(t *testing.T, ns string, args ...string) framework.PluginResult {
	t.Helper()
	return cluster.Ramp(t, pluginBin, ns, rolloutTimeout+30*time.Second, args...)
}

// rampOK runs kubectl ramp and fails the test unless it exits 0.
func rampOK(t *testing.T, ns string, args ...string) string {
	t.Helper()
	res := ramp(t, ns, args...)
	if res.Code != 0 {
		t.Fatalf("kubectl ramp %s: %s", strings.Join(args, " "), res)
	}
	return res.Stdout
}

// status runs kubectl ramp status and checks its exit code.
func status(t *testing.T, ns string, want int, args ...string) framework.PluginResult {
	t.Helper()
	res := ramp(t, ns, append([]string{"status", "web", "--timeout", rolloutTimeout.String()}, args...)...)
	if res.Code != want {
		t.Fatalf("kubectl ramp status web: exit %d, want %d\n%s", res.Code, want, res)
	}
	return res
}

// A canary driven only through kubectl ramp: set image, watch, promote, abort, retry, undo,
// and the status exit codes a CI pipeline reads.
func TestPluginDrivesACanary(t *testing.T) {
	ns := cluster.Namespace(t)
	cluster.StartController(t, controllerBin)
	applyRollout(t, ns, 4, "web:1", "setWeight: 25", "pause: {}", "setWeight: 50", "pause: {}")
	status(t, ns, 0)

	watch := cluster.RampBackground(t, pluginBin, ns, "get", "rollout", "web", "--watch")
	// Its first tree before the release starts: else the release may be paused already when
	// the watch first draws, and there is no redraw to see.
	testenv.Eventually(t, 30*time.Second, "get --watch draws the Healthy Rollout", func(context.Context) (bool, string, error) {
		out := watch.Output()
		return strings.Contains(out, "Name:") && strings.Contains(out, "Healthy"), out, nil
	})
	out := rampOK(t, ns, "set", "image", "web", "web=web:2")
	if !strings.Contains(out, "rollout "+ns+"/web image updated: web=web:2") {
		t.Errorf("set image printed %q", out)
	}
	res := status(t, ns, 2)
	if !strings.Contains(res.Stdout, "Paused: step 2/4: paused until promoted") {
		t.Errorf("status printed %q, want the pause at step 2/4", res.Stdout)
	}
	first := getRollout(t, ns)

	// The watch redrew the tree as the release went: the new revision, paused at step 2.
	testenv.Eventually(t, 30*time.Second, "get --watch shows the paused canary", func(context.Context) (bool, string, error) {
		out := watch.Output()
		return strings.Contains(out, "Paused") && strings.Contains(out, "web-"+first.Status.CurrentPodHash) && strings.Count(out, "Name:") >= 2, out, nil
	})
	if code, err := watch.Interrupt(10 * time.Second); err != nil || code != 0 {
		t.Errorf("get --watch after Ctrl-C: exit %d, %v\n%s", code, err, watch.Output())
	}

	rampOK(t, ns, "promote", "web")
	status(t, ns, 2) // the next pause, step 4/4
	if got := getRollout(t, ns); *got.Status.CurrentStepIndex != 3 {
		t.Errorf("after promote: step index %d, want 3", *got.Status.CurrentStepIndex)
	}

	// Retry before the abort is carried out is refused by the plugin, not raced.
	rampOK(t, ns, "abort", "web")
	status(t, ns, 1)
	waitRollout(t, ns, "stable back at full scale", func(*v1alpha1.Rollout) bool {
		pods := readyPods(t, ns)
		return pods[first.Status.StableRS] == 4 && pods[first.Status.CurrentPodHash] == 0
	})
	if res := ramp(t, ns, "abort", "web"); res.Code != 1 || !strings.Contains(res.Stderr, "already aborted") {
		t.Errorf("second abort: %s", res)
	}

	rampOK(t, ns, "retry", "web")
	status(t, ns, 2)
	if got := getRollout(t, ns); *got.Status.CurrentStepIndex != 1 {
		t.Errorf("after retry: step index %d, want 1 (from the start)", *got.Status.CurrentStepIndex)
	}
	rampOK(t, ns, "promote", "web", "--full")
	status(t, ns, 0)
	if res := ramp(t, ns, "promote", "web"); res.Code != 1 || !strings.Contains(res.Stderr, "has nothing to promote") {
		t.Errorf("promote when Healthy: %s", res)
	}

	// undo goes back to revision 1's own hash: the controller reuses its ReplicaSet.
	out = rampOK(t, ns, "undo", "web")
	if !strings.Contains(out, "rolled back to the template of revision 1 ("+first.Status.StableRS+")") {
		t.Errorf("undo printed %q", out)
	}
	status(t, ns, 2)
	if got := getRollout(t, ns); got.Status.CurrentPodHash != first.Status.StableRS {
		t.Errorf("undo released revision %s, want revision 1's hash %s", got.Status.CurrentPodHash, first.Status.StableRS)
	}
	rampOK(t, ns, "promote", "web", "--full")
	status(t, ns, 0)

	tree := rampOK(t, ns, "get", "rollout", "web")
	for _, want := range []string{"Healthy", "web:1", "revision:3"} {
		if !strings.Contains(tree, want) {
			t.Errorf("get rollout output lacks %q:\n%s", want, tree)
		}
	}
	if list := rampOK(t, ns, "list", "rollouts", "-A"); !strings.Contains(list, ns) || !strings.Contains(list, "web") {
		t.Errorf("list rollouts -A:\n%s", list)
	}

	var entries []history.Entry
	if err := json.Unmarshal([]byte(rampOK(t, ns, "timeline", "web", "-o", "json")), &entries); err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, e := range entries {
		reasons = append(reasons, e.Reason)
		if e.Source == "event" && e.AnalysisRun == "" && e.Revision == "" {
			t.Errorf("timeline entry without its revision (annotations lost?): %+v", e)
		}
	}
	for _, want := range []string{v1alpha1.ReasonAborted, v1alpha1.ReasonRetried, v1alpha1.ReasonPromotedFull, v1alpha1.ReasonCompleted} {
		if !slices.Contains(reasons, want) {
			t.Errorf("timeline lacks %s: %v", want, reasons)
		}
	}
	if text := rampOK(t, ns, "timeline", "web"); !strings.Contains(text, v1alpha1.ReasonAborted) {
		t.Errorf("timeline text lacks the abort:\n%s", text)
	}
}

// Through kubectl's plugin mechanism, with a Rollout that is paused by a human.
func TestPluginPauseResumeRestart(t *testing.T) {
	ns := cluster.Namespace(t)
	cluster.StartController(t, controllerBin)
	applyRollout(t, ns, 2, "web:1", "setWeight: 50", "pause: {}")
	status(t, ns, 0)

	if out := rampOK(t, ns, "version"); !strings.Contains(out, "kubectl-ramp e2e") {
		t.Errorf("version printed %q", out)
	}
	rampOK(t, ns, "pause", "web")
	rampOK(t, ns, "set", "image", "web", "web=web:2")
	res := status(t, ns, 2)
	if !strings.Contains(res.Stdout, "spec.paused") {
		t.Errorf("status of a held rollout printed %q", res.Stdout)
	}
	if res := ramp(t, ns, "promote", "web"); res.Code != 1 || !strings.Contains(res.Stderr, "kubectl ramp resume web") {
		t.Errorf("promote a held rollout: %s", res)
	}
	rampOK(t, ns, "resume", "web")
	status(t, ns, 2) // the pause step
	rampOK(t, ns, "promote", "web")
	status(t, ns, 0, "--wait-for-pause-ok")

	before := readyPods(t, ns)
	rampOK(t, ns, "restart", "web")
	waitRollout(t, ns, "the restart done", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.RestartedAt != nil && ro.Status.Phase == v1alpha1.RolloutPhaseHealthy
	})
	if after := readyPods(t, ns); len(after) != len(before) {
		t.Errorf("ready pods by revision %v after restart, were %v", after, before)
	}
	if res := ramp(t, ns, "status", "nope", "--watch=false"); res.Code != 1 || !strings.Contains(res.Stderr, "rollout "+ns+"/nope not found") {
		t.Errorf("status of a missing rollout: %s", res)
	}
}

// The examples pass kubectl ramp lint, which applies the CRD's rules and the controller's.
func TestPluginLintsTheExamples(t *testing.T) {
	res := ramp(t, "default", "lint", "examples/canary-basic.yaml", "examples/canary-nginx.yaml", "examples/canary-istio.yaml", "examples/canary-gateway-api.yaml", "examples/bluegreen.yaml", "examples/analysis-templates.yaml")
	if res.Code != 0 {
		t.Errorf("lint of the examples: %s", res)
	}
}

// A blue-green held with kubectl ramp pause: the preview comes up, the promotion waits for
// resume, and promote while held says to resume first.
func TestPluginHoldsABlueGreen(t *testing.T) {
	cluster.StartController(t, controllerBin)
	ns, first := blueGreenExample(t, `{"scaleDownDelaySeconds":1}`)
	rampOK(t, ns, "pause", "web")
	rampOK(t, ns, "set", "image", "web", "web=nginx:1.28")
	res := status(t, ns, 2)
	if !strings.Contains(res.Stdout, "spec.paused is true") {
		t.Errorf("status of the held release printed %q", res.Stdout)
	}
	held := getRollout(t, ns)
	if selects(t, ns, "web-active") != first.Status.StableRS || selects(t, ns, "web-preview") != held.Status.CurrentPodHash {
		t.Errorf("held: web-active %s web-preview %s", selects(t, ns, "web-active"), selects(t, ns, "web-preview"))
	}
	if res := ramp(t, ns, "promote", "web"); res.Code != 1 || !strings.Contains(res.Stderr, "kubectl ramp resume web") {
		t.Errorf("promote while held: %s", res)
	}
	rampOK(t, ns, "resume", "web")
	if res := status(t, ns, 2); !strings.Contains(res.Stdout, "promote to switch the active Service") {
		t.Errorf("after resume, status printed %q: want the preview waiting for promotion", res.Stdout)
	}
	rampOK(t, ns, "promote", "web")
	status(t, ns, 0)
	if ro := getRollout(t, ns); selects(t, ns, "web-active") != ro.Status.StableRS || ro.Status.StableRS != held.Status.CurrentPodHash {
		t.Errorf("after promote: web-active selects %s, stable %s, want %s", selects(t, ns, "web-active"), ro.Status.StableRS, held.Status.CurrentPodHash)
	}
}
