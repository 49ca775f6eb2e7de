package plan

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// Validate checks what the CRD schema cannot: it returns a message naming the field and the
// fix, or "" when the spec can be honoured.
func Validate(ro *v1alpha1.Rollout) string {
	spec := ro.Spec
	if spec.Selector == nil || (len(spec.Selector.MatchLabels) == 0 && len(spec.Selector.MatchExpressions) == 0) {
		return "spec.selector is empty: it must select the pods of spec.template by their labels"
	}
	sel, err := metav1.LabelSelectorAsSelector(spec.Selector)
	if err != nil {
		return fmt.Sprintf("spec.selector is invalid: %v", err)
	}
	if !sel.Matches(labels.Set(spec.Template.Labels)) {
		return fmt.Sprintf("spec.selector %s does not match spec.template.metadata.labels %v: make the template's labels match the selector", sel, spec.Template.Labels)
	}
	if _, ok := spec.Selector.MatchLabels[v1alpha1.PodTemplateHashLabel]; ok {
		return fmt.Sprintf("spec.selector must not use the %s label: ramp sets it on each revision's pods", v1alpha1.PodTemplateHashLabel)
	}
	if bg := spec.Strategy.BlueGreen; bg != nil {
		switch {
		case spec.Strategy.Canary != nil:
			return "spec.strategy sets both canary and blueGreen: keep one"
		case bg.ActiveService == "":
			return "spec.strategy.blueGreen.activeService is required: name the Service that carries production traffic"
		case bg.ActiveService == bg.PreviewService:
			return "spec.strategy.blueGreen.previewService must differ from activeService"
		}
		return ""
	}
	c := spec.Strategy.Canary
	if c == nil {
		return "spec.strategy.canary or spec.strategy.blueGreen is required"
	}
	if zeroIntOrPercent(c.MaxSurge) && zeroIntOrPercent(c.MaxUnavailable) {
		return "spec.strategy.canary.maxSurge and maxUnavailable are both 0: no pod could ever be replaced; set maxSurge (for example 1) or maxUnavailable above 0"
	}
	if _, err := ResolveBounds(ro.DesiredReplicas(), c.MaxSurge, c.MaxUnavailable); err != nil {
		return fmt.Sprintf("spec.strategy.canary.maxSurge/maxUnavailable: %v", err)
	}
	if c.DynamicStableScale && c.TrafficRouting == nil {
		return "spec.strategy.canary.dynamicStableScale needs spec.strategy.canary.trafficRouting: without a router the stable side always shrinks as the canary grows"
	}
	for field, md := range map[string]*v1alpha1.PodTemplateMetadata{"canaryMetadata": c.CanaryMetadata, "stableMetadata": c.StableMetadata} {
		if md == nil {
			continue
		}
		for key := range md.Labels {
			if _, selected := spec.Selector.MatchLabels[key]; selected || key == v1alpha1.PodTemplateHashLabel {
				return fmt.Sprintf("spec.strategy.canary.%s.labels.%s: the selector (or ramp) owns this label; pick another key", field, key)
			}
		}
	}
	for i, step := range c.Steps {
		field := fmt.Sprintf("spec.strategy.canary.steps[%d]", i)
		switch {
		case step.SetWeight == nil && step.Pause == nil && step.SetCanaryScale == nil && step.Analysis == nil && step.SetHeaderRoute == nil && step.SetMirrorRoute == nil:
			return field + " has no action: give it one of setWeight, pause, setCanaryScale, analysis, setHeaderRoute, setMirrorRoute"
		case step.Pause != nil:
			if _, err := step.Pause.Length(); err != nil {
				return fmt.Sprintf("%s.pause.duration: %v", field, err)
			}
		case c.TrafficRouting == nil && step.SetWeight != nil && *step.SetWeight > 100:
			return fmt.Sprintf("%s.setWeight %d is over 100: without trafficRouting.maxTrafficWeight weights are percentages", field, *step.SetWeight)
		case c.TrafficRouting == nil && step.SetCanaryScale != nil:
			return field + ".setCanaryScale needs spec.strategy.canary.trafficRouting: without a router the canary's size follows setWeight"
		case c.TrafficRouting == nil && (step.SetHeaderRoute != nil || step.SetMirrorRoute != nil):
			return field + ": header and mirror routes need spec.strategy.canary.trafficRouting"
		}
	}
	if c.TrafficRouting != nil {
		if msg := validateTrafficRouting(c); msg != "" {
			return msg
		}
	}
	if c.Analysis != nil && int(ptr.Deref(c.Analysis.StartingStep, 0)) > len(c.Steps) {
		return fmt.Sprintf("spec.strategy.canary.analysis.startingStep %d is past the last step (%d steps)", *c.Analysis.StartingStep, len(c.Steps))
	}
	return ""
}

// zeroIntOrPercent: set to 0 or "0%", as a Deployment's validation reads maxSurge and
// maxUnavailable (unset takes the 25% default).
func zeroIntOrPercent(v *intstr.IntOrString) bool {
	if v == nil {
		return false
	}
	if v.Type == intstr.Int {
		return v.IntVal == 0
	}
	return strings.Trim(v.StrVal, "0") == "%"
}
