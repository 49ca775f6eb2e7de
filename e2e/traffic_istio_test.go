//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	networkingistio "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/testenv"
)

// istioExample applies examples/canary-istio.yaml (earlier revisions kept 1 s instead of 30
// after a promotion) and waits for its first revision.
func istioExample(t *testing.T) string {
	t.Helper()
	ns := cluster.Namespace(t)
	cluster.ApplyFile(t, ns, "examples/canary-istio.yaml")
	patchRollout(t, ns, types.MergePatchType, `{"spec":{"strategy":{"canary":{"scaleDownDelaySeconds":1}}}}`)
	waitRollout(t, ns, "first revision Healthy", healthyAt(ns, "nginx:1.27"))
	return ns
}

// vsState is what the example's VirtualService routes: the canary weight of route "primary",
// the names of the http routes in order, and the DestinationRule's subset hashes.
type vsState struct {
	weight               int32
	routes               []string
	stableHash, canaryHx string
	vs                   *networkingistio.VirtualService
}

func (s vsState) String() string {
	return fmt.Sprintf("weight %d routes %v subsets stable=%s canary=%s", s.weight, s.routes, s.stableHash, s.canaryHx)
}

func readIstio(ctx context.Context, ns string) (vsState, error) {
	vs, dr := &networkingistio.VirtualService{}, &networkingistio.DestinationRule{}
	if err := cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, vs); err != nil {
		return vsState{}, err
	}
	if err := cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, dr); err != nil {
		return vsState{}, err
	}
	s := vsState{vs: vs}
	for _, r := range vs.Spec.GetHttp() {
		s.routes = append(s.routes, r.GetName())
		if r.GetName() == "primary" {
			for _, d := range r.GetRoute() {
				if d.GetDestination().GetSubset() == "canary" {
					s.weight = d.GetWeight()
				}
			}
		}
	}
	for _, sub := range dr.Spec.GetSubsets() {
		switch sub.GetName() {
		case "stable":
			s.stableHash = sub.GetLabels()[v1alpha1.PodTemplateHashLabel]
		case "canary":
			s.canaryHx = sub.GetLabels()[v1alpha1.PodTemplateHashLabel]
		}
	}
	return s, nil
}

// waitIstio polls the example's VirtualService and DestinationRule until ok says so.
func waitIstio(t *testing.T, ns, what string, ok func(vsState) bool) vsState {
	t.Helper()
	var s vsState
	testenv.Eventually(t, rolloutTimeout, "istio: "+what, func(ctx context.Context) (bool, string, error) {
		var err error
		s, err = readIstio(ctx, ns)
		return err == nil && ok(s), s.String(), err
	})
	return s
}

// The example's canary through every step: mirror and header routes above the user's route
// while the canary has one pod and no weight, the exact weight after every setWeight, the
// subsets following the revisions, an abort, a user's edit kept, and the promotion.
func TestIstioCanaryThroughEveryStep(t *testing.T) {
	cluster.StartController(t, controllerBin)
	ns := istioExample(t)
	first := getRollout(t, ns)
	waitIstio(t, ns, "both subsets on the first revision, weight 0", func(s vsState) bool {
		return s.weight == 0 && s.stableHash == first.Status.StableRS && s.canaryHx == first.Status.StableRS && slices.Equal(s.routes, []string{"primary"})
	})

	setImage(t, ns, "nginx:1.28")
	ro := waitRollout(t, ns, "paused after the header route", and(atStep(3, v1alpha1.RolloutPhasePaused), statusWeight(0)))
	s := waitIstio(t, ns, "mirror and header routes on top, canary subset on the new revision", func(s vsState) bool {
		return s.weight == 0 && s.canaryHx == ro.Status.CurrentPodHash && s.stableHash == ro.Status.StableRS &&
			slices.Equal(s.routes, []string{"beta-testers", "shadow", "primary"})
	})
	header, mirror := s.vs.Spec.GetHttp()[0], s.vs.Spec.GetHttp()[1]
	if d := header.GetRoute(); len(d) != 1 || d[0].GetDestination().GetSubset() != "canary" || header.GetMatch()[0].GetHeaders()["x-canary"].GetExact() != "yes" {
		t.Errorf("header route %v: want x-canary: yes to the canary subset", header)
	}
	if mirror.GetMirror().GetSubset() != "canary" || mirror.GetMirrorPercentage().GetValue() != 20 || mirror.GetMatch()[0].GetMethod().GetExact() != "GET" {
		t.Errorf("mirror route %v: want 20%% of GET mirrored to the canary subset", mirror)
	}
	if got := replicaSetReplicas(t, ns); got[ro.Status.CurrentPodHash] != 1 || got[ro.Status.StableRS] != 5 {
		t.Errorf("replicas by revision %v: want 1 canary (setCanaryScale) and 5 stable", got)
	}

	// The user edits the route they own: the edit stays through the weight changes.
	primary := `{"op":"test","path":"/spec/http/2/name","value":"primary"},{"op":"replace","path":"/spec/http/2/timeout","value":"25s"}`
	vs := &networkingistio.VirtualService{}
	vs.Namespace, vs.Name = ns, "web"
	if err := cluster.Client.Patch(context.Background(), vs, client.RawPatch(types.JSONPatchType, []byte("["+primary+"]"))); err != nil {
		t.Fatal(err)
	}

	promote(t, ns)
	waitRollout(t, ns, "in the timed pause at weight 20", and(atStep(6, v1alpha1.RolloutPhasePaused), statusWeight(20)))
	s = waitIstio(t, ns, "weight 20, managed routes still there", func(s vsState) bool {
		return s.weight == 20 && slices.Equal(s.routes, []string{"beta-testers", "shadow", "primary"})
	})
	if got := s.vs.Spec.GetHttp()[2].GetTimeout().AsDuration().String(); got != "25s" {
		t.Errorf("the user's timeout is %s after a weight change, want their 25s", got)
	}
	if got := replicaSetReplicas(t, ns); got[ro.Status.CurrentPodHash] != 1 {
		t.Errorf("canary replicas %d at weight 20 of 5 with matchTrafficWeight, want 1", got[ro.Status.CurrentPodHash])
	}

	// Abort: weight 0 and both managed routes removed at once.
	patchStatus(t, ns, `{"status":{"abort":true}}`)
	testenv.Eventually(t, abortReaction, "weight 0 and no managed route after the abort", func(ctx context.Context) (bool, string, error) {
		s, err := readIstio(ctx, ns)
		return err == nil && s.weight == 0 && slices.Equal(s.routes, []string{"primary"}), s.String(), err
	})
	waitRollout(t, ns, "Degraded by the abort", and(phaseIs(v1alpha1.RolloutPhaseDegraded), statusWeight(0)))

	// Retry, then promote to the end.
	patchStatus(t, ns, `{"status":{"abort":false}}`)
	waitRollout(t, ns, "paused again after the retry", atStep(3, v1alpha1.RolloutPhasePaused))
	patchStatus(t, ns, `{"status":{"promoteFull":true}}`)
	ro = waitRollout(t, ns, "the new revision Healthy", healthyAt(ns, "nginx:1.28"))
	s = waitIstio(t, ns, "both subsets on the new revision, weight 0, only the user's route", func(s vsState) bool {
		return s.weight == 0 && s.stableHash == ro.Status.StableRS && s.canaryHx == ro.Status.StableRS && slices.Equal(s.routes, []string{"primary"})
	})
	if got := s.vs.Spec.GetHttp()[0].GetTimeout().AsDuration().String(); got != "25s" {
		t.Errorf("the user's timeout is %s at the end, want their 25s", got)
	}
	waitTimeline(t, ns, "weight changes and managed route changes", func(reasons []string) bool {
		return count(reasons, v1alpha1.ReasonWeightChanged) >= 4 && count(reasons, v1alpha1.ReasonRouteChanged) >= 3
	})
}

// A promotion is Healthy as soon as all traffic is on the new revision, as in Argo, while the
// old one keeps its pods for scaleDownDelaySeconds; going back to it within the delay is an
// instant rollback (subsets back, no steps, no new ReplicaSet), and the revision it left goes
// after its own delay.
func TestIstioHealthyAtOnceAndInstantRollbackWithinTheDelay(t *testing.T) {
	cluster.StartController(t, controllerBin)
	ns := istioExample(t)
	first := getRollout(t, ns)
	patchRollout(t, ns, types.MergePatchType, `{"spec":{"strategy":{"canary":{"scaleDownDelaySeconds":20}}}}`)
	setImage(t, ns, "nginx:1.28")
	waitRollout(t, ns, "paused after the header route", atStep(3, v1alpha1.RolloutPhasePaused))
	patchStatus(t, ns, `{"status":{"promoteFull":true}}`)
	ro := waitRollout(t, ns, "the new revision released", releasedAt(ns, "nginx:1.28"))
	second := ro.Status.StableRS
	waitIstio(t, ns, "both subsets on the new revision, weight 0", func(s vsState) bool {
		return s.weight == 0 && s.stableHash == second && s.canaryHx == second
	})
	if got := replicaSetReplicas(t, ns); got[first.Status.StableRS] != 5 || !strings.Contains(ro.Status.Message, "scaleDownDelaySeconds") {
		t.Fatalf("released with the old revision at %d replicas, message %q: want its 5 pods kept for the delay, and said", got[first.Status.StableRS], ro.Status.Message)
	}
	rsBefore := len(replicaSetReplicas(t, ns))

	setImage(t, ns, "nginx:1.27")
	ro = waitRollout(t, ns, "back on the first revision", releasedAt(ns, "nginx:1.27"))
	if ro.Status.StableRS != first.Status.StableRS || len(ro.Status.PauseConditions) > 0 {
		t.Errorf("after the rollback: stable %s, pauses %v: want %s with no pause", ro.Status.StableRS, ro.Status.PauseConditions, first.Status.StableRS)
	}
	waitIstio(t, ns, "both subsets back on the first revision, weight 0", func(s vsState) bool {
		return s.weight == 0 && s.stableHash == first.Status.StableRS && s.canaryHx == first.Status.StableRS
	})
	if n := len(replicaSetReplicas(t, ns)); n != rsBefore {
		t.Errorf("%d ReplicaSets after the rollback, %d before: want no new one", n, rsBefore)
	}
	waitRollout(t, ns, "nginx:1.28 scaled down after its delay, still Healthy", healthyAt(ns, "nginx:1.27"))
	if got := replicaSetReplicas(t, ns); got[second] != 0 {
		t.Errorf("nginx:1.28 keeps %d replicas after its delay", got[second])
	}
	waitTimeline(t, ns, "one fast rollback", func(reasons []string) bool { return count(reasons, v1alpha1.ReasonRolledBack) == 1 })
}

// A controller restarted mid-rollout leaves the VirtualService and DestinationRule as they
// were.
func TestIstioControllerRestartLeavesWeights(t *testing.T) {
	ctrl := cluster.StartController(t, controllerBin)
	ns := istioExample(t)
	setImage(t, ns, "nginx:1.28")
	waitRollout(t, ns, "paused after the header route", atStep(3, v1alpha1.RolloutPhasePaused))
	promote(t, ns)
	waitRollout(t, ns, "in the timed pause at weight 20", and(atStep(6, v1alpha1.RolloutPhasePaused), statusWeight(20)))
	before := waitIstio(t, ns, "weight 20", func(s vsState) bool { return s.weight == 20 })

	ctrl.Kill()
	ctrl.Start()
	patchRollout(t, ns, types.MergePatchType, `{"spec":{"progressDeadlineSeconds":900}}`)
	waitRollout(t, ns, "the restarted controller observed the change", atStep(6, v1alpha1.RolloutPhasePaused))
	after, err := readIstio(context.Background(), ns)
	if err != nil {
		t.Fatal(err)
	}
	if after.vs.ResourceVersion != before.vs.ResourceVersion {
		t.Errorf("VirtualService rewritten by the restart: resourceVersion %s -> %s (%s)", before.vs.ResourceVersion, after.vs.ResourceVersion, after)
	}
}

// References that do not match: Degraded naming the field, nothing re-routed or scaled, and
// the rollout continues once fixed.
func TestIstioInvalidReferences(t *testing.T) {
	cluster.StartController(t, controllerBin)
	ns := istioExample(t)
	setImage(t, ns, "nginx:1.28")
	ro := waitRollout(t, ns, "paused after the header route", atStep(3, v1alpha1.RolloutPhasePaused))
	replicas := replicaSetReplicas(t, ns)
	before, err := readIstio(context.Background(), ns)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ patch, message string }{
		{`{"spec":{"strategy":{"canary":{"trafficRouting":{"istio":{"virtualService":{"name":"missing"}}}}}}}`, "trafficRouting.istio.virtualService"},
		{`{"spec":{"strategy":{"canary":{"trafficRouting":{"istio":{"virtualService":{"name":"web","routes":["nope"]}}}}}}}`, `"nope"`},
		{`{"spec":{"strategy":{"canary":{"trafficRouting":{"istio":{"destinationRule":{"name":"web","stableSubsetName":"gone","canarySubsetName":"canary"}}}}}}}`, "gone"},
	} {
		patchRollout(t, ns, types.MergePatchType, tc.patch)
		waitRollout(t, ns, "Degraded naming "+tc.message, func(ro *v1alpha1.Rollout) bool {
			return phaseIs(v1alpha1.RolloutPhaseDegraded)(ro) && strings.Contains(ro.Status.Message, tc.message)
		})
		if got := replicaSetReplicas(t, ns); got[ro.Status.StableRS] != replicas[ro.Status.StableRS] || got[ro.Status.CurrentPodHash] != replicas[ro.Status.CurrentPodHash] {
			t.Errorf("replicas changed while Degraded: %v -> %v", replicas, got)
		}
		// Put the reference back before the next case.
		patchRollout(t, ns, types.MergePatchType, `{"spec":{"strategy":{"canary":{"trafficRouting":{"istio":{"virtualService":{"name":"web","routes":["primary"]},"destinationRule":{"name":"web","stableSubsetName":"stable","canarySubsetName":"canary"}}}}}}}`)
		waitRollout(t, ns, "paused again", atStep(3, v1alpha1.RolloutPhasePaused))
	}
	after, err := readIstio(context.Background(), ns)
	if err != nil {
		t.Fatal(err)
	}
	if after.String() != before.String() {
		t.Errorf("routing changed across the invalid references: %s -> %s", before, after)
	}
}
