//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/testenv"
)

// routeState is what the example's HTTPRoute routes: the canary weight of the rule "app" (and
// the stable one), and the rule names in order.
type routeState struct {
	stable, canary int32
	rules          []string
	route          *gatewayv1.HTTPRoute
}

func (s routeState) String() string {
	return fmt.Sprintf("app %d/%d rules %v", s.stable, s.canary, s.rules)
}

func readRoute(ctx context.Context, ns string) (routeState, error) {
	rt := &gatewayv1.HTTPRoute{}
	if err := cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, rt); err != nil {
		return routeState{}, err
	}
	s := routeState{route: rt}
	for _, r := range rt.Spec.Rules {
		name := ""
		if r.Name != nil {
			name = string(*r.Name)
		}
		s.rules = append(s.rules, name)
		if name != "app" {
			continue
		}
		for _, b := range r.BackendRefs {
			w := int32(1)
			if b.Weight != nil {
				w = *b.Weight
			}
			switch b.Name {
			case "web-stable":
				s.stable = w
			case "web-canary":
				s.canary = w
			}
		}
	}
	return s, nil
}

func waitRoute(t *testing.T, ns, what string, ok func(routeState) bool) routeState {
	t.Helper()
	var s routeState
	testenv.Eventually(t, rolloutTimeout, "HTTPRoute: "+what, func(ctx context.Context) (bool, string, error) {
		var err error
		s, err = readRoute(ctx, ns)
		return err == nil && ok(s), s.String(), err
	})
	return s
}

// reportRoute writes the route's status for its parent Gateway, as a Gateway controller
// would (none runs on the local cluster).
func reportRoute(t *testing.T, ns string, resolved metav1.ConditionStatus, reason string) {
	t.Helper()
	rt := &gatewayv1.HTTPRoute{}
	if err := cluster.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "web"}, rt); err != nil {
		t.Fatal(err)
	}
	now := metav1.Now()
	rt.Status.Parents = []gatewayv1.RouteParentStatus{{
		ParentRef:      gatewayv1.ParentReference{Name: "public"},
		ControllerName: "e2e.ramp.dev/gateway",
		Conditions: []metav1.Condition{
			{Type: "Accepted", Status: metav1.ConditionTrue, Reason: "Accepted", Message: "accepted", LastTransitionTime: now, ObservedGeneration: rt.Generation},
			{Type: "ResolvedRefs", Status: resolved, Reason: reason, Message: "backend web-canary: " + reason, LastTransitionTime: now, ObservedGeneration: rt.Generation},
		},
	}}
	if err := cluster.Client.Status().Update(context.Background(), rt); err != nil {
		t.Fatal(err)
	}
}

// examples/canary-gateway-api.yaml released through kubectl ramp: the header rule above the
// user's, the weights of the rule "app" at every step, the /healthz rule untouched, an abort
// and a retry, a Gateway that cannot resolve a backend holding the release (and saying so in
// kubectl ramp get), and the promotion leaving nothing of ramp's in the route.
func TestGatewayAPICanaryThroughThePlugin(t *testing.T) {
	cluster.StartController(t, controllerBin)
	ns := cluster.Namespace(t)
	cluster.ApplyFile(t, ns, "examples/canary-gateway-api.yaml")
	patchRollout(t, ns, types.JSONPatchType, `[
		{"op": "replace", "path": "/spec/strategy/canary/steps/2/pause/duration", "value": "1s"},
		{"op": "add", "path": "/spec/strategy/canary/scaleDownDelaySeconds", "value": 1}
	]`)
	status(t, ns, 0)
	reportRoute(t, ns, metav1.ConditionTrue, "ResolvedRefs")
	before := waitRoute(t, ns, "the user's route, weight 0", func(s routeState) bool {
		return s.stable == 100 && s.canary == 0 && slices.Equal(s.rules, []string{"app", "health"})
	})
	health := before.route.Spec.Rules[1].DeepCopy()

	rampOK(t, ns, "set", "image", "web", "web=nginx:1.28")
	res := status(t, ns, 2)
	if !strings.Contains(res.Stdout, "Paused: step 5/5") {
		t.Errorf("status printed %q, want the pause at step 5/5", res.Stdout)
	}
	s := waitRoute(t, ns, "weight 50 and the header rule above the user's", func(s routeState) bool {
		return s.stable == 50 && s.canary == 50 && slices.Equal(s.rules, []string{"beta-testers", "app", "health"})
	})
	header := s.route.Spec.Rules[0]
	if len(header.BackendRefs) != 1 || header.BackendRefs[0].Name != "web-canary" || len(header.Matches) != 1 ||
		len(header.Matches[0].Headers) != 1 || header.Matches[0].Headers[0].Name != "X-Canary" || header.Matches[0].Headers[0].Value != "yes" {
		t.Errorf("header rule %+v: want X-Canary: yes on / to web-canary alone", header)
	}
	if a, b := mustJSON(t, *health), mustJSON(t, s.route.Spec.Rules[2]); a != b {
		t.Errorf("the /healthz rule changed:\n before %s\n after  %s", a, b)
	}

	rampOK(t, ns, "abort", "web")
	testenv.Eventually(t, abortReaction, "weight 0 and no header rule after the abort", func(ctx context.Context) (bool, string, error) {
		s, err := readRoute(ctx, ns)
		return err == nil && s.canary == 0 && s.stable == 100 && slices.Equal(s.rules, []string{"app", "health"}), s.String(), err
	})
	status(t, ns, 1)
	rampOK(t, ns, "retry", "web")
	status(t, ns, 2)
	waitRoute(t, ns, "weight 50 and the header rule after the retry", func(s routeState) bool {
		return s.canary == 50 && slices.Equal(s.rules, []string{"beta-testers", "app", "health"})
	})

	// The Gateway cannot resolve a backendRef: the promotion waits, and says why.
	reportRoute(t, ns, metav1.ConditionFalse, "BackendNotFound")
	rampOK(t, ns, "promote", "web")
	held := "has backendRefs not resolved by Gateway " + ns + "/public (ResolvedRefs=False, BackendNotFound"
	waitRollout(t, ns, "held by the unresolved backendRef", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseProgressing && strings.Contains(ro.Status.Message, held)
	})
	if tree := rampOK(t, ns, "get", "rollout", "web"); !strings.Contains(tree, "BackendNotFound") {
		t.Errorf("get rollout does not say why the release is held:\n%s", tree)
	}
	reportRoute(t, ns, metav1.ConditionTrue, "ResolvedRefs")
	status(t, ns, 0)
	waitRoute(t, ns, "weight 0 and only the user's rules once promoted", func(s routeState) bool {
		return s.stable == 100 && s.canary == 0 && slices.Equal(s.rules, []string{"app", "health"})
	})
	waitRollout(t, ns, "the new revision Healthy", healthyAt(ns, "nginx:1.28"))
	waitTimeline(t, ns, "weight and route changes", func(reasons []string) bool {
		return count(reasons, v1alpha1.ReasonWeightChanged) >= 4 && count(reasons, v1alpha1.ReasonRouteChanged) >= 3
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
