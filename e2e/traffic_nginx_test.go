//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// nginxExample applies examples/canary-nginx.yaml (previous revisions kept 1 s instead of
// 30 after a promotion, to keep the test short) and waits for its first revision.
func nginxExample(t *testing.T) string {
	t.Helper()
	ns := cluster.Namespace(t)
	cluster.ApplyFile(t, ns, "examples/canary-nginx.yaml")
	patchRollout(t, ns, types.MergePatchType, `{"spec":{"strategy":{"canary":{"scaleDownDelaySeconds":1}}}}`)
	waitRollout(t, ns, "first revision Healthy", healthyAt(ns, "nginx:1.27"))
	return ns
}

// The example's canary through every step: the exact weight on the canary Ingress and in
// status after each, the header route, an abort at each weight, and the promotion's order.
func TestNginxCanaryThroughEveryStep(t *testing.T) {
	cluster.StartController(t, controllerBin)
	ns := nginxExample(t)
	ing := canaryIngressWeight(t, ns, 0, rolloutTimeout)
	if ing.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Name != "web-canary" {
		t.Errorf("canary ingress routes to %s, want web-canary", ing.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Name)
	}

	setImage(t, ns, "nginx:1.28")
	ro := waitRollout(t, ns, "paused after the header route", and(atStep(2, v1alpha1.RolloutPhasePaused), statusWeight(10)))
	ing = canaryIngressWeight(t, ns, 10, rolloutTimeout)
	if ing.Annotations["nginx.ingress.kubernetes.io/canary-by-header"] != "X-Canary" || ing.Annotations["nginx.ingress.kubernetes.io/canary-by-header-value"] != "yes" {
		t.Errorf("canary ingress annotations %v, want the X-Canary header route", ing.Annotations)
	}
	if got := replicaSetReplicas(t, ns); got[ro.Status.StableRS] != 5 || got[ro.Status.CurrentPodHash] != 1 {
		t.Errorf("replicas by revision %v: want 5 stable (the router splits traffic) and 1 canary", got)
	}

	// Abort at weight 10: weight 0 and the header route gone at once; the canary keeps its pods
	// for abortScaleDownDelaySeconds.
	patchStatus(t, ns, `{"status":{"abort":true}}`)
	ing = canaryIngressWeight(t, ns, 0, abortReaction)
	if _, ok := ing.Annotations["nginx.ingress.kubernetes.io/canary-by-header"]; ok {
		t.Errorf("header route left after the abort: %v", ing.Annotations)
	}
	ro = waitRollout(t, ns, "Degraded by the abort", and(phaseIs(v1alpha1.RolloutPhaseDegraded), statusWeight(0)))
	if got := replicaSetReplicas(t, ns); got[ro.Status.CurrentPodHash] != 1 {
		t.Errorf("canary replicas %d right after the abort, want 1 until abortScaleDownDelaySeconds", got[ro.Status.CurrentPodHash])
	}

	// Retry, promote to setWeight 50, abort there too.
	patchStatus(t, ns, `{"status":{"abort":false}}`)
	waitRollout(t, ns, "paused again after the retry", and(atStep(2, v1alpha1.RolloutPhasePaused), statusWeight(10)))
	promote(t, ns)
	waitRollout(t, ns, "in the timed pause at weight 50", and(atStep(4, v1alpha1.RolloutPhasePaused), statusWeight(50)))
	canaryIngressWeight(t, ns, 50, rolloutTimeout)
	patchStatus(t, ns, `{"status":{"abort":true}}`)
	canaryIngressWeight(t, ns, 0, abortReaction)
	// A retry before the controller recorded the abort would only cancel it (the rollout goes on
	// from step 4): retry what the status says is aborted, as kubectl ramp retry does.
	waitRollout(t, ns, "Degraded by the second abort", phaseIs(v1alpha1.RolloutPhaseDegraded))
	patchStatus(t, ns, `{"status":{"abort":false}}`)

	// Promote through every step: weight 100, the stable Service moves, then weight 0.
	waitRollout(t, ns, "paused after the retry", atStep(2, v1alpha1.RolloutPhasePaused))
	patchStatus(t, ns, `{"status":{"promoteFull":true}}`)
	ro = waitRollout(t, ns, "the new revision Healthy", healthyAt(ns, "nginx:1.28"))
	ing = canaryIngressWeight(t, ns, 0, rolloutTimeout)
	if _, ok := ing.Annotations["nginx.ingress.kubernetes.io/canary-by-header"]; ok {
		t.Errorf("header route left at the end of the rollout: %v", ing.Annotations)
	}
	if got := readyPods(t, ns); got[ro.Status.StableRS] != 5 || len(got) != 1 {
		t.Errorf("ready pods by revision %v, want only 5 of %s", got, ro.Status.StableRS)
	}
	waitTimeline(t, ns, "the promotion's weight changes after RolloutCompleted", func(reasons []string) bool {
		done := strings.Join(reasons, ",")
		i := strings.LastIndex(done, v1alpha1.ReasonCompleted)
		return i >= 0 && strings.Count(done[i:], v1alpha1.ReasonWeightChanged) == 1 && strings.Count(done[:i], v1alpha1.ReasonWeightChanged) >= 5
	})
}

// A controller restarted mid-rollout leaves the canary Ingress as it was: no write, no blip.
func TestNginxControllerRestartLeavesWeights(t *testing.T) {
	ctrl := cluster.StartController(t, controllerBin)
	ns := nginxExample(t)
	setImage(t, ns, "nginx:1.28")
	waitRollout(t, ns, "paused at weight 10", and(atStep(2, v1alpha1.RolloutPhasePaused), statusWeight(10)))
	before := canaryIngressWeight(t, ns, 10, rolloutTimeout)

	ctrl.Kill()
	ctrl.Start()
	// A spec change that needs no traffic change: once the status observes it, the new
	// process has planned this Rollout.
	patchRollout(t, ns, types.MergePatchType, `{"spec":{"progressDeadlineSeconds":900}}`)
	waitRollout(t, ns, "the restarted controller observed the change", atStep(2, v1alpha1.RolloutPhasePaused))
	after := &networkingv1.Ingress{}
	if err := cluster.Client.Get(context.Background(), client.ObjectKeyFromObject(before), after); err != nil {
		t.Fatal(err)
	}
	if after.ResourceVersion != before.ResourceVersion {
		t.Errorf("canary ingress rewritten by the restart: resourceVersion %s -> %s, annotations %v", before.ResourceVersion, after.ResourceVersion, after.Annotations)
	}
}

// A missing stable Ingress, one with no path to the stable Service, and a canary name taken by
// someone else's Ingress: Degraded with the field named, nothing re-routed or scaled.
func TestNginxInvalidReferences(t *testing.T) {
	cluster.StartController(t, controllerBin)
	ns := nginxExample(t)
	setImage(t, ns, "nginx:1.28")
	ro := waitRollout(t, ns, "paused at weight 10", and(atStep(2, v1alpha1.RolloutPhasePaused), statusWeight(10)))
	replicas := replicaSetReplicas(t, ns)

	patchRollout(t, ns, types.MergePatchType, `{"spec":{"strategy":{"canary":{"trafficRouting":{"nginx":{"stableIngress":"gone"}}}}}}`)
	ro = waitRollout(t, ns, "Degraded naming the missing Ingress", func(ro *v1alpha1.Rollout) bool {
		return phaseIs(v1alpha1.RolloutPhaseDegraded)(ro) && strings.Contains(ro.Status.Message, "trafficRouting.nginx.stableIngress: Ingress "+ns+"/gone not found")
	})
	canaryIngressWeight(t, ns, 10, rolloutTimeout) // the old canary Ingress still routes as it did
	cluster.Apply(t, ns, []byte(`
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: gone}
spec:
  rules:
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: elsewhere, port: {number: 80}}}}
`))
	waitRollout(t, ns, "Degraded naming the backend", func(ro *v1alpha1.Rollout) bool {
		return strings.Contains(ro.Status.Message, "has no backend on the stable Service web-stable")
	})
	cluster.Apply(t, ns, []byte(`
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: taken}
spec:
  rules:
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web-stable, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web-taken-canary}
spec:
  rules:
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: other, port: {number: 80}}}}
`))
	patchRollout(t, ns, types.MergePatchType, `{"spec":{"strategy":{"canary":{"trafficRouting":{"nginx":{"stableIngress":"taken"}}}}}}`)
	waitRollout(t, ns, "Degraded naming the taken canary name", func(ro *v1alpha1.Rollout) bool {
		return strings.Contains(ro.Status.Message, "web-taken-canary is taken by an Ingress that Rollout web does not own")
	})
	if got := replicaSetReplicas(t, ns); len(got) != len(replicas) || got[ro.Status.StableRS] != replicas[ro.Status.StableRS] || got[ro.Status.CurrentPodHash] != replicas[ro.Status.CurrentPodHash] {
		t.Errorf("replicas changed while Degraded: %v -> %v", replicas, got)
	}

	// Back to the stable Ingress: the rollout continues where it was; the canary Ingress of
	// "taken" was never ours and is left alone.
	patchRollout(t, ns, types.MergePatchType, `{"spec":{"strategy":{"canary":{"trafficRouting":{"nginx":{"stableIngress":"web"}}}}}}`)
	waitRollout(t, ns, "paused again", and(atStep(2, v1alpha1.RolloutPhasePaused), statusWeight(10)))
	other := &networkingv1.Ingress{}
	if err := cluster.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "web-taken-canary"}, other); err != nil || len(other.Annotations) > 0 {
		t.Errorf("someone else's Ingress web-taken-canary: %v, %v", other.Annotations, err)
	}
}
