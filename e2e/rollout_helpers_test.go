//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/testenv"
)

const rolloutTimeout = 2 * time.Minute

// applyRollout applies a Rollout named web with the given replicas and steps (YAML list items).
func applyRollout(t *testing.T, ns string, replicas int, image string, steps ...string) {
	t.Helper()
	applyRolloutWith(t, ns, replicas, image, "", steps...)
}

// applyRolloutWith is applyRollout with more fields of spec.strategy.canary (YAML lines
// indented six spaces), such as background analysis.
func applyRolloutWith(t *testing.T, ns string, replicas int, image, canary string, steps ...string) {
	t.Helper()
	applyNamedRollout(t, ns, "web", replicas, image, canary, steps...)
}

// applyNamedRollout is applyRolloutWith for a Rollout of another name (its pods app=name).
func applyNamedRollout(t *testing.T, ns, name string, replicas int, image, canary string, steps ...string) {
	t.Helper()
	stepsYAML := "      steps: []\n"
	if len(steps) > 0 {
		stepsYAML = "      steps:\n"
		for _, s := range steps {
			stepsYAML += "      - " + s + "\n"
		}
	}
	cluster.Apply(t, ns, []byte(fmt.Sprintf(`
apiVersion: rollouts.ramp.dev/v1alpha1
kind: Rollout
metadata: {name: %[1]s}
spec:
  replicas: %[2]d
  selector: {matchLabels: {app: %[1]s}}
  template:
    metadata: {labels: {app: %[1]s}}
    spec:
      containers: [{name: web, image: %[3]q}]
  strategy:
    canary:
      maxSurge: 1
      maxUnavailable: 0
%[4]s%[5]s`, name, replicas, image, canary, stepsYAML)))
}

func getRollout(t testing.TB, ns string) *v1alpha1.Rollout {
	t.Helper()
	return getNamedRollout(t, ns, "web")
}

func getNamedRollout(t testing.TB, ns, name string) *v1alpha1.Rollout {
	t.Helper()
	ro := &v1alpha1.Rollout{}
	if err := cluster.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, ro); err != nil {
		t.Fatal(err)
	}
	return ro
}

// waitRollout polls the Rollout until ok says so.
func waitRollout(t testing.TB, ns, what string, ok func(*v1alpha1.Rollout) bool) *v1alpha1.Rollout {
	t.Helper()
	return waitNamedRollout(t, ns, "web", what, ok)
}

// waitNamedRollout is waitRollout for a Rollout of another name.
func waitNamedRollout(t testing.TB, ns, name, what string, ok func(*v1alpha1.Rollout) bool) *v1alpha1.Rollout {
	t.Helper()
	var ro *v1alpha1.Rollout
	testenv.Eventually(t, rolloutTimeout, what, func(ctx context.Context) (bool, string, error) {
		ro = &v1alpha1.Rollout{}
		if err := cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, ro); err != nil {
			return false, "", err
		}
		return ok(ro), fmt.Sprintf("phase %s step %d: %s", ro.Status.Phase, ptr.Deref(ro.Status.CurrentStepIndex, -1), ro.Status.Message), nil
	})
	return ro
}

func phaseIs(phase v1alpha1.RolloutPhase) func(*v1alpha1.Rollout) bool {
	return func(ro *v1alpha1.Rollout) bool {
		return ro.Status.ObservedGeneration == ro.Generation && ro.Status.Phase == phase
	}
}

// healthyAt: Healthy on the revision running image, every pod of it available, in a status
// written for the current spec.
func healthyAt(ns, image string) func(*v1alpha1.Rollout) bool {
	return func(ro *v1alpha1.Rollout) bool {
		return ro.Status.ObservedGeneration == ro.Generation && ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && ro.Spec.Template.Spec.Containers[0].Image == image &&
			ro.Status.StableRS == ro.Status.CurrentPodHash && ro.Status.AvailableReplicas == ptr.Deref(ro.Spec.Replicas, 1) &&
			ro.Status.Replicas == ptr.Deref(ro.Spec.Replicas, 1)
	}
}

// releasedAt: the release of image is done (Healthy on it, as in Argo), whether or not earlier
// revisions still wait out their scaleDownDelaySeconds.
func releasedAt(ns, image string) func(*v1alpha1.Rollout) bool {
	return func(ro *v1alpha1.Rollout) bool {
		return ro.Status.ObservedGeneration == ro.Generation && ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && ro.Spec.Template.Spec.Containers[0].Image == image &&
			ro.Status.StableRS == ro.Status.CurrentPodHash
	}
}

// patchRollout patches the spec of the Rollout named web, as a user would.
func patchRollout(t testing.TB, ns string, patchType types.PatchType, patch string) {
	t.Helper()
	patchNamedRollout(t, ns, "web", patchType, patch)
}

// patchNamedRollout is patchRollout for a Rollout of another name.
func patchNamedRollout(t testing.TB, ns, name string, patchType types.PatchType, patch string) {
	t.Helper()
	ro := &v1alpha1.Rollout{}
	ro.Namespace, ro.Name = ns, name
	if err := cluster.Client.Patch(context.Background(), ro, client.RawPatch(patchType, []byte(patch))); err != nil {
		t.Fatal(err)
	}
}

func setImage(t testing.TB, ns, image string) {
	t.Helper()
	setNamedImage(t, ns, "web", image)
}

// setNamedImage is setImage for a Rollout of another name.
func setNamedImage(t testing.TB, ns, name, image string) {
	t.Helper()
	patchNamedRollout(t, ns, name, types.JSONPatchType, fmt.Sprintf(`[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":%q}]`, image))
}

// patchStatus writes user intent into status the way `kubectl ramp` does.
func patchStatus(t testing.TB, ns, mergePatch string) {
	t.Helper()
	ro := &v1alpha1.Rollout{}
	ro.Namespace, ro.Name = ns, "web"
	if err := cluster.Client.Status().Patch(context.Background(), ro, client.RawPatch(types.MergePatchType, []byte(mergePatch)), client.FieldOwner("kubectl-ramp")); err != nil {
		t.Fatal(err)
	}
}

func promote(t testing.TB, ns string) { patchStatus(t, ns, `{"status":{"pauseConditions":null}}`) }

// readyPods counts the Running and Ready pods of each revision, by pod-template hash.
func readyPods(t *testing.T, ns string) map[string]int {
	t.Helper()
	pods := &corev1.PodList{}
	if err := cluster.Client.List(context.Background(), pods, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil {
			continue
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				out[p.Labels[v1alpha1.PodTemplateHashLabel]]++
			}
		}
	}
	return out
}

// replicaSetReplicas is spec.replicas of each of the namespace's ReplicaSets, by hash.
func replicaSetReplicas(t *testing.T, ns string) map[string]int32 {
	t.Helper()
	list := &appsv1.ReplicaSetList{}
	if err := cluster.Client.List(context.Background(), list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	out := map[string]int32{}
	for _, rs := range list.Items {
		out[rs.Labels[v1alpha1.PodTemplateHashLabel]] = ptr.Deref(rs.Spec.Replicas, 1)
	}
	return out
}

// waitTimeline waits until the reasons of the Rollout's Events, oldest first, satisfy ok.
// Events are sent asynchronously after the controller's log line, so they are polled for.
func waitTimeline(t *testing.T, ns, what string, ok func(reasons []string) bool) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, "timeline: "+what, func(ctx context.Context) (bool, string, error) {
		reasons, err := timelineReasons(ctx, ns)
		return err == nil && ok(reasons), fmt.Sprint(reasons), err
	})
}

// timelineReasons is the reasons of the Rollout's Events, oldest first.
func timelineReasons(ctx context.Context, ns string) ([]string, error) {
	list := &eventsv1.EventList{}
	if err := cluster.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	items := list.Items
	sort.SliceStable(items, func(i, j int) bool { return items[i].EventTime.Before(&items[j].EventTime) })
	var out []string
	for _, e := range items {
		if e.Regarding.Kind == "Rollout" {
			out = append(out, e.Reason)
		}
	}
	return out, nil
}

func count(reasons []string, reason string) int {
	n := 0
	for _, r := range reasons {
		if r == reason {
			n++
		}
	}
	return n
}
