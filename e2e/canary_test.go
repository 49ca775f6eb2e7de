//go:build e2e

package e2e

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/e2e/framework"
	"github.com/ramp-dev/ramp/pkg/testenv"
)

func TestCanaryWithTimedPausesReachesHealthy(t *testing.T) {
	ns := cluster.Namespace(t)
	ctrl := cluster.StartController(t, controllerBin)
	applyRollout(t, ns, 4, "web:1", "setWeight: 25", "pause: {duration: 1s}", "setWeight: 75", "pause: {duration: 2}")
	first := waitRollout(t, ns, "first revision Healthy", healthyAt(ns, "web:1"))

	setImage(t, ns, "web:2")
	ro := waitRollout(t, ns, "second revision Healthy", healthyAt(ns, "web:2"))
	if ro.Status.StableRS == first.Status.StableRS {
		t.Fatalf("stableRS did not move from %s", first.Status.StableRS)
	}
	if got := readyPods(t, ns); got[ro.Status.StableRS] != 4 || got[first.Status.StableRS] != 0 {
		t.Errorf("ready pods by revision %v: want 4 of %s and none of %s", got, ro.Status.StableRS, first.Status.StableRS)
	}
	want := []string{
		v1alpha1.ReasonHealthy,
		v1alpha1.ReasonRevisionDetected, v1alpha1.ReasonStepCompleted, v1alpha1.ReasonPaused, v1alpha1.ReasonResumed,
		v1alpha1.ReasonStepCompleted, v1alpha1.ReasonPaused, v1alpha1.ReasonResumed, v1alpha1.ReasonCompleted, v1alpha1.ReasonHealthy,
	}
	waitTimeline(t, ns, fmt.Sprint(want), func(got []string) bool { return slices.Equal(got, want) })

	insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	code, body, err := get(context.Background(), insecure, "https://"+ctrl.MetricAddr+"/metrics", cluster.Config.BearerToken)
	if err != nil || code != http.StatusOK {
		t.Fatalf("metrics: status %d, error %v", code, err)
	}
	for _, line := range []string{
		fmt.Sprintf(`ramp_rollout_info{name="web",namespace=%q,phase="Healthy",strategy="canary"} 1`, ns),
		fmt.Sprintf(`ramp_rollout_replicas{name="web",namespace=%q,state="available"} 4`, ns),
		`ramp_rollout_transitions_total{reason="StepCompleted"}`,
	} {
		if !strings.Contains(body, line) {
			t.Errorf("metrics lack %s", line)
		}
	}
}

// pausedAtHalf runs a controller and a 4-replica Rollout, releases web:2 and returns once
// the canary holds at its indefinite pause after setWeight 50.
func pausedAtHalf(t *testing.T) (string, *v1alpha1.Rollout) {
	t.Helper()
	ns := cluster.Namespace(t)
	cluster.StartController(t, controllerBin)
	applyRollout(t, ns, 4, "web:1", "setWeight: 50", "pause: {}")
	waitRollout(t, ns, "first revision Healthy", healthyAt(ns, "web:1"))
	setImage(t, ns, "web:2")
	ro := waitRollout(t, ns, "paused at step 2", func(ro *v1alpha1.Rollout) bool {
		return phaseIs(v1alpha1.RolloutPhasePaused)(ro) && len(ro.Status.PauseConditions) == 1
	})
	return ns, ro
}

func TestIndefinitePauseWaitsUntilPromoted(t *testing.T) {
	ns, ro := pausedAtHalf(t)
	if got := replicaSetReplicas(t, ns); got[ro.Status.CurrentPodHash] != 2 || got[ro.Status.StableRS] != 2 {
		t.Errorf("replicas by revision while paused at 50%%: %v", got)
	}
	promote(t, ns)
	waitRollout(t, ns, "second revision Healthy", healthyAt(ns, "web:2"))
}

func TestAbortRestoresStableThenFastRollback(t *testing.T) {
	ns, paused := pausedAtHalf(t)
	stable, canary := paused.Status.StableRS, paused.Status.CurrentPodHash

	patchStatus(t, ns, `{"status":{"abort":true}}`)
	ro := waitRollout(t, ns, "stable back at full scale", func(ro *v1alpha1.Rollout) bool {
		pods := readyPods(t, ns)
		return ro.Status.Phase == v1alpha1.RolloutPhaseDegraded && pods[stable] == 4 && pods[canary] == 0
	})
	if !strings.Contains(ro.Status.Message, "aborted by kubectl-ramp") {
		t.Errorf("message %q does not say the update was aborted, and by whom", ro.Status.Message)
	}

	setImage(t, ns, "web:1") // back to the stable template: no steps
	ro = waitRollout(t, ns, "Healthy on the stable revision", healthyAt(ns, "web:1"))
	if ro.Status.StableRS != stable || ro.Status.Abort {
		t.Errorf("after the rollback: stableRS %s (want %s), abort %v", ro.Status.StableRS, stable, ro.Status.Abort)
	}
	waitTimeline(t, ns, "one abort and one rollback", func(reasons []string) bool {
		return count(reasons, v1alpha1.ReasonAborted) == 1 && count(reasons, v1alpha1.ReasonRolledBack) == 1
	})
}

func TestScaleMidRollout(t *testing.T) {
	ns, _ := pausedAtHalf(t)

	if _, err := cluster.Kubectl("scale", "-n", ns, "rollout/web", "--replicas=8"); err != nil {
		t.Fatal(err)
	}
	ro := waitRollout(t, ns, "4 pods of each revision", func(ro *v1alpha1.Rollout) bool {
		pods := readyPods(t, ns)
		return pods[ro.Status.CurrentPodHash] == 4 && pods[ro.Status.StableRS] == 4 && ro.Status.Phase == v1alpha1.RolloutPhasePaused
	})
	promote(t, ns)
	ro = waitRollout(t, ns, "Healthy at 8", healthyAt(ns, "web:2"))
	if ro.Status.AvailableReplicas != 8 {
		t.Errorf("available %d, want 8", ro.Status.AvailableReplicas)
	}
}

// A controller killed mid-rollout resumes from the status it wrote: no step is run twice or
// skipped.
func TestControllerRestartResumesSteps(t *testing.T) {
	ns := cluster.Namespace(t)
	ctrl := cluster.StartController(t, controllerBin)
	applyRollout(t, ns, 4, "web:1", "setWeight: 25", "pause: {duration: 3s}", "setWeight: 50", "pause: {}")
	waitRollout(t, ns, "first revision Healthy", healthyAt(ns, "web:1"))
	setImage(t, ns, "web:2")
	waitRollout(t, ns, "in the timed pause", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhasePaused && len(ro.Status.PauseConditions) == 1
	})
	// Events go out asynchronously and a killed process loses the unsent ones: let them
	// arrive before each kill, so that the counts below speak of steps, not of lost Events.
	steps := func(completed, paused int) func([]string) bool {
		return func(reasons []string) bool {
			return count(reasons, v1alpha1.ReasonStepCompleted) == completed && count(reasons, v1alpha1.ReasonPaused) == paused &&
				count(reasons, v1alpha1.ReasonRevisionDetected) == 1
		}
	}
	waitTimeline(t, ns, "step 1 done, paused at step 2", steps(1, 1))
	ctrl.Kill()
	ctrl.Start()
	waitRollout(t, ns, "paused at the last step", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhasePaused && ro.Status.CurrentStepIndex != nil && *ro.Status.CurrentStepIndex == 3
	})
	waitTimeline(t, ns, "steps 1 and 3 done, paused twice", steps(2, 2))
	ctrl.Kill()
	ctrl.Start()
	promote(t, ns)
	waitRollout(t, ns, "second revision Healthy", healthyAt(ns, "web:2"))
	waitTimeline(t, ns, "each step once across the restarts, then completed", func(reasons []string) bool {
		return steps(2, 2)(reasons) && count(reasons, v1alpha1.ReasonCompleted) == 1
	})
}

// The promise to Argo Rollouts users: a canary manifest moves over by changing its apiVersion.
func TestArgoRolloutsManifestMovesByAPIVersion(t *testing.T) {
	ns := cluster.Namespace(t)
	cluster.StartController(t, controllerBin)
	data, err := os.ReadFile(filepath.Join(framework.RepoRoot(), "e2e", "testdata", "argo-rollouts-canary.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	converted := strings.ReplaceAll(string(data), "apiVersion: argoproj.io/v1alpha1", "apiVersion: rollouts.ramp.dev/v1alpha1")
	path := filepath.Join(t.TempDir(), "rollout.yaml")
	if err := os.WriteFile(path, []byte(converted), 0o644); err != nil {
		t.Fatal(err)
	}
	// Strict validation: a field ramp does not know would be an error, not silently dropped.
	if out, err := cluster.Kubectl("apply", "--validate=strict", "-n", ns, "-f", path); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	ro := &v1alpha1.Rollout{}
	testenv.Eventually(t, rolloutTimeout, "checkout Healthy", func(ctx context.Context) (bool, string, error) {
		err := cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "checkout"}, ro)
		return err == nil && ro.Status.Phase == v1alpha1.RolloutPhaseHealthy, string(ro.Status.Phase) + ": " + ro.Status.Message, err
	})
	svc := &corev1.Service{}
	if err := cluster.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "checkout-stable"}, svc); err != nil {
		t.Fatal(err)
	}
	if svc.Spec.Selector[v1alpha1.PodTemplateHashLabel] != ro.Status.StableRS {
		t.Errorf("stable Service selects %v, want the stable revision %s", svc.Spec.Selector, ro.Status.StableRS)
	}
}

// canaryMetadata and stableMetadata label the pods of each side, and move when the canary
// becomes stable: on the existing pods, which are not recreated.
func TestSideMetadataMovesWithTheSides(t *testing.T) {
	ns := cluster.Namespace(t)
	cluster.StartController(t, controllerBin)
	manifest := `
apiVersion: rollouts.ramp.dev/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "web:1"}]}
  strategy:
    canary:
      canaryMetadata: {labels: {role: canary}}
      stableMetadata: {labels: {role: stable}}
      steps: [{setWeight: 50}, {pause: {}}]
`
	cluster.Apply(t, ns, []byte(manifest))
	waitRollout(t, ns, "first revision Healthy", healthyAt(ns, "web:1"))
	setImage(t, ns, "web:2")
	ro := waitRollout(t, ns, "paused", phaseIs(v1alpha1.RolloutPhasePaused))
	roles := func() map[string]string {
		pods := &corev1.PodList{}
		if err := cluster.Client.List(context.Background(), pods, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, p := range pods.Items {
			if p.DeletionTimestamp == nil {
				out[p.Name] = p.Labels[v1alpha1.PodTemplateHashLabel] + "=" + p.Labels["role"]
			}
		}
		return out
	}
	canary, stable := ro.Status.CurrentPodHash, ro.Status.StableRS
	testenv.Eventually(t, rolloutTimeout, "one canary and one stable pod, labelled", func(context.Context) (bool, string, error) {
		got := roles()
		var c, s int
		for _, v := range got {
			c += btoi(v == canary+"=canary")
			s += btoi(v == stable+"=stable")
		}
		return c == 1 && s == 1 && len(got) == 2, fmt.Sprint(got), nil
	})
	canaryPods := roles()

	promote(t, ns)
	waitRollout(t, ns, "Healthy", healthyAt(ns, "web:2"))
	testenv.Eventually(t, rolloutTimeout, "the canary pod relabelled stable in place", func(context.Context) (bool, string, error) {
		got := roles()
		for name, v := range canaryPods {
			if v == canary+"=canary" && got[name] != canary+"=stable" {
				return false, fmt.Sprint(got), nil
			}
		}
		return true, fmt.Sprint(got), nil
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// restartAt replaces every pod created before it, one at a time, without a new revision.
func TestRestartAtReplacesEveryPod(t *testing.T) {
	ns := cluster.Namespace(t)
	cluster.StartController(t, controllerBin)
	applyRollout(t, ns, 3, "web:1")
	waitRollout(t, ns, "Healthy", healthyAt(ns, "web:1"))
	before := map[string]bool{}
	pods := &corev1.PodList{}
	if err := cluster.Client.List(context.Background(), pods, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		before[p.Name] = true
	}

	restartAt := time.Now().UTC().Add(time.Second).Format(time.RFC3339)
	patchRollout(t, ns, types.MergePatchType, fmt.Sprintf(`{"spec":{"restartAt":%q}}`, restartAt))
	waitRollout(t, ns, "the restart done and Healthy", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.RestartedAt != nil && healthyAt(ns, "web:1")(ro)
	})
	if err := cluster.Client.List(context.Background(), pods, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	running := 0
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil {
			running++
			if before[p.Name] {
				t.Errorf("pod %s from before restartAt still runs", p.Name)
			}
		}
	}
	if running != 3 {
		t.Errorf("%d pods run after the restart, want 3", running)
	}
	waitTimeline(t, ns, "the restart's start and end once each", func(reasons []string) bool {
		return count(reasons, v1alpha1.ReasonRestarting) == 1 && count(reasons, v1alpha1.ReasonRestarted) == 1
	})
}

// kubectl argo rollouts undo copies a ReplicaSet's pod template, with the API server's defaults
// in it, back into the Rollout (less the hash label). That is the stable revision: a fast
// rollback on the real control plane, with no new ReplicaSet and no steps.
func TestUndoByCopyingTheReplicaSetTemplateAsArgosPluginDoes(t *testing.T) {
	ns := cluster.Namespace(t)
	cluster.StartController(t, controllerBin)
	applyRollout(t, ns, 4, "web:1", "setWeight: 25", "pause: {}")
	first := waitRollout(t, ns, "first revision Healthy", healthyAt(ns, "web:1"))
	setImage(t, ns, "web:2")
	waitRollout(t, ns, "paused at the canary step", phaseIs(v1alpha1.RolloutPhasePaused))

	rs := &appsv1.ReplicaSet{}
	if err := cluster.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "web-" + first.Status.StableRS}, rs); err != nil {
		t.Fatal(err)
	}
	tpl := rs.Spec.Template.DeepCopy()
	delete(tpl.Labels, v1alpha1.PodTemplateHashLabel)
	patch, err := json.Marshal([]map[string]any{{"op": "replace", "path": "/spec/template", "value": tpl}})
	if err != nil {
		t.Fatal(err)
	}
	patchRollout(t, ns, types.JSONPatchType, string(patch))
	ro := waitRollout(t, ns, "back on the first revision", healthyAt(ns, "web:1"))
	if ro.Status.StableRS != first.Status.StableRS {
		t.Errorf("stable revision %s after the undo, want the first one %s", ro.Status.StableRS, first.Status.StableRS)
	}
	if got := replicaSetReplicas(t, ns); len(got) != 2 {
		t.Errorf("ReplicaSets by revision %v: want the two revisions only", got)
	}
	waitTimeline(t, ns, "a fast rollback", func(reasons []string) bool { return count(reasons, v1alpha1.ReasonRolledBack) == 1 })
}
