package v1alpha1

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func TestDerivedFacts(t *testing.T) {
	w := func(v int32) *int32 { return &v }
	steps := []CanaryStep{{SetWeight: w(20)}, {Pause: &RolloutPause{}}, {SetWeight: w(150)}, {Pause: &RolloutPause{}}}
	c := &CanaryStrategy{Steps: steps}
	for i, want := range []int32{20, 20, 100, 100, 100} { // capped at the total; the total once done
		if got := c.WeightAt(int32(i)); got != want {
			t.Errorf("WeightAt(%d) = %d, want %d", i, got, want)
		}
	}
	routed := &CanaryStrategy{Steps: steps, TrafficRouting: &RolloutTrafficRouting{MaxTrafficWeight: w(1000)}}
	if got := routed.WeightAt(2); got != 150 {
		t.Errorf("WeightAt(2) of 1000 = %d, want 150", got)
	}
	if got := routed.WeightAt(4); got != 1000 {
		t.Errorf("WeightAt(done) of 1000 = %d, want 1000", got)
	}
	for _, tc := range []struct {
		c    *CanaryStrategy
		i    int32
		want string
	}{{c, 0, "1/4"}, {c, 3, "4/4"}, {c, 4, "4/4"}, {c, -1, "1/4"}, {&CanaryStrategy{}, 0, "-"}, {nil, 0, "-"}} {
		if got := tc.c.StepLabel(tc.i); got != tc.want {
			t.Errorf("StepLabel(%d) = %q, want %q", tc.i, got, tc.want)
		}
	}
	if (*CanaryStrategy)(nil).TotalWeight() != 100 || (&RolloutTrafficRouting{MaxTrafficWeight: w(0)}).TotalWeight() != 1 {
		t.Error("TotalWeight defaults: 100 without routing, at least 1")
	}
	no := false
	if !(&BlueGreenStrategy{}).AutoPromotes() || (&BlueGreenStrategy{AutoPromotionEnabled: &no}).AutoPromotes() {
		t.Error("AutoPromotes: true unless autoPromotionEnabled is false")
	}
}

func TestCanaryStepDescribe(t *testing.T) {
	for _, tc := range []struct {
		step CanaryStep
		want string
	}{
		{CanaryStep{SetWeight: ptr.To(int32(20))}, "setWeight: 20"},
		{CanaryStep{Pause: &RolloutPause{}}, "pause (until promoted)"},
		{CanaryStep{Pause: &RolloutPause{Duration: ptr.To(intstr.FromString("30s"))}}, "pause: 30s"},
		{CanaryStep{Pause: &RolloutPause{Duration: ptr.To(intstr.FromString("45"))}}, "pause: 45s"},
		{CanaryStep{Pause: &RolloutPause{Duration: ptr.To(intstr.FromInt32(90))}}, "pause: 90s"},
		{CanaryStep{SetCanaryScale: &SetCanaryScale{Replicas: ptr.To(int32(2))}}, "setCanaryScale: replicas 2"},
		{CanaryStep{SetCanaryScale: &SetCanaryScale{Weight: ptr.To(int32(30))}}, "setCanaryScale: weight 30%"},
		{CanaryStep{SetCanaryScale: &SetCanaryScale{MatchTrafficWeight: true}}, "setCanaryScale: matchTrafficWeight"},
		{CanaryStep{Analysis: &RolloutAnalysis{Templates: []AnalysisTemplateRef{{TemplateName: "template-a"}, {TemplateName: "template-b"}}}}, "analysis: template-a, template-b"},
		{CanaryStep{SetHeaderRoute: &SetHeaderRoute{Name: "beta-testers", Match: []HeaderRoutingMatch{{HeaderName: "x-beta"}}}}, "setHeaderRoute: beta-testers"},
		{CanaryStep{SetHeaderRoute: &SetHeaderRoute{Name: "beta-testers"}}, "setHeaderRoute: beta-testers (remove)"},
		{CanaryStep{SetMirrorRoute: &SetMirrorRoute{Name: "mirror-1", Percentage: ptr.To(int32(50)), Match: []RouteMatch{{}}}}, "setMirrorRoute: mirror-1 (50%)"},
		{CanaryStep{SetMirrorRoute: &SetMirrorRoute{Name: "mirror-1", Match: []RouteMatch{{}}}}, "setMirrorRoute: mirror-1 (100%)"},
		{CanaryStep{}, "(empty step)"},
	} {
		if got := tc.step.Describe(); got != tc.want {
			t.Errorf("Describe = %q, want %q", got, tc.want)
		}
	}
}

// The defaults of unset fields, each in one place, as Argo has them.
func TestDefaultsOfUnsetFields(t *testing.T) {
	ro := &Rollout{}
	if ro.DesiredReplicas() != 1 || ro.ProgressDeadline() != 600*time.Second || ro.HistoryLimit() != 10 || ro.IsAborted() {
		t.Errorf("unset: replicas %d, deadline %s, history %d, aborted %t; want 1, 10m, 10, false", ro.DesiredReplicas(), ro.ProgressDeadline(), ro.HistoryLimit(), ro.IsAborted())
	}
	ro.Spec.Replicas = ptr.To(int32(-3))
	if ro.DesiredReplicas() != 0 {
		t.Errorf("replicas -3 gives %d, want 0", ro.DesiredReplicas())
	}
	canary := &CanaryStrategy{}
	if canary.AbortScaleDownDelay() != 0 {
		t.Errorf("canary without a router keeps an aborted canary %s, want 0", canary.AbortScaleDownDelay())
	}
	canary.TrafficRouting = &RolloutTrafficRouting{}
	if canary.AbortScaleDownDelay() != 30*time.Second {
		t.Errorf("routed canary keeps an aborted canary %s, want 30s", canary.AbortScaleDownDelay())
	}
	if d := (&BlueGreenStrategy{AbortScaleDownDelaySeconds: ptr.To(int32(5))}).AbortScaleDownDelay(); d != 5*time.Second {
		t.Errorf("blue-green abortScaleDownDelaySeconds 5 gives %s", d)
	}
	if p := (&SetMirrorRoute{}).MirrorPercentage(); p != 100 {
		t.Errorf("mirror percentage unset gives %d, want 100", p)
	}
	ro.Spec.Strategy.Canary = &CanaryStrategy{StableService: "web", CanaryService: "web"}
	if got := ro.ServiceNames(); len(got) != 1 || got[0] != "web" {
		t.Errorf("ServiceNames = %v, want [web] once", got)
	}
	one := &IstioTrafficRouting{VirtualService: &IstioVirtualService{Name: "vs"}}
	if got := one.VirtualServiceList(); len(got) != 1 || got[0].Name != "vs" {
		t.Errorf("VirtualServiceList = %v", got)
	}
	ro.Status.AbortedAt = &metav1.Time{}
	if !ro.IsAborted() {
		t.Error("abortedAt set (not retried yet): want aborted")
	}
}

func TestMirrorsTrafficOnlyWithAMirrorThatMatches(t *testing.T) {
	add := CanaryStep{SetMirrorRoute: &SetMirrorRoute{Name: "m", Match: []RouteMatch{{Path: &StringMatch{Prefix: "/"}}}}}
	remove := CanaryStep{SetMirrorRoute: &SetMirrorRoute{Name: "m"}}
	for _, tc := range []struct {
		c    *CanaryStrategy
		want bool
	}{
		{nil, false},
		{&CanaryStrategy{Steps: []CanaryStep{remove}}, false},
		{&CanaryStrategy{Steps: []CanaryStep{remove, add}}, true},
	} {
		if got := tc.c.MirrorsTraffic(); got != tc.want {
			t.Errorf("MirrorsTraffic(%+v) = %v, want %v", tc.c, got, tc.want)
		}
	}
}
