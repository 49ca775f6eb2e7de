//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/e2e/exporter"
	"github.com/ramp-dev/ramp/e2e/metricsapi"
	"github.com/ramp-dev/ramp/e2e/prometheus"
	"github.com/ramp-dev/ramp/pkg/testenv"
)

// hpaMetric is the external metric the HPA scales on: the service's requests per second, as
// KEDA's Prometheus scaler or prometheus-adapter would serve it.
const (
	hpaMetric = "requests_per_second"
	hpaQuery  = `sum(rate(http_requests_total{version="v1"}[5s]))`
)

// hpaWorld is a Rollout scaled by the real kube-controller-manager's HPA controller on an
// External AverageValue metric (100 requests per second per pod) read from a real Prometheus
// through the aggregation layer: the metric type whose per-pod average divides by the replicas
// the scale subresource reports, and which Argo's stable-to-max ratchet comes from.
type hpaWorld struct {
	ns  string
	exp *exporter.Exporter
	api *metricsapi.Server
}

func newHPAWorld(t *testing.T, load float64) *hpaWorld {
	t.Helper()
	w := &hpaWorld{exp: exporter.New()}
	t.Cleanup(w.exp.Close)
	w.exp.SetRequestRate("v1", load)
	w.exp.SetRequestRate("v2", 0)
	prom := prometheus.Start(t, []string{w.exp.Addr()})
	if err := prom.WaitTargetsUp(time.Minute); err != nil {
		t.Fatal(err)
	}
	api, err := metricsapi.Start(prom.Address(), map[string]string{hpaMetric: hpaQuery})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(api.Close)
	w.api = api

	cluster.StartController(t, controllerBin)
	w.ns = nginxExample(t)
	patchRollout(t, w.ns, types.MergePatchType, `{"spec":{"strategy":{"canary":{"abortScaleDownDelaySeconds":1}}}}`)
	objs := cluster.Apply(t, w.ns, []byte(api.Manifest(w.ns)))
	t.Cleanup(func() {
		for _, obj := range objs {
			if obj.GetNamespace() == "" { // the APIService is cluster-scoped
				_ = cluster.Client.Delete(context.Background(), obj)
			}
		}
	})
	cluster.Apply(t, w.ns, []byte(fmt.Sprintf(`
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: rollouts.ramp.dev/v1alpha1, kind: Rollout, name: web}
  minReplicas: 1
  maxReplicas: 30
  metrics:
  - type: External
    external:
      metric: {name: %s}
      target: {type: AverageValue, averageValue: "100"}
  behavior:
    scaleUp:
      stabilizationWindowSeconds: 0
      policies: [{type: Percent, value: 1000, periodSeconds: 1}]
    scaleDown:
      stabilizationWindowSeconds: 0
      policies: [{type: Percent, value: 100, periodSeconds: 1}]
`, hpaMetric)))
	return w
}

// preciseHPA narrows the HPA's tolerance from the default 10% to 1%, both ways.
func (w *hpaWorld) preciseHPA(t *testing.T) {
	t.Helper()
	hpa := &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Namespace: w.ns, Name: "web"}}
	patch := []byte(`{"spec":{"behavior":{"scaleUp":{"tolerance":"0.01"},"scaleDown":{"tolerance":"0.01"}}}}`)
	if err := cluster.Client.Patch(context.Background(), hpa, client.RawPatch(types.MergePatchType, patch)); err != nil {
		t.Fatal(err)
	}
}

// scaledTo waits until the HPA has set spec.replicas to n and the stable ReplicaSet's pods
// have followed, as the scale subresource reports them.
func (w *hpaWorld) scaledTo(t *testing.T, n int32) *v1alpha1.Rollout {
	t.Helper()
	return waitRollout(t, w.ns, fmt.Sprintf("scaled by the HPA to %d", n), func(ro *v1alpha1.Rollout) bool {
		return ptr.Deref(ro.Spec.Replicas, 0) == n && ro.Status.ObservedGeneration == ro.Generation && ro.Status.HPAReplicas == n
	})
}

// readsMore waits until the HPA controller has read the metric n more times: each read is a
// sync that could have rescaled.
func (w *hpaWorld) readsMore(t *testing.T, n int) {
	t.Helper()
	want := w.api.Served(hpaMetric) + n
	testenv.Eventually(t, time.Minute, fmt.Sprintf("the HPA reads %s %d more times", hpaMetric, n), func(context.Context) (bool, string, error) {
		got := w.api.Served(hpaMetric)
		return got >= want, fmt.Sprintf("%d reads, last value %.0f", got, w.api.Last(hpaMetric)), nil
	})
}

// expectReplicas checks spec.replicas of the stable and canary ReplicaSets, and waits for the
// HPA to have seen what it scaled to: its status trails by a sync, and shows the canary's pods
// too when the scale subresource counts them.
func (w *hpaWorld) expectReplicas(t *testing.T, stable, canary int32) {
	t.Helper()
	ro := getRollout(t, w.ns)
	got := replicaSetReplicas(t, w.ns)
	if got[ro.Status.StableRS] != stable || got[ro.Status.CurrentPodHash] != canary {
		t.Errorf("replicas by revision %v: want %d stable (%s), %d canary (%s)", got, stable, ro.Status.StableRS, canary, ro.Status.CurrentPodHash)
	}
	testenv.Eventually(t, time.Minute, fmt.Sprintf("the HPA sees %d replicas and wants them", stable), func(ctx context.Context) (bool, string, error) {
		hpa := &autoscalingv2.HorizontalPodAutoscaler{}
		if err := cluster.Client.Get(ctx, client.ObjectKey{Namespace: w.ns, Name: "web"}, hpa); err != nil {
			return false, "", err
		}
		st := hpa.Status
		return st.CurrentReplicas == stable && st.DesiredReplicas == stable, fmt.Sprintf("current %d, desired %d", st.CurrentReplicas, st.DesiredReplicas), nil
	})
}

// Through a canary with a router, the HPA sizes the stable side for the load and nothing
// else: the canary's pods never ratchet it up, scaling mid-pause keeps the canary's share and
// the weight, and an aborted canary does not regrow however the HPA scales.
func TestHPAScalesARoutedCanaryOnLoadOnly(t *testing.T) {
	w := newHPAWorld(t, 1000)
	w.scaledTo(t, 10)
	waitRollout(t, w.ns, "10 stable pods available", func(ro *v1alpha1.Rollout) bool { return ro.Status.AvailableReplicas == 10 })

	// The canary's pod is on top of spec.replicas. Were it reported, 1000/(100×11) is within the
	// HPA's 10% tolerance and the HPA would adopt 11, then more at every step.
	setImage(t, w.ns, "nginx:1.28")
	waitRollout(t, w.ns, "paused at weight 10 with the canary's pod available", and(atStep(2, v1alpha1.RolloutPhasePaused), statusWeight(10), func(ro *v1alpha1.Rollout) bool {
		return ro.Status.AvailableReplicas == 11
	}))
	w.readsMore(t, 3)
	w.scaledTo(t, 10)
	w.expectReplicas(t, 10, 1)

	// Load up and down mid-pause: the stable side follows, the canary keeps 10% of it, the
	// weight stays. Loads are off the HPA's rounding edges, and its tolerance is 1% from here:
	// with 10%, an intermediate count the 5 s rate passes through on its way (14 on the way to
	// 15) is close enough to stay.
	w.preciseHPA(t)
	w.exp.SetRequestRate("v1", 1450)
	w.scaledTo(t, 15)
	w.expectReplicas(t, 15, 2)
	canaryIngressWeight(t, w.ns, 10, rolloutTimeout)
	w.exp.SetRequestRate("v1", 550)
	w.scaledTo(t, 6)
	w.expectReplicas(t, 6, 1)
	canaryIngressWeight(t, w.ns, 10, rolloutTimeout)

	// Abort: weight 0, the canary scaled away, and it stays away while the HPA scales up.
	patchStatus(t, w.ns, `{"status":{"abort":true}}`)
	canaryIngressWeight(t, w.ns, 0, abortReaction)
	waitRollout(t, w.ns, "aborted, the canary's pods gone", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseDegraded && ro.Status.Replicas == 6
	})
	w.exp.SetRequestRate("v1", 1150)
	w.scaledTo(t, 12)
	w.readsMore(t, 3)
	w.expectReplicas(t, 12, 0)
	canaryIngressWeight(t, w.ns, 0, rolloutTimeout)

	// Retry and release: the new revision is stable at the size the HPA keeps.
	patchStatus(t, w.ns, `{"status":{"abort":false}}`)
	waitRollout(t, w.ns, "paused again after the retry", atStep(2, v1alpha1.RolloutPhasePaused))
	patchStatus(t, w.ns, `{"status":{"promoteFull":true}}`)
	waitRollout(t, w.ns, "the new revision Healthy", healthyAt(w.ns, "nginx:1.28"))
	w.readsMore(t, 3)
	w.scaledTo(t, 12)
	w.expectReplicas(t, 12, 12)
}

// Under blue-green the scale subresource shows the active revision: its pods, and a selector
// that picks only them, so per-pod metrics never average in the idle preview, before the
// release and while a full-size preview waits for its promotion.
func TestHPAScaleSubresourceUnderBlueGreen(t *testing.T) {
	cluster.StartController(t, controllerBin)
	ns := cluster.Namespace(t)
	cluster.ApplyFile(t, ns, "examples/bluegreen.yaml")
	ro := waitRollout(t, ns, "first revision Healthy", phaseIs(v1alpha1.RolloutPhaseHealthy))
	active := ro.Status.StableRS
	expectScale := func(what string) {
		t.Helper()
		scale := &autoscalingv1.Scale{}
		if err := cluster.Client.SubResource("scale").Get(context.Background(), getRollout(t, ns), scale); err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("app=%s,%s=%s", ro.Name, v1alpha1.PodTemplateHashLabel, active)
		if scale.Status.Selector != want || scale.Status.Replicas != ptr.Deref(ro.Spec.Replicas, 1) {
			t.Errorf("%s: scale status selector %q, %d replicas; want %q, %d", what, scale.Status.Selector, scale.Status.Replicas, want, ptr.Deref(ro.Spec.Replicas, 1))
		}
	}
	expectScale("released")
	setImage(t, ns, "nginx:1.28")
	waitRollout(t, ns, "the preview at full size, waiting for its promotion", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhasePaused && ro.Status.CurrentPodHash != active && ro.Status.AvailableReplicas == 2*ptr.Deref(ro.Spec.Replicas, 1)
	})
	expectScale("preview up")
}
