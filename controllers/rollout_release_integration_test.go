//go:build integration

package controllers_test

import (
	"context"
	"fmt"
	"testing"

	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/testenv"
)

// updateSpec changes a Rollout's spec with a merge patch.
func updateSpec(t *testing.T, ro *v1alpha1.Rollout, change func(*v1alpha1.RolloutSpec)) {
	t.Helper()
	got := get(t, ro)
	patched := got.DeepCopy()
	change(&patched.Spec)
	if err := env.Client.Patch(context.Background(), patched, client.MergeFrom(got)); err != nil {
		t.Fatal(err)
	}
}

// Removing trafficRouting mid-rollout returns the VirtualService's weights to the stable
// revision before ramp stops managing them: a canary scaled down later must not keep a share.
func TestRemovingIstioRoutingReturnsTheWeightsToStable(t *testing.T) {
	ns := namespace(t)
	playReplicaSetController(t, ns)
	create(t, service(ns, "web-stable"), service(ns, "web-canary"))
	createYAML(t, ns, fmt.Sprintf(istioHostVS, ns))
	ro := istioHostRollout(ns, 4, setWeightStep(60), pauseStep, setWeightStep(80), pauseStep)
	create(t, ro)
	v1 := waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy).Status.StableRS

	setImage(t, ro, "web:2")
	waitStep(t, ro, v1alpha1.RolloutPhasePaused, 1)
	waitSpec(t, istioVSGVK, ns, "web", "weight 60", istioHostSpec(ns, 60))

	updateSpec(t, ro, func(s *v1alpha1.RolloutSpec) { s.Strategy.Canary.TrafficRouting = nil })
	waitSpec(t, istioVSGVK, ns, "web", "weight 0 once trafficRouting is removed", istioHostSpec(ns, 0))
	waitSelects(t, ns, "web-stable", v1)
	waitStep(t, ro, v1alpha1.RolloutPhasePaused, 1) // the pod-ratio canary takes over at 60%
	// The router is set back before the status that lets it go is written: wait for that write.
	testenv.Eventually(t, timeout, "status.managed with the Services alone", func(context.Context) (bool, string, error) {
		got := get(t, ro)
		m := got.Status.Managed
		return m != nil && m.StableService == "web-stable" && m.CanaryService == "web-canary" && m.TrafficRouting == nil &&
			got.Status.Phase == v1alpha1.RolloutPhasePaused && ptr.Deref(got.Status.CurrentStepIndex, -1) == 1, fmt.Sprintf("%+v", m), nil
	})
	waitEventNotes(t, ro, v1alpha1.ReasonRouteChanged, "trafficRouting changed: ramp sets the Istio VirtualService weights back to the stable revision "+v1)
}
