package plan

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*v1alpha1.Rollout)
		want   string // "" = valid; else a part of the message
	}{
		{"valid", func(*v1alpha1.Rollout) {}, ""},
		{"no selector", func(r *v1alpha1.Rollout) { r.Spec.Selector = nil }, "spec.selector is empty"},
		{"selector misses the template", func(r *v1alpha1.Rollout) { r.Spec.Template.Labels = nil }, "does not match spec.template.metadata.labels"},
		{"selector uses the hash label", func(r *v1alpha1.Rollout) {
			r.Spec.Selector.MatchLabels[v1alpha1.PodTemplateHashLabel] = "x"
			r.Spec.Template.Labels[v1alpha1.PodTemplateHashLabel] = "x"
		}, "must not use the rollouts-pod-template-hash label"},
		{"bad selector operator", func(r *v1alpha1.Rollout) {
			r.Spec.Selector.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: "a", Operator: "Near"}}
		}, "spec.selector is invalid"},
		{"no canary", func(r *v1alpha1.Rollout) { r.Spec.Strategy.Canary = nil }, "spec.strategy.canary or spec.strategy.blueGreen is required"},
		{"bad maxSurge", func(r *v1alpha1.Rollout) { r.Spec.Strategy.Canary.MaxSurge = ptr.To(intstr.FromString("many")) }, "maxSurge/maxUnavailable"},
		{"maxSurge and maxUnavailable both 0", func(r *v1alpha1.Rollout) {
			r.Spec.Strategy.Canary.MaxSurge, r.Spec.Strategy.Canary.MaxUnavailable = ptr.To(intstr.FromInt32(0)), ptr.To(intstr.FromString("0%"))
		}, "maxSurge and maxUnavailable are both 0"},
		{"maxSurge 0 and maxUnavailable 10%", func(r *v1alpha1.Rollout) {
			r.Spec.Strategy.Canary.MaxSurge, r.Spec.Strategy.Canary.MaxUnavailable = ptr.To(intstr.FromInt32(0)), ptr.To(intstr.FromString("10%"))
		}, ""},
		{"bad pause", func(r *v1alpha1.Rollout) {
			r.Spec.Strategy.Canary.Steps = []v1alpha1.CanaryStep{{Pause: &v1alpha1.RolloutPause{Duration: ptr.To(intstr.FromString("5x"))}}}
		}, "steps[0].pause.duration"},
		{"canary scale without router", func(r *v1alpha1.Rollout) {
			r.Spec.Strategy.Canary.Steps = []v1alpha1.CanaryStep{weight(10), {SetCanaryScale: &v1alpha1.SetCanaryScale{Replicas: ptr.To[int32](1)}}}
		}, "steps[1].setCanaryScale needs"},
		{"header route without router", func(r *v1alpha1.Rollout) {
			r.Spec.Strategy.Canary.Steps = []v1alpha1.CanaryStep{{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "x"}}}
		}, "header and mirror routes need"},
		{"background analysis past the last step", func(r *v1alpha1.Rollout) {
			r.Spec.Strategy.Canary.Analysis = &v1alpha1.RolloutAnalysisBackground{StartingStep: ptr.To[int32](3)}
		}, "analysis.startingStep 3 is past the last step (2 steps)"},
		{"dynamicStableScale without router", func(r *v1alpha1.Rollout) { r.Spec.Strategy.Canary.DynamicStableScale = true }, "dynamicStableScale needs"},
		{"side metadata on a selector label", func(r *v1alpha1.Rollout) {
			r.Spec.Strategy.Canary.StableMetadata = &v1alpha1.PodTemplateMetadata{Labels: map[string]string{"app": "x"}}
		}, "stableMetadata.labels.app"},
		{"traffic routing without a router", func(r *v1alpha1.Rollout) {
			r.Spec.Strategy.Canary.TrafficRouting = &v1alpha1.RolloutTrafficRouting{}
		}, "names no router"},
		{"nginx", func(r *v1alpha1.Rollout) { nginxRouted(r) }, ""},
		{"nginx without services", func(r *v1alpha1.Rollout) {
			nginxRouted(r)
			r.Spec.Strategy.Canary.CanaryService = ""
		}, "nginx needs spec.strategy.canary.stableService and canaryService"},
		{"istio subsets need no services", func(r *v1alpha1.Rollout) {
			r.Spec.Strategy.Canary.StableService, r.Spec.Strategy.Canary.CanaryService = "", ""
			r.Spec.Strategy.Canary.TrafficRouting = &v1alpha1.RolloutTrafficRouting{Istio: &v1alpha1.IstioTrafficRouting{
				VirtualService:  &v1alpha1.IstioVirtualService{Name: "vs"},
				DestinationRule: &v1alpha1.IstioDestinationRule{Name: "dr", StableSubsetName: "stable", CanarySubsetName: "canary"},
			}}
		}, ""},
		{"gatewayAPI needs services", func(r *v1alpha1.Rollout) {
			r.Spec.Strategy.Canary.TrafficRouting = &v1alpha1.RolloutTrafficRouting{GatewayAPI: &v1alpha1.GatewayAPITrafficRouting{HTTPRoute: "web"}}
		}, "gatewayAPI needs spec.strategy.canary.stableService and canaryService"},
		{"gatewayAPI with a weight total", func(r *v1alpha1.Rollout) {
			c := r.Spec.Strategy.Canary
			c.StableService, c.CanaryService = "s", "c"
			c.TrafficRouting = &v1alpha1.RolloutTrafficRouting{GatewayAPI: &v1alpha1.GatewayAPITrafficRouting{HTTPRoute: "web"}, MaxTrafficWeight: ptr.To[int32](1000)}
			c.Steps = []v1alpha1.CanaryStep{{SetWeight: ptr.To[int32](250)}}
		}, ""},
		{"gatewayAPI header routes with no route to take them", func(r *v1alpha1.Rollout) {
			c := r.Spec.Strategy.Canary
			c.StableService, c.CanaryService = "s", "c"
			c.TrafficRouting = &v1alpha1.RolloutTrafficRouting{
				GatewayAPI:    &v1alpha1.GatewayAPITrafficRouting{HTTPRoutes: []v1alpha1.GatewayAPIRoute{{Name: "web", UseHeaderRoutes: ptr.To(false)}}},
				ManagedRoutes: []v1alpha1.ManagedRoute{{Name: "h"}},
			}
			c.Steps = []v1alpha1.CanaryStep{{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "h", Match: []v1alpha1.HeaderRoutingMatch{{HeaderName: "x", HeaderValue: v1alpha1.StringMatch{Exact: "1"}}}}}}
		}, "every route sets useHeaderRoutes: false"},
		{"gatewayAPI managed route that cannot name a rule", func(r *v1alpha1.Rollout) {
			c := r.Spec.Strategy.Canary
			c.StableService, c.CanaryService = "s", "c"
			c.TrafficRouting = &v1alpha1.RolloutTrafficRouting{GatewayAPI: &v1alpha1.GatewayAPITrafficRouting{HTTPRoute: "web"}, ManagedRoutes: []v1alpha1.ManagedRoute{{Name: "Beta_Testers"}}}
		}, `managedRoutes[0].name "Beta_Testers": with gatewayAPI it names the rules ramp adds`},
		{"gatewayAPI mirror by method prefix", func(r *v1alpha1.Rollout) {
			c := r.Spec.Strategy.Canary
			c.StableService, c.CanaryService = "s", "c"
			c.TrafficRouting = &v1alpha1.RolloutTrafficRouting{GatewayAPI: &v1alpha1.GatewayAPITrafficRouting{GRPCRoute: "api"}, ManagedRoutes: []v1alpha1.ManagedRoute{{Name: "m"}}}
			c.Steps = []v1alpha1.CanaryStep{{SetMirrorRoute: &v1alpha1.SetMirrorRoute{Name: "m", Match: []v1alpha1.RouteMatch{{Method: &v1alpha1.StringMatch{Prefix: "G"}}}}}}
		}, "steps[0].setMirrorRoute.match[0].method: the Gateway API matches a method exactly"},
		{"istio host split needs services", func(r *v1alpha1.Rollout) {
			r.Spec.Strategy.Canary.StableService = ""
			r.Spec.Strategy.Canary.TrafficRouting = &v1alpha1.RolloutTrafficRouting{Istio: &v1alpha1.IstioTrafficRouting{VirtualService: &v1alpha1.IstioVirtualService{Name: "vs"}}}
		}, "istio needs"},
		{"istio with a weight total", func(r *v1alpha1.Rollout) {
			nginxRouted(r)
			r.Spec.Strategy.Canary.TrafficRouting = &v1alpha1.RolloutTrafficRouting{MaxTrafficWeight: ptr.To[int32](1000), Istio: &v1alpha1.IstioTrafficRouting{VirtualService: &v1alpha1.IstioVirtualService{Name: "vs"}}}
		}, "Istio's route weights are percentages"},
		{"weight over the total", func(r *v1alpha1.Rollout) {
			nginxRouted(r)
			r.Spec.Strategy.Canary.TrafficRouting.MaxTrafficWeight = ptr.To[int32](40)
		}, "setWeight 50 is over spec.strategy.canary.trafficRouting.maxTrafficWeight (40)"},
		{"weight over 100 without a router", func(r *v1alpha1.Rollout) {
			r.Spec.Strategy.Canary.Steps = []v1alpha1.CanaryStep{weight(150)}
		}, "setWeight 150 is over 100"},
		{"header route not managed", func(r *v1alpha1.Rollout) {
			nginxRouted(r)
			r.Spec.Strategy.Canary.Steps = []v1alpha1.CanaryStep{headerRoute("other", "x-canary")}
		}, `setHeaderRoute.name "other" is not in spec.strategy.canary.trafficRouting.managedRoutes [header]`},
		{"nginx matches one header", func(r *v1alpha1.Rollout) {
			nginxRouted(r)
			route := headerRoute("header", "x-canary")
			route.SetHeaderRoute.Match = append(route.SetHeaderRoute.Match, route.SetHeaderRoute.Match[0])
			r.Spec.Strategy.Canary.Steps = []v1alpha1.CanaryStep{route}
		}, "NGINX canary routing (canary-by-header) can match only one"},
		{"nginx has one header route", func(r *v1alpha1.Rollout) {
			nginxRouted(r)
			r.Spec.Strategy.Canary.TrafficRouting.ManagedRoutes = []v1alpha1.ManagedRoute{{Name: "header"}, {Name: "second"}}
			r.Spec.Strategy.Canary.Steps = []v1alpha1.CanaryStep{headerRoute("header", "a"), headerRoute("second", "b")}
		}, "one canary-by-header per Ingress"},
		{"nginx cannot mirror", func(r *v1alpha1.Rollout) {
			nginxRouted(r)
			r.Spec.Strategy.Canary.Steps = []v1alpha1.CanaryStep{{SetMirrorRoute: &v1alpha1.SetMirrorRoute{Name: "header"}}}
		}, "NGINX ingress cannot mirror"},
		{"weight to an empty canary", func(r *v1alpha1.Rollout) {
			nginxRouted(r)
			r.Spec.Strategy.Canary.Steps = []v1alpha1.CanaryStep{{SetCanaryScale: &v1alpha1.SetCanaryScale{Replicas: ptr.To[int32](0)}}, pause(), weight(10)}
		}, "steps[2].setWeight 10 sends traffic to a canary that steps[0].setCanaryScale leaves with no pods"},
		{"bad header regex", func(r *v1alpha1.Rollout) {
			nginxRouted(r)
			route := headerRoute("header", "x-canary")
			route.SetHeaderRoute.Match[0].HeaderValue = v1alpha1.StringMatch{Regex: "(unclosed"}
			r.Spec.Strategy.Canary.Steps = []v1alpha1.CanaryStep{route}
		}, "setHeaderRoute.match[0].headerValue.regex \"(unclosed\" is not a valid regular expression"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ro := newWorld(t, 3, weight(50), pause()).ro
			tt.mutate(ro)
			got := Validate(ro)
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("Validate = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestValidateRejectsAStepWithoutAction(t *testing.T) {
	ro := newWorld(t, 3, weight(50), v1alpha1.CanaryStep{}).ro
	if got := Validate(ro); !strings.Contains(got, "steps[1] has no action") {
		t.Errorf("Validate = %q", got)
	}
}

func nginxRouted(r *v1alpha1.Rollout) {
	c := r.Spec.Strategy.Canary
	c.StableService, c.CanaryService = "web-stable", "web-canary"
	c.TrafficRouting = &v1alpha1.RolloutTrafficRouting{
		Nginx:         &v1alpha1.NginxTrafficRouting{StableIngress: "web"},
		ManagedRoutes: []v1alpha1.ManagedRoute{{Name: "header"}},
	}
}

func headerRoute(name, header string) v1alpha1.CanaryStep {
	return v1alpha1.CanaryStep{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: name, Match: []v1alpha1.HeaderRoutingMatch{
		{HeaderName: header, HeaderValue: v1alpha1.StringMatch{Exact: "yes"}},
	}}}
}
