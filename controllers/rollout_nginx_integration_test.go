//go:build integration

package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/testenv"
)

func create(t *testing.T, objs ...client.Object) {
	t.Helper()
	for _, o := range objs {
		if err := env.Client.Create(context.Background(), o); err != nil {
			t.Fatalf("create %T %s: %v", o, o.GetName(), err)
		}
	}
}

func service(ns, name string) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: corev1.ServiceSpec{
		Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Name: "http", Port: 80}},
	}}
}

func ingress(ns, name, svc string) *networkingv1.Ingress {
	return &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: networkingv1.IngressSpec{IngressClassName: ptr.To("nginx"), Rules: []networkingv1.IngressRule{{
			Host: "web.example",
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
				Path: "/", PathType: ptr.To(networkingv1.PathTypePrefix),
				Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: svc, Port: networkingv1.ServiceBackendPort{Name: "http"}}},
			}}}},
		}}},
	}
}

// nginxRollout is a Rollout routed by NGINX through web-stable/web-canary and Ingress web.
func nginxRollout(ns string, replicas int32, steps ...v1alpha1.CanaryStep) *v1alpha1.Rollout {
	ro := rollout(ns, replicas, steps...)
	c := ro.Spec.Strategy.Canary
	c.StableService, c.CanaryService = "web-stable", "web-canary"
	c.ScaleDownDelaySeconds, c.AbortScaleDownDelaySeconds = ptr.To[int32](0), ptr.To[int32](0)
	c.TrafficRouting = &v1alpha1.RolloutTrafficRouting{
		Nginx:         &v1alpha1.NginxTrafficRouting{StableIngress: "web"},
		ManagedRoutes: []v1alpha1.ManagedRoute{{Name: "beta"}},
	}
	return ro
}

// canaryIngress waits for the canary Ingress to satisfy ok, and returns it.
func canaryIngress(t *testing.T, ns, what string, ok func(*networkingv1.Ingress) bool) *networkingv1.Ingress {
	t.Helper()
	ing := &networkingv1.Ingress{}
	testenv.Eventually(t, timeout, "canary ingress: "+what, func(ctx context.Context) (bool, string, error) {
		err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web-web-canary"}, ing)
		if apierrors.IsNotFound(err) {
			return false, "not found", nil
		}
		if err != nil {
			return false, "", err
		}
		return ok(ing), fmt.Sprint(ing.Annotations), nil
	})
	return ing
}

func weighs(w string) func(*networkingv1.Ingress) bool {
	return func(ing *networkingv1.Ingress) bool {
		return ing.Annotations["nginx.ingress.kubernetes.io/canary-weight"] == w
	}
}

func setImage(t testing.TB, ro *v1alpha1.Rollout, image string) {
	t.Helper()
	got := get(t, ro)
	patched := got.DeepCopy()
	patched.Spec.Template.Spec.Containers[0].Image = image
	if err := env.Client.Patch(context.Background(), patched, client.MergeFrom(got)); err != nil {
		t.Fatal(err)
	}
}

func patchStatus(t *testing.T, ro *v1alpha1.Rollout, change func(*v1alpha1.RolloutStatus)) {
	t.Helper()
	got := get(t, ro)
	patched := got.DeepCopy()
	change(&patched.Status)
	if err := env.Client.Status().Patch(context.Background(), patched, client.MergeFrom(got)); err != nil {
		t.Fatal(err)
	}
}

func TestNginxCanaryFollowsTheSteps(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t)
	playReplicaSetController(t, ns)
	create(t, service(ns, "web-stable"), service(ns, "web-canary"), ingress(ns, "web", "web-stable"))
	ro := nginxRollout(ns, 4,
		v1alpha1.CanaryStep{SetWeight: ptr.To[int32](25)},
		v1alpha1.CanaryStep{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "beta", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "x-beta", HeaderValue: v1alpha1.StringMatch{Exact: "yes"}}}}},
		v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{}},
	)
	create(t, ro)
	waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy)
	ing := canaryIngress(t, ns, "weight 0 while nothing is released", weighs("0"))
	if owner := metav1.GetControllerOf(ing); owner == nil || owner.Name != "web" || owner.Kind != "Rollout" {
		t.Errorf("canary ingress owner %+v, want the Rollout", owner)
	}
	if b := ing.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Name; b != "web-canary" {
		t.Errorf("canary ingress backend %s, want web-canary", b)
	}
	stableIng := &networkingv1.Ingress{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, stableIng); err != nil || len(stableIng.Annotations) != 0 {
		t.Errorf("the stable Ingress was written: annotations %v (%v)", stableIng.Annotations, err)
	}

	setImage(t, ro, "web:2")
	got := waitPhase(t, ro, v1alpha1.RolloutPhasePaused)
	ing = canaryIngress(t, ns, "weight 25 and the header route", weighs("25"))
	if ing.Annotations["nginx.ingress.kubernetes.io/canary-by-header"] != "x-beta" || ing.Annotations["nginx.ingress.kubernetes.io/canary-by-header-value"] != "yes" {
		t.Errorf("header route annotations %v", ing.Annotations)
	}
	if w := got.Status.Canary.Weights; w == nil || w.Canary.Weight != 25 || w.Stable.Weight != 75 {
		t.Errorf("status weights %+v, want 25/75", w)
	}
	replicaSetFor(t, ro, 1)
	replicaSetNamed(t, ns, "web-"+got.Status.StableRS, 4) // the router splits traffic: stable keeps its size

	// Abort: weight 0 and the header route gone, then the canary scaled down.
	patchStatus(t, ro, func(st *v1alpha1.RolloutStatus) { st.Abort = true })
	ing = canaryIngress(t, ns, "weight 0 after the abort", weighs("0"))
	if _, ok := ing.Annotations["nginx.ingress.kubernetes.io/canary-by-header"]; ok {
		t.Errorf("header route left after the abort: %v", ing.Annotations)
	}
	waitPhase(t, ro, v1alpha1.RolloutPhaseDegraded)
	replicaSetFor(t, ro, 0)

	// Retry and promote to the end: weight 100, the stable Service moves, then weight 0.
	patchStatus(t, ro, func(st *v1alpha1.RolloutStatus) { st.Abort = false })
	waitPhase(t, ro, v1alpha1.RolloutPhasePaused)
	patchStatus(t, ro, func(st *v1alpha1.RolloutStatus) { st.PauseConditions = nil })
	got = waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy)
	canaryIngress(t, ns, "weight 0 once promoted", weighs("0"))
	svc := &corev1.Service{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web-stable"}, svc); err != nil || svc.Spec.Selector[v1alpha1.PodTemplateHashLabel] != got.Status.StableRS {
		t.Errorf("web-stable selects %v, want the new stable %s (%v)", svc.Spec.Selector, got.Status.StableRS, err)
	}
	testenv.Eventually(t, timeout, "a weight line per change", func(ctx context.Context) (bool, string, error) {
		n := strings.Count(strings.Join(eventReasons(t, ro), ","), v1alpha1.ReasonWeightChanged)
		return n >= 4, fmt.Sprintf("%d TrafficWeightChanged events", n), nil // 0->25, 25->0, 0->25, 25->100, 100->0
	})

	// The stable Ingress changes: the canary Ingress follows.
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, stableIng); err != nil {
		t.Fatal(err)
	}
	stableIng.Spec.Rules[0].Host = "shop.example"
	if err := env.Client.Update(ctx, stableIng); err != nil {
		t.Fatal(err)
	}
	canaryIngress(t, ns, "the new host", func(ing *networkingv1.Ingress) bool { return ing.Spec.Rules[0].Host == "shop.example" })

	// trafficRouting removed: the canary Ingress is deleted.
	latest := get(t, ro)
	latest.Spec.Strategy.Canary.TrafficRouting = nil
	latest.Spec.Strategy.Canary.Steps = latest.Spec.Strategy.Canary.Steps[:1]
	if err := env.Client.Update(ctx, latest); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, timeout, "canary ingress deleted", func(ctx context.Context) (bool, string, error) {
		err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web-web-canary"}, &networkingv1.Ingress{})
		return apierrors.IsNotFound(err), fmt.Sprint(err), client.IgnoreNotFound(err)
	})
}

func TestNginxInvalidReferencesDegradeAndRouteNothing(t *testing.T) {
	ns := namespace(t)
	playReplicaSetController(t, ns)
	create(t, service(ns, "web-stable"), service(ns, "web-canary"))
	ro := nginxRollout(ns, 2, v1alpha1.CanaryStep{SetWeight: ptr.To[int32](50)}, v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{}})
	create(t, ro)

	got := waitPhase(t, ro, v1alpha1.RolloutPhaseDegraded)
	if !strings.Contains(got.Status.Message, "trafficRouting.nginx.stableIngress: Ingress "+ns+"/web not found") {
		t.Errorf("missing Ingress: message %q", got.Status.Message)
	}

	create(t, ingress(ns, "web", "elsewhere"))
	testenv.Eventually(t, timeout, "a message about the backend", func(ctx context.Context) (bool, string, error) {
		got = get(t, ro)
		return strings.Contains(got.Status.Message, "has no backend on the stable Service web-stable"), got.Status.Message, nil
	})

	// Someone else's Ingress holds the canary name.
	taken := ingress(ns, "web-web-canary", "web-canary")
	create(t, taken)
	stable := &networkingv1.Ingress{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "web"}, stable); err != nil {
		t.Fatal(err)
	}
	stable.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Name = "web-stable"
	if err := env.Client.Update(context.Background(), stable); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, timeout, "a message about the taken name", func(ctx context.Context) (bool, string, error) {
		got = get(t, ro)
		return strings.Contains(got.Status.Message, "is taken by an Ingress that Rollout web does not own"), got.Status.Message, nil
	})
	if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(taken), taken); err != nil || len(taken.Annotations) != 0 || len(taken.OwnerReferences) != 0 {
		t.Errorf("someone else's Ingress was written: %v %v (%v)", taken.Annotations, taken.OwnerReferences, err)
	}

	if err := env.Client.Delete(context.Background(), taken); err != nil {
		t.Fatal(err)
	}
	waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy)
	canaryIngress(t, ns, "created once the name is free", weighs("0"))
}

// stableIngresses: one canary Ingress per stable Ingress, all at the step's weight, each with
// the Rollout's extra annotations; removing one from the list deletes its canary Ingress.
func TestNginxSeveralStableIngresses(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t)
	playReplicaSetController(t, ns)
	create(t, service(ns, "web-stable"), service(ns, "web-canary"), ingress(ns, "public", "web-stable"), ingress(ns, "internal", "web-stable"))
	ro := nginxRollout(ns, 2, v1alpha1.CanaryStep{SetWeight: ptr.To[int32](30)}, v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{}})
	ro.Spec.Strategy.Canary.TrafficRouting.Nginx = &v1alpha1.NginxTrafficRouting{
		StableIngresses:              []string{"public", "internal"},
		AdditionalIngressAnnotations: map[string]string{"canary-by-cookie": "beta"},
		CanaryIngressAnnotations:     map[string]string{"team": "web"},
	}
	create(t, ro)
	waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy)
	setImage(t, ro, "web:2")
	waitPhase(t, ro, v1alpha1.RolloutPhasePaused)
	for _, name := range []string{"web-public-canary", "web-internal-canary"} {
		ing := &networkingv1.Ingress{}
		testenv.Eventually(t, timeout, name+" at weight 30", func(ctx context.Context) (bool, string, error) {
			if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, ing); err != nil {
				return false, "", client.IgnoreNotFound(err)
			}
			a := ing.Annotations
			return a["nginx.ingress.kubernetes.io/canary-weight"] == "30" && a["nginx.ingress.kubernetes.io/canary-by-cookie"] == "beta" && a["team"] == "web", fmt.Sprint(a), nil
		})
	}
	latest := get(t, ro)
	patched := latest.DeepCopy()
	patched.Spec.Strategy.Canary.TrafficRouting.Nginx.StableIngresses = []string{"public"}
	if err := env.Client.Patch(ctx, patched, client.MergeFrom(latest)); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, timeout, "web-internal-canary deleted", func(ctx context.Context) (bool, string, error) {
		err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web-internal-canary"}, &networkingv1.Ingress{})
		return apierrors.IsNotFound(err), fmt.Sprint(err), client.IgnoreNotFound(err)
	})
}
