package convert

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Dropping a field can leave its parent invalid for ramp: a step with no action, trafficRouting
// with no router, a metric with no provider. These drop the parent too, so that the output
// applies; touched are the mappings that lost a field, with the line of the last one.

// repairRollout drops the canary steps and the trafficRouting that dropping fields emptied.
func repairRollout(w warner, obj *yaml.Node, touched map[*yaml.Node]int) {
	canary := child(obj, "spec", "strategy", "canary")
	if canary == nil {
		return
	}
	routed := true
	tr := child(canary, "trafficRouting")
	if line, lost := touched[tr]; lost && !hasKey(tr, "nginx") && !hasKey(tr, "istio") && !hasKey(tr, "gatewayAPI") {
		deleteKey(canary, "trafficRouting")
		routed = false
		// At the line of the router that was dropped, so that it follows that warning.
		w.warn(line, "spec.strategy.canary.trafficRouting", "no nginx, istio or gatewayAPI router is left, so it was dropped: "+
			"setWeight steps split by pod counts until you add trafficRouting.nginx, istio or gatewayAPI")
	}
	steps := child(canary, "steps")
	if steps == nil || steps.Kind != yaml.SequenceNode {
		return
	}
	var kept []*yaml.Node
	for i, step := range steps.Content {
		if _, lost := touched[step]; lost && len(step.Content) == 0 {
			continue // its only action was dropped, with a warning that says so
		}
		if route := routeAction(step); route != "" && !routed {
			w.warn(step.Line, fmt.Sprintf("spec.strategy.canary.steps[%d].%s", i, route),
				"needs trafficRouting, which was dropped; the step was dropped")
			continue
		}
		kept = append(kept, step)
	}
	steps.Content = kept
}

// routeAction is the step's action when it needs a traffic router, "" otherwise.
func routeAction(step *yaml.Node) string {
	for _, k := range []string{"setHeaderRoute", "setMirrorRoute"} {
		if hasKey(step, k) {
			return k
		}
	}
	return ""
}

// repairMetrics drops the metrics of an AnalysisTemplate, ClusterAnalysisTemplate or AnalysisRun
// whose provider was dropped.
func repairMetrics(obj *yaml.Node, touched map[*yaml.Node]int) {
	metrics := child(obj, "spec", "metrics")
	if metrics == nil || metrics.Kind != yaml.SequenceNode {
		return
	}
	var kept []*yaml.Node
	for _, m := range metrics.Content {
		p := child(m, "provider")
		if _, lost := touched[p]; lost && !hasKey(p, "prometheus") && !hasKey(p, "web") && !hasKey(p, "job") {
			continue // the provider's warning says the metric was dropped
		}
		kept = append(kept, m)
	}
	metrics.Content = kept
}
