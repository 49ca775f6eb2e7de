//go:build integration

package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/testenv"
)

// These tests run the whole controller with the Gateway API router against the Gateway API's
// real standard-channel CRDs (RAMP_GATEWAY_API_CRDS). No Gateway controller runs: where one
// would, the tests write the routes' status themselves.

var (
	httpRouteGVK = schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "HTTPRoute"}
	grpcRouteGVK = schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "GRPCRoute"}
)

// gwHTTPRoute is a user's HTTPRoute: the rule "primary" splits between web-stable and
// web-canary; the rule "legacy" is another Service's. Written with the API server's defaults,
// so that specs compare exactly.
const gwHTTPRoute = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web}
spec:
  parentRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: public}]
  hostnames: [web.example.com]
  rules:
  - name: primary
    matches: [{path: {type: PathPrefix, value: /}}]
    timeouts: {request: 10s}
    backendRefs:
    - {group: "", kind: Service, name: web-stable, port: 80, weight: 100}
    - {group: "", kind: Service, name: web-canary, port: 80, weight: 0}
  - name: legacy
    matches: [{path: {type: PathPrefix, value: /legacy}}]
    backendRefs: [{group: "", kind: Service, name: legacy, port: 80, weight: 1}]
`

// gwHTTPSpec is gwHTTPRoute's spec with canary weight w and the managed rules of the header
// route beta and the mirror route shadow above the user's when managed.
func gwHTTPSpec(w int, managed bool) string {
	rules := ""
	if managed {
		rules = fmt.Sprintf(`
- name: beta
  matches:
  - path: {type: PathPrefix, value: /}
    headers: [{type: Exact, name: X-Canary, value: "yes"}]
  timeouts: {request: 10s}
  backendRefs: [{group: "", kind: Service, name: web-canary, port: 80, weight: 1}]
- name: shadow
  matches: [{path: {type: PathPrefix, value: /}, method: GET}]
  timeouts: {request: 10s}
  filters:
  - type: RequestMirror
    requestMirror:
      backendRef: {group: "", kind: Service, name: web-canary, port: 80}
      percent: 20
  backendRefs:
  - {group: "", kind: Service, name: web-stable, port: 80, weight: %[1]d}
  - {group: "", kind: Service, name: web-canary, port: 80, weight: %[2]d}`, 100-w, w)
	}
	return fmt.Sprintf(`
parentRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: public}]
hostnames: [web.example.com]
rules:%[3]s
- name: primary
  matches: [{path: {type: PathPrefix, value: /}}]
  timeouts: {request: 10s}
  backendRefs:
  - {group: "", kind: Service, name: web-stable, port: 80, weight: %[1]d}
  - {group: "", kind: Service, name: web-canary, port: 80, weight: %[2]d}
- name: legacy
  matches: [{path: {type: PathPrefix, value: /legacy}}]
  backendRefs: [{group: "", kind: Service, name: legacy, port: 80, weight: 1}]
`, 100-w, w, rules)
}

// gwRollout splits between web-stable and web-canary with the HTTPRoute web.
func gwRollout(ns string, replicas int32, steps ...v1alpha1.CanaryStep) *v1alpha1.Rollout {
	ro := rollout(ns, replicas, steps...)
	c := ro.Spec.Strategy.Canary
	c.StableService, c.CanaryService = "web-stable", "web-canary"
	c.ScaleDownDelaySeconds = ptr.To[int32](0)
	c.TrafficRouting = &v1alpha1.RolloutTrafficRouting{
		GatewayAPI:    &v1alpha1.GatewayAPITrafficRouting{HTTPRoute: "web"},
		ManagedRoutes: []v1alpha1.ManagedRoute{{Name: "beta"}, {Name: "shadow"}},
	}
	return ro
}

var (
	betaHeaderStep = v1alpha1.CanaryStep{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "beta", Match: []v1alpha1.HeaderRoutingMatch{
		{HeaderName: "X-Canary", HeaderValue: v1alpha1.StringMatch{Exact: "yes"}},
	}}}
	shadowMirrorStep = v1alpha1.CanaryStep{SetMirrorRoute: &v1alpha1.SetMirrorRoute{Name: "shadow", Percentage: ptr.To[int32](20), Match: []v1alpha1.RouteMatch{
		{Method: &v1alpha1.StringMatch{Exact: "GET"}},
	}}}
)

func TestGatewayAPIHTTPRouteFollowsTheSteps(t *testing.T) {
	ns := namespace(t)
	playReplicaSetController(t, ns)
	create(t, service(ns, "web-stable"), service(ns, "web-canary"))
	createYAML(t, ns, gwHTTPRoute)
	ro := gwRollout(ns, 4, setWeightStep(20), betaHeaderStep, shadowMirrorStep, pauseStep, setWeightStep(60), pauseStep)
	create(t, ro)

	got := waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy)
	v1 := got.Status.StableRS
	waitSpec(t, httpRouteGVK, ns, "web", "weight 0 before the release", gwHTTPSpec(0, false))
	wantWeights(t, got, 0)

	setImage(t, ro, "web:2")
	got = waitStep(t, ro, v1alpha1.RolloutPhasePaused, 3)
	v2 := got.Status.CurrentPodHash
	waitSpec(t, httpRouteGVK, ns, "web", "weight 20 with the header and mirror rules above the user's", gwHTTPSpec(20, true))
	wantWeights(t, got, 20)
	wantReplicaSets(t, ns, map[string]int32{v1: 4, v2: 1})

	// A user sets the canary's weight by hand: ramp puts its own back, the rest stays.
	jsonPatchObject(t, httpRouteGVK, ns, "web", `[{"op": "replace", "path": "/spec/rules/2/backendRefs/1/weight", "value": 50}]`)
	waitSpec(t, httpRouteGVK, ns, "web", "the user's weight edit put back", gwHTTPSpec(20, true))

	patchStatus(t, ro, func(st *v1alpha1.RolloutStatus) { st.PauseConditions = nil })
	got = waitStep(t, ro, v1alpha1.RolloutPhasePaused, 5)
	waitSpec(t, httpRouteGVK, ns, "web", "weight 60, the mirror rule's split with it", gwHTTPSpec(60, true))
	wantWeights(t, got, 60)

	// Abort: weight 0 and the managed rules removed; the route is the user's again.
	patchStatus(t, ro, func(st *v1alpha1.RolloutStatus) { st.Abort = true })
	waitSpec(t, httpRouteGVK, ns, "web", "weight 0 and no managed rules after the abort", gwHTTPSpec(0, false))
	got = waitPhase(t, ro, v1alpha1.RolloutPhaseDegraded)
	wantWeights(t, got, 0)

	patchStatus(t, ro, func(st *v1alpha1.RolloutStatus) { st.Abort = false })
	waitStep(t, ro, v1alpha1.RolloutPhasePaused, 3)
	waitSpec(t, httpRouteGVK, ns, "web", "weight 20 and the managed rules after the retry", gwHTTPSpec(20, true))

	patchStatus(t, ro, func(st *v1alpha1.RolloutStatus) { st.PromoteFull = true })
	got = waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy)
	if got.Status.StableRS != v2 {
		t.Errorf("stableRS %s, want %s", got.Status.StableRS, v2)
	}
	waitSpec(t, httpRouteGVK, ns, "web", "weight 0 and nothing of ramp's left once promoted", gwHTTPSpec(0, false))
	wantWeights(t, got, 0)
	waitSelects(t, ns, "web-stable", v2)
	waitReplicaSets(t, ns, "v1 scaled down after the promotion", map[string]int32{v1: 0, v2: 4})
	waitEventNotes(t, ro, v1alpha1.ReasonWeightChanged, "canary weight 0 -> 20 (gatewayapi: [httproute/web])", "canary weight 20 -> 60", "canary weight 60 -> 0")
	waitEventNotes(t, ro, v1alpha1.ReasonRouteChanged, "managed routes [] -> [beta]", "-> [beta shadow]")
}

const gwGRPCRoute = `
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: api}
spec:
  parentRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: public}]
  rules:
  - matches: [{method: {type: Exact, service: shop.Cart}}]
    backendRefs:
    - {group: "", kind: Service, name: web-stable, port: 9090, weight: 100}
    - {group: "", kind: Service, name: web-canary, port: 9090, weight: 0}
`

func gwGRPCSpec(w int, header bool) string {
	rules := ""
	if header {
		rules = `
- name: beta
  matches:
  - method: {type: Exact, service: shop.Cart}
    headers: [{type: Exact, name: X-Canary, value: "yes"}]
  backendRefs: [{group: "", kind: Service, name: web-canary, port: 9090, weight: 1}]`
	}
	return fmt.Sprintf(`
parentRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: public}]
rules:%s
- matches: [{method: {type: Exact, service: shop.Cart}}]
  backendRefs:
  - {group: "", kind: Service, name: web-stable, port: 9090, weight: %d}
  - {group: "", kind: Service, name: web-canary, port: 9090, weight: %d}
`, rules, 100-w, w)
}

func TestGatewayAPIGRPCRouteFollowsTheSteps(t *testing.T) {
	ns := namespace(t)
	playReplicaSetController(t, ns)
	create(t, service(ns, "web-stable"), service(ns, "web-canary"))
	createYAML(t, ns, gwGRPCRoute)
	ro := gwRollout(ns, 2, setWeightStep(50), betaHeaderStep, pauseStep)
	ro.Spec.Strategy.Canary.TrafficRouting.GatewayAPI = &v1alpha1.GatewayAPITrafficRouting{GRPCRoute: "api"}
	create(t, ro)
	waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy)

	setImage(t, ro, "web:2")
	got := waitStep(t, ro, v1alpha1.RolloutPhasePaused, 2)
	waitSpec(t, grpcRouteGVK, ns, "api", "weight 50 and the header rule", gwGRPCSpec(50, true))
	wantWeights(t, got, 50)

	patchStatus(t, ro, func(st *v1alpha1.RolloutStatus) { st.PauseConditions = nil })
	waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy)
	waitSpec(t, grpcRouteGVK, ns, "api", "weight 0 and no header rule once done", gwGRPCSpec(0, false))
}

// A route that is missing, or has no rule routing to both Services, degrades the Rollout with
// the field and the fix; nothing is scaled until it is fixed.
func TestGatewayAPIInvalidReferencesDegradeAndScaleNothing(t *testing.T) {
	ns := namespace(t)
	playReplicaSetController(t, ns)
	create(t, service(ns, "web-stable"), service(ns, "web-canary"))
	ro := gwRollout(ns, 2, setWeightStep(50), pauseStep)
	create(t, ro)

	waitDegradedFor(t, ro, "spec.strategy.canary.trafficRouting.gatewayAPI.httpRoute: HTTPRoute "+ns+"/web does not exist: create it")
	wantReplicaSets(t, ns, map[string]int32{})

	createYAML(t, ns, strings.Replace(gwHTTPRoute, `    - {group: "", kind: Service, name: web-canary, port: 80, weight: 0}
`, "", 1))
	waitDegradedFor(t, ro, "HTTPRoute "+ns+"/web has no rule with a backendRef to the canary Service web-canary: add canaryService as a backendRef with weight 0")
	wantReplicaSets(t, ns, map[string]int32{})

	jsonPatchObject(t, httpRouteGVK, ns, "web", `[{"op": "add", "path": "/spec/rules/0/backendRefs/-", "value": {"name": "web-canary", "port": 80, "weight": 0}}]`)
	got := waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy)
	wantReplicaSets(t, ns, map[string]int32{got.Status.StableRS: 2})
}

// setRouteCondition writes a parent's condition on the route's status, as a Gateway controller
// would.
func setRouteCondition(t *testing.T, ns, name string, cond metav1.Condition) {
	t.Helper()
	route := &gatewayv1.HTTPRoute{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, route); err != nil {
		t.Fatal(err)
	}
	cond.LastTransitionTime, cond.ObservedGeneration = metav1.Now(), route.Generation
	route.Status.Parents = []gatewayv1.RouteParentStatus{{
		ParentRef:      gatewayv1.ParentReference{Name: "public"},
		ControllerName: "example.com/gateway-controller",
		Conditions:     []metav1.Condition{cond},
	}}
	if err := env.Client.Status().Update(context.Background(), route); err != nil {
		t.Fatal(err)
	}
}

// A route its Gateway does not accept holds the rollout at its step, saying why; once
// accepted, it goes on.
func TestGatewayAPIRouteNotAcceptedHoldsTheRollout(t *testing.T) {
	ns := namespace(t)
	playReplicaSetController(t, ns)
	create(t, service(ns, "web-stable"), service(ns, "web-canary"))
	createYAML(t, ns, gwHTTPRoute)
	ro := gwRollout(ns, 2, setWeightStep(20), pauseStep)
	create(t, ro)
	waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy)
	setRouteCondition(t, ns, "web", metav1.Condition{Type: "Accepted", Status: metav1.ConditionFalse, Reason: "NotAllowedByListeners", Message: "no listener of Gateway public allows routes from this namespace"})

	setImage(t, ro, "web:2")
	held := "HTTPRoute " + ns + "/web is not accepted by Gateway " + ns + "/public (Accepted=False, NotAllowedByListeners: no listener of Gateway public allows"
	testenv.Eventually(t, timeout, "held at step 0: "+held, func(context.Context) (bool, string, error) {
		got := get(t, ro)
		return got.Status.Phase == v1alpha1.RolloutPhaseProgressing && ptr.Deref(got.Status.CurrentStepIndex, -1) == 0 && strings.Contains(got.Status.Message, held),
			fmt.Sprintf("%s at %d: %s", got.Status.Phase, ptr.Deref(got.Status.CurrentStepIndex, -1), got.Status.Message), nil
	})
	setRouteCondition(t, ns, "web", metav1.Condition{Type: "Accepted", Status: metav1.ConditionTrue, Reason: "Accepted", Message: "accepted"})
	waitStep(t, ro, v1alpha1.RolloutPhasePaused, 1)
	waitSpec(t, httpRouteGVK, ns, "web", "weight 20", gwHTTPSpec(20, false))
}

// Removing gatewayAPI mid-rollout returns the route to stable and removes every rule ramp
// added before ramp lets go of it.
func TestRemovingGatewayAPIRoutingLeavesNothingBehind(t *testing.T) {
	ns := namespace(t)
	playReplicaSetController(t, ns)
	create(t, service(ns, "web-stable"), service(ns, "web-canary"))
	createYAML(t, ns, gwHTTPRoute)
	ro := gwRollout(ns, 4, setWeightStep(60), betaHeaderStep, shadowMirrorStep, pauseStep, setWeightStep(80), pauseStep)
	create(t, ro)
	waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy)
	setImage(t, ro, "web:2")
	waitStep(t, ro, v1alpha1.RolloutPhasePaused, 3)
	waitSpec(t, httpRouteGVK, ns, "web", "weight 60 with the managed rules", gwHTTPSpec(60, true))

	updateSpec(t, ro, func(s *v1alpha1.RolloutSpec) {
		s.Strategy.Canary.TrafficRouting = nil
		s.Strategy.Canary.Steps = []v1alpha1.CanaryStep{setWeightStep(60), pauseStep, setWeightStep(80), pauseStep}
	})
	waitSpec(t, httpRouteGVK, ns, "web", "the user's route again once gatewayAPI is removed", gwHTTPSpec(0, false))
	waitEventNotes(t, ro, v1alpha1.ReasonRouteChanged, "trafficRouting changed: ramp sets the Gateway API route weights back to the stable revision")
}

// When the user has already changed the route so that ramp cannot find the split, removing
// gatewayAPI still removes the rules ramp added: nothing ramp added is left behind.
func TestRemovingGatewayAPIRemovesManagedRulesOfAnEditedRoute(t *testing.T) {
	ns := namespace(t)
	playReplicaSetController(t, ns)
	create(t, service(ns, "web-stable"), service(ns, "web-canary"))
	createYAML(t, ns, gwHTTPRoute)
	ro := gwRollout(ns, 2, setWeightStep(50), betaHeaderStep, pauseStep)
	create(t, ro)
	waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy)
	setImage(t, ro, "web:2")
	waitStep(t, ro, v1alpha1.RolloutPhasePaused, 2)

	// The user drops the canary backendRef from primary (now rule 1, under ramp's header rule).
	jsonPatchObject(t, httpRouteGVK, ns, "web", `[{"op": "test", "path": "/spec/rules/1/name", "value": "primary"}, {"op": "remove", "path": "/spec/rules/1/backendRefs/1"}]`)
	waitDegradedFor(t, ro, "has no rule with a backendRef to the canary Service web-canary")
	updateSpec(t, ro, func(s *v1alpha1.RolloutSpec) {
		s.Strategy.Canary.TrafficRouting = nil
		s.Strategy.Canary.Steps = []v1alpha1.CanaryStep{setWeightStep(50), pauseStep}
	})
	waitSpec(t, httpRouteGVK, ns, "web", "the header rule removed, the user's edit kept", `
parentRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: public}]
hostnames: [web.example.com]
rules:
- name: primary
  matches: [{path: {type: PathPrefix, value: /}}]
  timeouts: {request: 10s}
  backendRefs:
  - {group: "", kind: Service, name: web-stable, port: 80, weight: 50}
- name: legacy
  matches: [{path: {type: PathPrefix, value: /legacy}}]
  backendRefs: [{group: "", kind: Service, name: legacy, port: 80, weight: 1}]
`)
	waitEventNotes(t, ro, v1alpha1.ReasonTrafficInvalid, "the gatewayapi routing ramp used before cannot be returned to stable")
}
