//go:build integration

package controllers_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	istionetworkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/testenv"
	"github.com/ramp-dev/ramp/pkg/workload"
)

// These tests run the whole controller with the Istio router against Istio's real
// VirtualService and DestinationRule CRDs (RAMP_ISTIO_CRDS), checking the user's objects
// exactly: ramp may change only the split's weights, the subsets' pod-template-hash labels and
// its managed routes.

var (
	istioVSGVK = schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1", Kind: "VirtualService"}
	istioDRGVK = schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1", Kind: "DestinationRule"}
)

// istioHostVS is a user's VirtualService for a host-level split: besides the route "primary"
// between web-stable and web-canary (named by its FQDN) it has gateways, a match, retries, a
// timeout and an unrelated route.
const istioHostVS = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web.example.com]
  gateways: [public]
  http:
  - name: primary
    match:
    - uri: {prefix: /api}
    retries: {attempts: 3, perTryTimeout: 2s}
    timeout: 10s
    route:
    - destination: {host: web-stable, port: {number: 80}}
      weight: 100
    - destination: {host: web-canary.%[1]s.svc.cluster.local, port: {number: 80}}
      weight: 0
  - name: legacy
    route:
    - destination: {host: legacy}
`

// istioHostSpec is istioHostVS's spec with canary weight w.
func istioHostSpec(ns string, w int) string {
	return fmt.Sprintf(`
hosts: [web.example.com]
gateways: [public]
http:
- name: primary
  match:
  - uri: {prefix: /api}
  retries: {attempts: 3, perTryTimeout: 2s}
  timeout: 10s
  route:
  - destination: {host: web-stable, port: {number: 80}}
    weight: %[2]d
  - destination: {host: web-canary.%[1]s.svc.cluster.local, port: {number: 80}}
    weight: %[3]d
- name: legacy
  route:
  - destination: {host: legacy}
`, ns, 100-w, w)
}

// istioSubsetDR and istioSubsetVS are examples/canary-istio.yaml's DestinationRule (with a
// traffic policy) and VirtualService.
const istioSubsetDR = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web}
spec:
  host: web
  trafficPolicy: {connectionPool: {tcp: {maxConnections: 100}}}
  subsets:
  - name: stable
    labels: {app: web}
  - name: canary
    labels: {app: web}
`

const istioSubsetVS = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http:
  - name: primary
    timeout: 10s
    route:
    - destination: {host: web, subset: stable}
      weight: 100
    - destination: {host: web, subset: canary}
      weight: 0
`

// istioSubsetVSSpec is istioSubsetVS's spec with the managed routes extra above "primary".
func istioSubsetVSSpec(extra string) string {
	return `
hosts: [web]
http:` + extra + `
- name: primary
  timeout: 10s
  route:
  - destination: {host: web, subset: stable}
    weight: 100
  - destination: {host: web, subset: canary}
    weight: 0
`
}

// istioManagedRoutes are the managed routes of TestIstioSubsetLevelCanary while its steps are
// in force: the mirror route first (managedRoutes order), though its step comes second. The
// mirror route copies primary's destinations and weights; protobuf JSON leaves the 0 out.
const istioManagedRoutes = `
- name: shadow
  match:
  - method: {exact: GET}
  route:
  - destination: {host: web, subset: stable}
    weight: 100
  - destination: {host: web, subset: canary}
  mirror: {host: web, subset: canary}
  mirrorPercentage: {value: 20}
- name: beta-testers
  match:
  - headers: {x-canary: {exact: "yes"}}
  route:
  - destination: {host: web, subset: canary}
    weight: 100`

func istioSubsetDRSpec(stableHash, canaryHash string) string {
	return fmt.Sprintf(`
host: web
trafficPolicy: {connectionPool: {tcp: {maxConnections: 100}}}
subsets:
- name: stable
  labels: {app: web, rollouts-pod-template-hash: %s}
- name: canary
  labels: {app: web, rollouts-pod-template-hash: %s}
`, stableHash, canaryHash)
}

// createYAML creates the object a YAML document describes in ns, as kubectl apply would.
func createYAML(t *testing.T, ns, doc string) { env.CreateYAML(t, ns, doc) }

// jsonPatchObject edits an object as `kubectl patch --type json` would: no resourceVersion, so
// it lands whatever the controller wrote meanwhile.
func jsonPatchObject(t *testing.T, gvk schema.GroupVersionKind, ns, name, patch string) {
	t.Helper()
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(gvk)
	obj.SetNamespace(ns)
	obj.SetName(name)
	if err := env.Client.Patch(context.Background(), obj, client.RawPatch(types.JSONPatchType, []byte(patch))); err != nil {
		t.Fatalf("patch %s %s: %v", gvk.Kind, name, err)
	}
}

// normalYAML is a YAML document as sigs.k8s.io/yaml writes it, for comparing.
func normalYAML(t *testing.T, doc string) string {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatal(err)
	}
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// waitSpec waits for an object's whole spec to be the YAML want.
func waitSpec(t *testing.T, gvk schema.GroupVersionKind, ns, name, what, want string) {
	t.Helper()
	want = normalYAML(t, want)
	testenv.Eventually(t, timeout, fmt.Sprintf("%s %s: %s; want spec:\n%s", gvk.Kind, name, what, want), func(ctx context.Context) (bool, string, error) {
		obj := &unstructured.Unstructured{}
		obj.SetGroupVersionKind(gvk)
		err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, obj)
		if apierrors.IsNotFound(err) {
			return false, "not found", nil
		}
		if err != nil {
			return false, "", err
		}
		b, err := yaml.Marshal(obj.Object["spec"])
		if err != nil {
			return false, "", err
		}
		return string(b) == want, "\n" + string(b), nil
	})
}

// waitStep waits for the Rollout to be in phase at step idx.
func waitStep(t *testing.T, ro *v1alpha1.Rollout, phase v1alpha1.RolloutPhase, idx int32) *v1alpha1.Rollout {
	t.Helper()
	var got *v1alpha1.Rollout
	testenv.Eventually(t, timeout, fmt.Sprintf("phase %s at step index %d", phase, idx), func(ctx context.Context) (bool, string, error) {
		got = get(t, ro)
		i := ptr.Deref(got.Status.CurrentStepIndex, -1)
		return got.Status.Phase == phase && i == idx, fmt.Sprintf("%s at %d: %s", got.Status.Phase, i, got.Status.Message), nil
	})
	return got
}

// waitDegradedFor waits for the Rollout to be Degraded, for its latest spec, with a message
// containing msg.
func waitDegradedFor(t *testing.T, ro *v1alpha1.Rollout, msg string) *v1alpha1.Rollout {
	t.Helper()
	var got *v1alpha1.Rollout
	testenv.Eventually(t, timeout, "Degraded: "+msg, func(ctx context.Context) (bool, string, error) {
		got = get(t, ro)
		return got.Status.Phase == v1alpha1.RolloutPhaseDegraded && got.Status.ObservedGeneration == got.Generation && strings.Contains(got.Status.Message, msg),
			fmt.Sprintf("%s (generation %d observed %d): %s", got.Status.Phase, got.Generation, got.Status.ObservedGeneration, got.Status.Message), nil
	})
	return got
}

// wantWeights checks status.canary.weights.
func wantWeights(t *testing.T, ro *v1alpha1.Rollout, canary int32) {
	t.Helper()
	w := ro.Status.Canary.Weights
	if w == nil || w.Canary.Weight != canary || w.Stable.Weight != 100-canary ||
		w.Canary.PodTemplateHash != ro.Status.CurrentPodHash || w.Stable.PodTemplateHash != ro.Status.StableRS {
		t.Errorf("status.canary.weights %+v, want canary %d (%s) and stable %d (%s)", w, canary, ro.Status.CurrentPodHash, 100-canary, ro.Status.StableRS)
	}
}

// wantReplicaSets checks the Rollout's ReplicaSets, by hash, and their replicas, now: for
// what must not have changed.
func wantReplicaSets(t *testing.T, ns string, want map[string]int32) {
	t.Helper()
	got, err := replicaSetsByHash(context.Background(), ns)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("replicasets (hash: replicas) %v, want %v", got, want)
	}
}

// waitReplicaSets waits for the Rollout's ReplicaSets, by hash, to have replicas. (Polled:
// a reconcile planned from a stale cached Rollout may briefly undo a scale, see
// TestIstioStaleReconcileNeverUndoesRouting.)
func waitReplicaSets(t *testing.T, ns, what string, want map[string]int32) {
	t.Helper()
	testenv.Eventually(t, timeout, fmt.Sprintf("replicasets (hash: replicas) %v: %s", want, what), func(ctx context.Context) (bool, string, error) {
		got, err := replicaSetsByHash(ctx, ns)
		return fmt.Sprint(got) == fmt.Sprint(want), fmt.Sprint(got), err
	})
}

func replicaSetsByHash(ctx context.Context, ns string) (map[string]int32, error) {
	list := &appsv1.ReplicaSetList{}
	if err := env.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	got := map[string]int32{}
	for _, rs := range list.Items {
		got[workload.HashOf(&rs)] = ptr.Deref(rs.Spec.Replicas, 1)
	}
	return got, nil
}

// waitSelects waits for a Service to select the pods of a revision.
func waitSelects(t *testing.T, ns, name, hash string) {
	t.Helper()
	testenv.Eventually(t, timeout, fmt.Sprintf("Service %s selecting revision %s", name, hash), func(ctx context.Context) (bool, string, error) {
		svc := &corev1.Service{}
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, svc); err != nil {
			return false, "", err
		}
		return svc.Spec.Selector[v1alpha1.PodTemplateHashLabel] == hash, fmt.Sprint(svc.Spec.Selector), nil
	})
}

// waitEventNotes waits for the Rollout's timeline Events to include an Event with reason
// whose note contains each of notes.
func waitEventNotes(t *testing.T, ro *v1alpha1.Rollout, reason string, notes ...string) {
	t.Helper()
	testenv.Eventually(t, timeout, fmt.Sprintf("%s events %q", reason, notes), func(ctx context.Context) (bool, string, error) {
		list := &eventsv1.EventList{}
		if err := env.Client.List(ctx, list, client.InNamespace(ro.Namespace)); err != nil {
			return false, "", err
		}
		var seen []string
		for _, e := range list.Items {
			if e.Regarding.Kind == "Rollout" && e.Regarding.Name == ro.Name && e.Reason == reason {
				seen = append(seen, e.Note)
			}
		}
		for _, n := range notes {
			if !slices.ContainsFunc(seen, func(s string) bool { return strings.Contains(s, n) }) {
				return false, strings.Join(seen, " | "), nil
			}
		}
		return true, "", nil
	})
}

// istioHostRollout splits between web-stable and web-canary with route "primary" of the
// VirtualService web.
func istioHostRollout(ns string, replicas int32, steps ...v1alpha1.CanaryStep) *v1alpha1.Rollout {
	ro := rollout(ns, replicas, steps...)
	c := ro.Spec.Strategy.Canary
	c.StableService, c.CanaryService = "web-stable", "web-canary"
	c.ScaleDownDelaySeconds = ptr.To[int32](0)
	c.TrafficRouting = &v1alpha1.RolloutTrafficRouting{Istio: &v1alpha1.IstioTrafficRouting{
		VirtualService: &v1alpha1.IstioVirtualService{Name: "web", Routes: []string{"primary"}},
	}}
	return ro
}

func setWeightStep(w int32) v1alpha1.CanaryStep { return v1alpha1.CanaryStep{SetWeight: ptr.To(w)} }

var pauseStep = v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{}}

func TestIstioHostLevelCanaryFollowsTheSteps(t *testing.T) {
	ns := namespace(t)
	playReplicaSetController(t, ns)
	create(t, service(ns, "web-stable"), service(ns, "web-canary"))
	createYAML(t, ns, fmt.Sprintf(istioHostVS, ns))
	// abortScaleDownDelaySeconds keeps its default (30s): the aborted canary keeps its pods.
	ro := istioHostRollout(ns, 4, setWeightStep(20), pauseStep, setWeightStep(60), pauseStep)
	create(t, ro)

	got := waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy)
	v1 := got.Status.StableRS
	waitSpec(t, istioVSGVK, ns, "web", "weight 0 before the release", istioHostSpec(ns, 0))
	wantWeights(t, got, 0)
	waitSelects(t, ns, "web-stable", v1)

	setImage(t, ro, "web:2")
	got = waitStep(t, ro, v1alpha1.RolloutPhasePaused, 1)
	v2 := got.Status.CurrentPodHash
	waitSpec(t, istioVSGVK, ns, "web", "weight 20", istioHostSpec(ns, 20))
	wantWeights(t, got, 20)
	wantReplicaSets(t, ns, map[string]int32{v1: 4, v2: 1}) // the router splits: stable keeps its size
	waitSelects(t, ns, "web-stable", v1)
	waitSelects(t, ns, "web-canary", v2)

	patchStatus(t, ro, func(st *v1alpha1.RolloutStatus) { st.PauseConditions = nil })
	got = waitStep(t, ro, v1alpha1.RolloutPhasePaused, 3)
	waitSpec(t, istioVSGVK, ns, "web", "weight 60", istioHostSpec(ns, 60))
	wantWeights(t, got, 60)
	wantReplicaSets(t, ns, map[string]int32{v1: 4, v2: 3})

	// Abort at 60: the weight returns to 0 first; the canary keeps its pods for
	// abortScaleDownDelaySeconds.
	patchStatus(t, ro, func(st *v1alpha1.RolloutStatus) { st.Abort = true })
	waitSpec(t, istioVSGVK, ns, "web", "weight 0 after the abort", istioHostSpec(ns, 0))
	got = waitPhase(t, ro, v1alpha1.RolloutPhaseDegraded)
	wantWeights(t, got, 0)
	wantReplicaSets(t, ns, map[string]int32{v1: 4, v2: 3})
	waitSelects(t, ns, "web-stable", v1)
	if got.Status.AbortedAt == nil || !strings.Contains(got.Status.Message, "aborted") {
		t.Errorf("aborted status: abortedAt %v, message %q", got.Status.AbortedAt, got.Status.Message)
	}

	// Retry: from the first step again, the canary back to one pod.
	patchStatus(t, ro, func(st *v1alpha1.RolloutStatus) { st.Abort = false })
	got = waitStep(t, ro, v1alpha1.RolloutPhasePaused, 1)
	waitSpec(t, istioVSGVK, ns, "web", "weight 20 after the retry", istioHostSpec(ns, 20))
	wantWeights(t, got, 20)
	replicaSetFor(t, ro, 1)

	// Promote to the end: weight 100, web-stable moves to v2, weight 0, v1 scaled down.
	patchStatus(t, ro, func(st *v1alpha1.RolloutStatus) { st.PromoteFull = true })
	got = waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy)
	if got.Status.StableRS != v2 {
		t.Errorf("stableRS %s, want %s", got.Status.StableRS, v2)
	}
	waitSpec(t, istioVSGVK, ns, "web", "weight 0 once promoted, the rest as the user wrote it", istioHostSpec(ns, 0))
	wantWeights(t, got, 0)
	waitSelects(t, ns, "web-stable", v2)
	waitSelects(t, ns, "web-canary", v2)
	waitReplicaSets(t, ns, "v1 scaled down after the promotion", map[string]int32{v1: 0, v2: 4})
	waitEventNotes(t, ro, v1alpha1.ReasonWeightChanged,
		"canary weight 0 -> 20 (istio: [virtualservice/web])", "canary weight 20 -> 60", "canary weight 60 -> 0",
		"canary weight 20 -> 100", "canary weight 100 -> 0")
}

// A user's edits of the VirtualService mid-rollout (kubectl patch, racing the controller's next
// weight change) are kept: ramp's guarded patches touch only the weights.
func TestIstioKeepsTheUsersEditsOfTheVirtualService(t *testing.T) {
	ns := namespace(t)
	playReplicaSetController(t, ns)
	create(t, service(ns, "web-stable"), service(ns, "web-canary"))
	createYAML(t, ns, fmt.Sprintf(istioHostVS, ns))
	ro := istioHostRollout(ns, 2, setWeightStep(20), pauseStep, setWeightStep(60), pauseStep)
	create(t, ro)
	waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy)
	setImage(t, ro, "web:2")
	waitStep(t, ro, v1alpha1.RolloutPhasePaused, 1)
	waitSpec(t, istioVSGVK, ns, "web", "weight 20", istioHostSpec(ns, 20))

	// A new timeout, a gateway, and a route above primary (which moves it to index 1); then
	// promote at once, so the controller's next weight change races the edit.
	jsonPatchObject(t, istioVSGVK, ns, "web", `[
		{"op": "replace", "path": "/spec/http/0/timeout", "value": "5s"},
		{"op": "add", "path": "/spec/gateways/-", "value": "mesh"},
		{"op": "add", "path": "/spec/http/0", "value": {"name": "maintenance", "match": [{"uri": {"prefix": "/down"}}], "route": [{"destination": {"host": "sorry"}}]}}
	]`)
	patchStatus(t, ro, func(st *v1alpha1.RolloutStatus) { st.PauseConditions = nil })
	edited := func(w int) string {
		return strings.NewReplacer(
			"gateways: [public]", "gateways: [public, mesh]",
			"timeout: 10s", "timeout: 5s",
			"http:\n", "http:\n- name: maintenance\n  match:\n  - uri: {prefix: /down}\n  route:\n  - destination: {host: sorry}\n",
		).Replace(istioHostSpec(ns, w))
	}
	got := waitStep(t, ro, v1alpha1.RolloutPhasePaused, 3)
	waitSpec(t, istioVSGVK, ns, "web", "weight 60 with the user's edits", edited(60))
	wantWeights(t, got, 60)

	patchStatus(t, ro, func(st *v1alpha1.RolloutStatus) { st.PromoteFull = true })
	waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy)
	waitSpec(t, istioVSGVK, ns, "web", "weight 0 with the user's edits", edited(0))
}

// istioSubsetRollout splits by the subsets stable and canary of the DestinationRule web, as
// examples/canary-istio.yaml does: one canary pod, a header route and a mirror route to it.
func istioSubsetRollout(ns string) *v1alpha1.Rollout {
	ro := rollout(ns, 2,
		v1alpha1.CanaryStep{SetCanaryScale: &v1alpha1.SetCanaryScale{Replicas: ptr.To[int32](1)}},
		v1alpha1.CanaryStep{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "beta-testers", Match: []v1alpha1.HeaderRoutingMatch{
			{HeaderName: "X-Canary", HeaderValue: v1alpha1.StringMatch{Exact: "yes"}},
		}}},
		v1alpha1.CanaryStep{SetMirrorRoute: &v1alpha1.SetMirrorRoute{Name: "shadow", Percentage: ptr.To[int32](20), Match: []v1alpha1.RouteMatch{
			{Method: &v1alpha1.StringMatch{Exact: "GET"}},
		}}},
		pauseStep,
	)
	c := ro.Spec.Strategy.Canary
	c.ScaleDownDelaySeconds, c.AbortScaleDownDelaySeconds = ptr.To[int32](0), ptr.To[int32](0)
	c.TrafficRouting = &v1alpha1.RolloutTrafficRouting{
		Istio: &v1alpha1.IstioTrafficRouting{
			VirtualService:  &v1alpha1.IstioVirtualService{Name: "web", Routes: []string{"primary"}},
			DestinationRule: &v1alpha1.IstioDestinationRule{Name: "web", StableSubsetName: "stable", CanarySubsetName: "canary"},
		},
		// Not the steps' order: the routes must be stacked in this one.
		ManagedRoutes: []v1alpha1.ManagedRoute{{Name: "shadow"}, {Name: "beta-testers"}},
	}
	return ro
}

func TestIstioSubsetLevelCanary(t *testing.T) {
	ns := namespace(t)
	playReplicaSetController(t, ns)
	create(t, service(ns, "web"))
	createYAML(t, ns, istioSubsetDR)
	createYAML(t, ns, istioSubsetVS)
	ro := istioSubsetRollout(ns)
	create(t, ro)

	got := waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy)
	v1 := got.Status.StableRS
	waitSpec(t, istioDRGVK, ns, "web", "both subsets on the stable revision", istioSubsetDRSpec(v1, v1))
	waitSpec(t, istioVSGVK, ns, "web", "no managed routes, weight 0", istioSubsetVSSpec(""))
	wantWeights(t, got, 0)

	setImage(t, ro, "web:2")
	got = waitStep(t, ro, v1alpha1.RolloutPhasePaused, 3)
	v2 := got.Status.CurrentPodHash
	waitSpec(t, istioDRGVK, ns, "web", "the canary subset on the canary revision", istioSubsetDRSpec(v1, v2))
	waitSpec(t, istioVSGVK, ns, "web", "the managed routes above primary", istioSubsetVSSpec(istioManagedRoutes))
	wantWeights(t, got, 0)
	wantReplicaSets(t, ns, map[string]int32{v1: 2, v2: 1})

	// Abort: the managed routes go, then the canary is scaled down (abortScaleDownDelaySeconds
	// 0) and the canary subset returns to the stable pods.
	patchStatus(t, ro, func(st *v1alpha1.RolloutStatus) { st.Abort = true })
	waitSpec(t, istioVSGVK, ns, "web", "managed routes removed on abort", istioSubsetVSSpec(""))
	got = waitPhase(t, ro, v1alpha1.RolloutPhaseDegraded)
	wantWeights(t, got, 0)
	replicaSetFor(t, ro, 0)
	waitSpec(t, istioDRGVK, ns, "web", "the canary subset back on the stable revision", istioSubsetDRSpec(v1, v1))
	wantReplicaSets(t, ns, map[string]int32{v1: 2, v2: 0})

	// Retry: the steps again, the routes back.
	patchStatus(t, ro, func(st *v1alpha1.RolloutStatus) { st.Abort = false })
	waitStep(t, ro, v1alpha1.RolloutPhasePaused, 3)
	waitSpec(t, istioDRGVK, ns, "web", "the canary subset on the canary revision after the retry", istioSubsetDRSpec(v1, v2))
	waitSpec(t, istioVSGVK, ns, "web", "the managed routes back after the retry", istioSubsetVSSpec(istioManagedRoutes))

	// Promote: both subsets on v2, the routes gone, the weight back to 0, v1 scaled down.
	patchStatus(t, ro, func(st *v1alpha1.RolloutStatus) { st.PauseConditions = nil })
	got = waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy)
	if got.Status.StableRS != v2 {
		t.Errorf("stableRS %s, want %s", got.Status.StableRS, v2)
	}
	waitSpec(t, istioDRGVK, ns, "web", "both subsets on the new revision", istioSubsetDRSpec(v2, v2))
	waitSpec(t, istioVSGVK, ns, "web", "no managed routes and weight 0 once promoted", istioSubsetVSSpec(""))
	wantWeights(t, got, 0)
	waitReplicaSets(t, ns, "v1 scaled down after the promotion", map[string]int32{v1: 0, v2: 2})
	waitEventNotes(t, ro, v1alpha1.ReasonRouteChanged, "managed routes [] -> [beta-testers]", "removed")
	waitEventNotes(t, ro, v1alpha1.ReasonWeightChanged, "canary weight 0 -> 100 (istio: [virtualservice/web destinationrule/web])", "canary weight 100 -> 0")
}

// An object trafficRouting names that is missing or does not match degrades the Rollout with
// a message naming the field, and nothing is scaled or re-routed until it is fixed.
func TestIstioInvalidReferencesDegradeAndScaleNothing(t *testing.T) {
	ns := namespace(t)
	playReplicaSetController(t, ns)
	create(t, service(ns, "web-stable"), service(ns, "web-canary"))
	ro := istioHostRollout(ns, 2, setWeightStep(50), pauseStep)
	create(t, ro)

	// No VirtualService: no ReplicaSet either.
	missing := "spec.strategy.canary.trafficRouting.istio.virtualService: VirtualService " + ns + "/web does not exist"
	waitDegradedFor(t, ro, missing)
	wantReplicaSets(t, ns, map[string]int32{})
	createYAML(t, ns, fmt.Sprintf(istioHostVS, ns))
	got := waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy)
	v1 := got.Status.StableRS
	wantReplicaSets(t, ns, map[string]int32{v1: 2})

	// A new revision that names a route the VirtualService does not have: no canary.
	latest := get(t, ro)
	latest.Spec.Template.Spec.Containers[0].Image = "web:2"
	latest.Spec.Strategy.Canary.TrafficRouting.Istio.VirtualService.Routes = []string{"nope"}
	if err := env.Client.Update(context.Background(), latest); err != nil {
		t.Fatal(err)
	}
	waitDegradedFor(t, ro, `spec.strategy.canary.trafficRouting.istio.virtualService.routes: VirtualService `+ns+`/web has no HTTP route named "nope"`)
	wantReplicaSets(t, ns, map[string]int32{v1: 2})
	waitSpec(t, istioVSGVK, ns, "web", "untouched", istioHostSpec(ns, 0))

	latest = get(t, ro)
	latest.Spec.Strategy.Canary.TrafficRouting.Istio.VirtualService.Routes = []string{"primary"}
	if err := env.Client.Update(context.Background(), latest); err != nil {
		t.Fatal(err)
	}
	got = waitStep(t, ro, v1alpha1.RolloutPhasePaused, 1)
	v2 := got.Status.CurrentPodHash
	waitSpec(t, istioVSGVK, ns, "web", "weight 50 once fixed", istioHostSpec(ns, 50))
	wantReplicaSets(t, ns, map[string]int32{v1: 2, v2: 1})

	// The user points the route's canary destination elsewhere: nothing is scaled or re-routed.
	canaryHost := "web-canary." + ns + ".svc.cluster.local"
	jsonPatchObject(t, istioVSGVK, ns, "web", `[{"op": "replace", "path": "/spec/http/0/route/1/destination/host", "value": "web-preview"}]`)
	waitDegradedFor(t, ro, `spec.strategy.canary.canaryService: VirtualService `+ns+`/web HTTP route "primary" has no destination with host web-canary`)
	wantReplicaSets(t, ns, map[string]int32{v1: 2, v2: 1})
	waitSpec(t, istioVSGVK, ns, "web", "as the user left it", strings.Replace(istioHostSpec(ns, 50), canaryHost, "web-preview", 1))
	jsonPatchObject(t, istioVSGVK, ns, "web", `[{"op": "replace", "path": "/spec/http/0/route/1/destination/host", "value": "`+canaryHost+`"}]`)
	waitStep(t, ro, v1alpha1.RolloutPhasePaused, 1)

	// The VirtualService is deleted mid-rollout, then created again as first written (weight
	// 0): the Rollout continues where it was and routes its weight again.
	vs := &unstructured.Unstructured{}
	vs.SetGroupVersionKind(istioVSGVK)
	vs.SetNamespace(ns)
	vs.SetName("web")
	if err := env.Client.Delete(context.Background(), vs); err != nil {
		t.Fatal(err)
	}
	waitDegradedFor(t, ro, missing)
	wantReplicaSets(t, ns, map[string]int32{v1: 2, v2: 1})
	createYAML(t, ns, fmt.Sprintf(istioHostVS, ns))
	got = waitStep(t, ro, v1alpha1.RolloutPhasePaused, 1)
	waitSpec(t, istioVSGVK, ns, "web", "weight 50 in the new VirtualService", istioHostSpec(ns, 50))
	wantWeights(t, got, 50)

	patchStatus(t, ro, func(st *v1alpha1.RolloutStatus) { st.PauseConditions = nil })
	waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy)
	waitSpec(t, istioVSGVK, ns, "web", "weight 0 once promoted", istioHostSpec(ns, 0))
	waitReplicaSets(t, ns, "v1 scaled down after the promotion", map[string]int32{v1: 0, v2: 2})
}

// istioWrite is one version of the VirtualService or DestinationRule, as a watch saw it.
type istioWrite struct {
	rv     int
	vs     bool
	routes []string // the VirtualService's HTTP routes, by name
	weight int32    // the canary weight of route primary
	stable string   // the DestinationRule's stable and canary subsets' hashes
	canary string
}

// watchIstioWrites records every version of the VirtualServices and DestinationRules in ns
// until the returned function is called; it returns them in etcd (resourceVersion) order.
func watchIstioWrites(t *testing.T, ns string) func() []istioWrite {
	t.Helper()
	wc, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Client.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	var stops []func() []istioWrite
	for _, list := range []client.ObjectList{&istionetworkingv1.VirtualServiceList{}, &istionetworkingv1.DestinationRuleList{}} {
		w, err := wc.Watch(context.Background(), list, client.InNamespace(ns))
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		var seen []istioWrite
		go func() {
			defer close(done)
			for ev := range w.ResultChan() {
				var r istioWrite
				switch o := ev.Object.(type) {
				case *istionetworkingv1.VirtualService:
					r.rv, _ = strconv.Atoi(o.ResourceVersion)
					r.vs = true
					for _, h := range o.Spec.GetHttp() {
						r.routes = append(r.routes, h.GetName())
						if h.GetName() == "primary" && len(h.GetRoute()) == 2 {
							r.weight = h.GetRoute()[1].GetWeight()
						}
					}
				case *istionetworkingv1.DestinationRule:
					r.rv, _ = strconv.Atoi(o.ResourceVersion)
					if ss := o.Spec.GetSubsets(); len(ss) == 2 {
						r.stable, r.canary = ss[0].GetLabels()[v1alpha1.PodTemplateHashLabel], ss[1].GetLabels()[v1alpha1.PodTemplateHashLabel]
					}
				default:
					continue
				}
				seen = append(seen, r)
			}
		}()
		stops = append(stops, func() []istioWrite { w.Stop(); <-done; return seen })
	}
	return func() []istioWrite {
		var all []istioWrite
		for _, stop := range stops {
			all = append(all, stop()...)
		}
		slices.SortFunc(all, func(a, b istioWrite) int { return a.rv - b.rv })
		return all
	}
}

// A reconcile planned from a cached Rollout older than the controller's own last status write
// would apply its plan to the data plane before its status patch failed on the conflict, and
// the next reconcile, planned from the newer status, would undo it: a managed route added,
// removed and added again before the pause, or, after the promotion, the stable subset pointed
// back at the old revision while the canary weight is 0. The controller waits for the cache to
// see its own status writes; this replays every write to the VirtualService and
// DestinationRule in order and checks that nothing flaps.
func TestIstioStaleReconcileNeverUndoesRouting(t *testing.T) {
	ns := namespace(t)
	playReplicaSetController(t, ns)
	createYAML(t, ns, istioSubsetDR)
	createYAML(t, ns, istioSubsetVS)
	ro := istioSubsetRollout(ns)
	create(t, ro)
	v1 := waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy).Status.StableRS
	waitSpec(t, istioDRGVK, ns, "web", "both subsets on the stable revision", istioSubsetDRSpec(v1, v1))

	stop := watchIstioWrites(t, ns)
	setImage(t, ro, "web:2")
	v2 := waitStep(t, ro, v1alpha1.RolloutPhasePaused, 3).Status.CurrentPodHash
	waitSpec(t, istioVSGVK, ns, "web", "the managed routes above primary", istioSubsetVSSpec(istioManagedRoutes))
	patchStatus(t, ro, func(st *v1alpha1.RolloutStatus) { st.PauseConditions = nil })
	waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy)
	waitSpec(t, istioDRGVK, ns, "web", "both subsets on the new revision", istioSubsetDRSpec(v2, v2))
	waitSpec(t, istioVSGVK, ns, "web", "no managed routes and weight 0 once promoted", istioSubsetVSSpec(""))
	writes := stop()

	// Replay the writes in etcd order.
	var routes []string
	weight, stable, canary := int32(0), v1, v1
	allIn, v1Done := false, false
	var history []string
	for _, w := range writes {
		if w.vs {
			if !allIn && len(w.routes) < len(routes) {
				t.Errorf("managed route removed before the pause, at resourceVersion %d: %v -> %v", w.rv, routes, w.routes)
			}
			routes, weight = w.routes, w.weight
			allIn = allIn || len(routes) == 3 // from the pause on, the routes may go
		} else {
			stable, canary = w.stable, w.canary
		}
		toV1 := int32(0)
		if stable == v1 {
			toV1 += 100 - weight
		}
		if canary == v1 {
			toV1 += weight
		}
		history = append(history, fmt.Sprintf("rv %d: routes %v, canary weight %d, subsets stable %s canary %s: %d%% to %s", w.rv, routes, weight, stable, canary, toV1, v1))
		switch {
		case toV1 == 0 && stable == v2:
			v1Done = true
		case v1Done && toV1 > 0:
			t.Errorf("traffic back on the old revision after the promotion, at resourceVersion %d", w.rv)
		}
	}
	if t.Failed() {
		t.Logf("writes:\n%s", strings.Join(history, "\n"))
	}
}
