//go:build integration

package v1alpha1_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	var err error
	env, err = testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stop envtest:", err)
	}
	os.Exit(code)
}

// newRollout is the smallest Rollout the API accepts, with a name unique to the test.
func newRollout(t *testing.T, steps ...v1alpha1.CanaryStep) *v1alpha1.Rollout {
	labels := map[string]string{"app": "web"}
	return &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: objectName(t)},
		Spec: v1alpha1.RolloutSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27"}}},
			},
			Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{Steps: steps}},
		},
	}
}

// objectName turns the test's name into a valid, unique object name.
func objectName(t *testing.T) string {
	name := []byte(strings.ToLower(t.Name()))
	for i, c := range name {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			name[i] = '-'
		}
	}
	return string(name)
}

func TestRolloutDefaultsAreApplied(t *testing.T) {
	ctx := context.Background()
	ro := newRollout(t)
	if err := env.Client.Create(ctx, ro); err != nil {
		t.Fatalf("create: %v", err)
	}
	got := &v1alpha1.Rollout{}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(ro), got); err != nil {
		t.Fatalf("get: %v", err)
	}
	s := got.Spec
	checks := []struct {
		field string
		got   any
		want  any
	}{
		{"spec.replicas", ptr.Deref(s.Replicas, -1), int32(1)},
		{"spec.revisionHistoryLimit", ptr.Deref(s.RevisionHistoryLimit, -1), int32(10)},
		{"spec.progressDeadlineSeconds", ptr.Deref(s.ProgressDeadlineSeconds, -1), int32(600)},
		{"spec.strategy.canary.maxSurge", ptr.Deref(s.Strategy.Canary.MaxSurge, intstr.FromInt32(-1)), intstr.FromString("25%")},
		{"spec.strategy.canary.maxUnavailable", ptr.Deref(s.Strategy.Canary.MaxUnavailable, intstr.FromInt32(-1)), intstr.FromString("25%")},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want default %v", c.field, c.got, c.want)
		}
	}
	// The pod template's metadata has a schema of its own; without it the API server prunes it.
	if got.Spec.Template.Labels["app"] != "web" {
		t.Errorf("spec.template.metadata.labels pruned: got %v", got.Spec.Template.Labels)
	}
}

func TestRolloutStepsAreValidatedAtAdmission(t *testing.T) {
	tests := []struct {
		name    string
		step    v1alpha1.CanaryStep
		wantErr string // empty: accepted
	}{
		{"weight", v1alpha1.CanaryStep{SetWeight: ptr.To[int32](20)}, ""},
		{"pause until promoted", v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{}}, ""},
		{"pause seconds as number", v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{Duration: ptr.To(intstr.FromInt32(30))}}, ""},
		{"pause 5m", v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{Duration: ptr.To(intstr.FromString("5m"))}}, ""},
		{"canary scale replicas", v1alpha1.CanaryStep{SetCanaryScale: &v1alpha1.SetCanaryScale{Replicas: ptr.To[int32](2)}}, ""},
		{"analysis", v1alpha1.CanaryStep{Analysis: &v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "success-rate"}}}}, ""},
		{"header route", v1alpha1.CanaryStep{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "beta", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "x-beta", HeaderValue: v1alpha1.StringMatch{Exact: "1"}}}}}, ""},
		{"header match with two kinds", v1alpha1.CanaryStep{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "beta", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "x-beta", HeaderValue: v1alpha1.StringMatch{Exact: "1", Regex: "1.*"}}}}}, "headerValue: Too many: 2"},
		{"analysis without templates", v1alpha1.CanaryStep{Analysis: &v1alpha1.RolloutAnalysis{}}, "templates"},
		{"weight above 100", v1alpha1.CanaryStep{SetWeight: ptr.To[int32](101)}, "a setWeight is at most 100"},
		{"two actions", v1alpha1.CanaryStep{SetWeight: ptr.To[int32](20), Pause: &v1alpha1.RolloutPause{}}, "a step sets exactly one of"},
		{"no action", v1alpha1.CanaryStep{}, "a step sets exactly one of"},
		{"bad duration", v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{Duration: ptr.To(intstr.FromString("5 minutes"))}}, "duration is a whole number of seconds"},
		{"empty canary scale", v1alpha1.CanaryStep{SetCanaryScale: &v1alpha1.SetCanaryScale{}}, "setCanaryScale sets exactly one of"},
		{"canary scale weight above 100", v1alpha1.CanaryStep{SetCanaryScale: &v1alpha1.SetCanaryScale{Weight: ptr.To[int32](150)}}, "should be less than or equal to 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := env.Client.Create(context.Background(), newRollout(t, tt.step), client.DryRunAll)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("valid step rejected: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("invalid step accepted, want an error containing %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestTrafficRoutingIsValidatedAtAdmission(t *testing.T) {
	nginx := &v1alpha1.NginxTrafficRouting{StableIngress: "web"}
	istio := &v1alpha1.IstioTrafficRouting{VirtualService: &v1alpha1.IstioVirtualService{Name: "web"}}
	gateway := &v1alpha1.GatewayAPITrafficRouting{HTTPRoute: "web"}
	tests := []struct {
		name    string
		routing v1alpha1.RolloutTrafficRouting
		weight  int32
		wantErr string // empty: accepted
	}{
		{"nginx", v1alpha1.RolloutTrafficRouting{Nginx: nginx}, 50, ""},
		{"istio", v1alpha1.RolloutTrafficRouting{Istio: istio}, 50, ""},
		{"gatewayAPI", v1alpha1.RolloutTrafficRouting{GatewayAPI: gateway}, 50, ""},
		{"no router", v1alpha1.RolloutTrafficRouting{}, 50, "trafficRouting sets exactly one of nginx, istio, gatewayAPI"},
		{"two routers", v1alpha1.RolloutTrafficRouting{Nginx: nginx, Istio: istio}, 50, "trafficRouting sets exactly one of nginx, istio, gatewayAPI"},
		{"istio and gatewayAPI", v1alpha1.RolloutTrafficRouting{GatewayAPI: gateway, Istio: istio}, 50, "trafficRouting sets exactly one of nginx, istio, gatewayAPI"},
		{"gatewayAPI without a route", v1alpha1.RolloutTrafficRouting{GatewayAPI: &v1alpha1.GatewayAPITrafficRouting{}}, 50, "gatewayAPI names at least one route"},
		{"gatewayAPI with httpRoute and httpRoutes", v1alpha1.RolloutTrafficRouting{GatewayAPI: &v1alpha1.GatewayAPITrafficRouting{HTTPRoute: "a", HTTPRoutes: []v1alpha1.GatewayAPIRoute{{Name: "b"}}}}, 50, "gatewayAPI sets one of httpRoute, httpRoutes"},
		{"gatewayAPI HTTP and gRPC routes, rules by name and index", v1alpha1.RolloutTrafficRouting{GatewayAPI: &v1alpha1.GatewayAPITrafficRouting{
			HTTPRoutes: []v1alpha1.GatewayAPIRoute{{Name: "a", Rules: []v1alpha1.GatewayAPIRuleSelector{{Name: "api"}, {Index: ptr.To[int32](2)}}}},
			GRPCRoute:  "b",
		}}, 50, ""},
		{"gatewayAPI rule selector with name and index", v1alpha1.RolloutTrafficRouting{GatewayAPI: &v1alpha1.GatewayAPITrafficRouting{
			HTTPRoutes: []v1alpha1.GatewayAPIRoute{{Name: "a", Rules: []v1alpha1.GatewayAPIRuleSelector{{Name: "api", Index: ptr.To[int32](0)}}}},
		}}, 50, "a rule selector sets exactly one of name, index"},
		{"gatewayAPI with a weight total", v1alpha1.RolloutTrafficRouting{GatewayAPI: gateway, MaxTrafficWeight: ptr.To[int32](10000)}, 2500, ""},
		{"nginx without an ingress", v1alpha1.RolloutTrafficRouting{Nginx: &v1alpha1.NginxTrafficRouting{}}, 50, "nginx sets exactly one of stableIngress, stableIngresses"},
		{"nginx with both ingress fields", v1alpha1.RolloutTrafficRouting{Nginx: &v1alpha1.NginxTrafficRouting{StableIngress: "a", StableIngresses: []string{"b"}}}, 50, "nginx sets exactly one of"},
		{"istio without a virtual service", v1alpha1.RolloutTrafficRouting{Istio: &v1alpha1.IstioTrafficRouting{}}, 50, "istio sets exactly one of virtualService, virtualServices"},
		{"weight within the total", v1alpha1.RolloutTrafficRouting{Nginx: nginx, MaxTrafficWeight: ptr.To[int32](1000)}, 500, ""},
		{"weight over the total", v1alpha1.RolloutTrafficRouting{Nginx: nginx, MaxTrafficWeight: ptr.To[int32](40)}, 50, "at most trafficRouting.maxTrafficWeight"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ro := newRollout(t, v1alpha1.CanaryStep{SetWeight: ptr.To(tt.weight)})
			ro.Spec.Strategy.Canary.TrafficRouting = &tt.routing
			err := env.Client.Create(context.Background(), ro, client.DryRunAll)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("valid trafficRouting rejected: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("invalid trafficRouting accepted, want an error containing %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestRolloutWithoutStrategyIsRejected(t *testing.T) {
	ro := newRollout(t)
	ro.Spec.Strategy.Canary = nil
	err := env.Client.Create(context.Background(), ro, client.DryRunAll)
	if err == nil || !strings.Contains(err.Error(), "spec.strategy sets exactly one of canary, blueGreen") {
		t.Fatalf("want rejection naming spec.strategy, got %v", err)
	}
}

func TestRolloutWithBothStrategiesIsRejected(t *testing.T) {
	ro := newRollout(t)
	ro.Spec.Strategy.BlueGreen = &v1alpha1.BlueGreenStrategy{ActiveService: "web"}
	err := env.Client.Create(context.Background(), ro, client.DryRunAll)
	if err == nil || !strings.Contains(err.Error(), "spec.strategy sets exactly one of canary, blueGreen") {
		t.Fatalf("want rejection naming both strategies, got %v", err)
	}
	ro.Spec.Strategy.Canary = nil
	if err := env.Client.Create(context.Background(), ro, client.DryRunAll); err != nil {
		t.Fatalf("a blue-green Rollout rejected: %v", err)
	}
}

// The scale subresource is what `kubectl scale` and a HorizontalPodAutoscaler use.
func TestRolloutScaleSubresource(t *testing.T) {
	ctx := context.Background()
	ro := newRollout(t)
	if err := env.Client.Create(ctx, ro); err != nil {
		t.Fatalf("create: %v", err)
	}
	scale := &autoscalingv1.Scale{}
	if err := env.Client.SubResource("scale").Get(ctx, ro, scale); err != nil {
		t.Fatalf("get scale: %v", err)
	}
	if scale.Spec.Replicas != 1 {
		t.Fatalf("scale.spec.replicas = %d, want 1", scale.Spec.Replicas)
	}
	scale.Spec.Replicas = 5
	if err := env.Client.SubResource("scale").Update(ctx, ro, client.WithSubResourceBody(scale)); err != nil {
		t.Fatalf("update scale: %v", err)
	}
	got := &v1alpha1.Rollout{}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(ro), got); err != nil {
		t.Fatalf("get: %v", err)
	}
	if r := ptr.Deref(got.Spec.Replicas, -1); r != 5 {
		t.Fatalf("spec.replicas after scaling = %d, want 5", r)
	}

	// An autoscaler reads status.HPAReplicas (the pods spec.replicas sizes), not every pod.
	got.Status.Replicas, got.Status.HPAReplicas, got.Status.Selector = 6, 5, "app=web,rollouts-pod-template-hash=abc"
	if err := env.Client.Status().Update(ctx, got); err != nil {
		t.Fatalf("update status: %v", err)
	}
	if err := env.Client.SubResource("scale").Get(ctx, ro, scale); err != nil {
		t.Fatalf("get scale: %v", err)
	}
	if scale.Status.Replicas != 5 || scale.Status.Selector != got.Status.Selector {
		t.Fatalf("scale.status = %+v, want 5 replicas and selector %q", scale.Status, got.Status.Selector)
	}
}

// As a Deployment's validation does: maxSurge and maxUnavailable both 0 could never replace a pod.
func TestRollingParametersThatCannotProgressAreRejected(t *testing.T) {
	num, pct := intstr.FromInt32, intstr.FromString
	tests := []struct {
		name               string
		surge, unavailable *intstr.IntOrString
		wantErr            bool
	}{
		{"both 0", ptr.To(num(0)), ptr.To(num(0)), true},
		{"both 0 percent", ptr.To(pct("0%")), ptr.To(pct("0%")), true},
		{"0 and 0 percent", ptr.To(num(0)), ptr.To(pct("0%")), true},
		{"surge 1", ptr.To(num(1)), ptr.To(num(0)), false},
		{"unavailable 10 percent", ptr.To(pct("0%")), ptr.To(pct("10%")), false},
		{"surge 0, unavailable defaulted", ptr.To(num(0)), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ro := newRollout(t)
			ro.Spec.Strategy.Canary.MaxSurge, ro.Spec.Strategy.Canary.MaxUnavailable = tt.surge, tt.unavailable
			err := env.Client.Create(context.Background(), ro, client.DryRunAll)
			switch {
			case !tt.wantErr && err != nil:
				t.Fatalf("rejected: %v", err)
			case tt.wantErr && err == nil:
				t.Fatal("accepted, want a rejection naming maxSurge and maxUnavailable")
			case tt.wantErr && !(strings.Contains(err.Error(), "spec.strategy.canary.maxUnavailable") && strings.Contains(err.Error(), "maxSurge and maxUnavailable are both 0")):
				t.Fatalf("error %q does not name both fields", err)
			}
		})
	}
}

// A Rollout has its pods from exactly one of template and workloadRef; with workloadRef the
// selector may come from the Deployment. A Go client's empty template is not sent (omitzero).
func TestTemplateOrWorkloadRefAtAdmission(t *testing.T) {
	ref := &v1alpha1.WorkloadRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", ScaleDown: v1alpha1.ScaleDownOnSuccess}
	for _, tt := range []struct {
		name    string
		mutate  func(*v1alpha1.Rollout)
		wantErr string
	}{
		{"template", func(*v1alpha1.Rollout) {}, ""},
		{"workloadRef without selector", func(ro *v1alpha1.Rollout) {
			ro.Spec.Template, ro.Spec.Selector, ro.Spec.WorkloadRef = corev1.PodTemplateSpec{}, nil, ref
		}, ""},
		{"both", func(ro *v1alpha1.Rollout) { ro.Spec.WorkloadRef = ref }, "spec sets exactly one of template (the pods) and workloadRef"},
		{"neither", func(ro *v1alpha1.Rollout) { ro.Spec.Template = corev1.PodTemplateSpec{} }, "spec sets exactly one of template (the pods) and workloadRef"},
		{"no selector", func(ro *v1alpha1.Rollout) { ro.Spec.Selector = nil }, "spec.selector is required"},
		{"another kind", func(ro *v1alpha1.Rollout) {
			ro.Spec.Template, ro.Spec.WorkloadRef = corev1.PodTemplateSpec{}, &v1alpha1.WorkloadRef{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web"}
		}, `spec.workloadRef.kind: Unsupported value: "ReplicaSet"`},
		{"unknown scaleDown", func(ro *v1alpha1.Rollout) {
			ro.Spec.Template, ro.Spec.WorkloadRef = corev1.PodTemplateSpec{}, &v1alpha1.WorkloadRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", ScaleDown: "always"}
		}, `spec.workloadRef.scaleDown: Unsupported value: "always"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ro := newRollout(t)
			tt.mutate(ro)
			err := env.Client.Create(context.Background(), ro, client.DryRunAll)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("rejected: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
