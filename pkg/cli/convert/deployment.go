package convert

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
)

// The canary a converted Deployment gets. A Deployment has no analysis to stop a bad release, so
// the default stops at a fifth of the pods until someone looks and promotes; half the pods for 30s
// then gives errors that only show under more load a moment to surface before the rest.
const (
	firstWeight  = 20
	secondWeight = 50
	secondPause  = "30s"
)

// convertDeployment turns an apps/v1 Deployment into a ramp Rollout of the same pods, released by
// the default canary. Every field of a Deployment has its like in a Rollout except the strategy.
func convertDeployment(w warner, obj *yaml.Node) error {
	expandAliases(obj)
	stripServerFields(obj, deploymentAnnotation)
	fields, err := unknownFields(obj, &appsv1.Deployment{})
	if err != nil {
		return err
	}
	for _, f := range fields {
		w.warn(f.line(), f.path, "not a field of an apps/v1 Deployment; dropped")
		f.drop()
	}

	spec := child(obj, "spec")
	if spec == nil {
		spec = mapping()
		setKey(obj, "spec", spec)
	}
	strategy := child(spec, "strategy")
	if t := child(strategy, "type"); t != nil && t.Value == string(appsv1.RecreateDeploymentStrategyType) {
		w.warn(t.Line, "spec.strategy.type", "ramp has no Recreate strategy: the Rollout uses the default canary, "+
			"which runs old and new pods side by side; make sure they can")
	}
	setKey(spec, "strategy", mapping("canary", defaultCanary(child(strategy, "rollingUpdate"))))
	key := spec.Content[keyIndex(spec, "strategy")]
	key.HeadComment = strings.TrimPrefix(key.HeadComment+"\n"+fmt.Sprintf(
		"# ramp's default canary: %d%% of the pods, a pause until promoted (kubectl ramp promote %s),\n"+
			"# %d%% for %s, then all of them. Add steps, or analysis, to suit the service.",
		firstWeight, w.name, secondWeight, secondPause), "\n")

	child(obj, "apiVersion").Value = rampAPIVersion
	child(obj, "kind").Value = "Rollout"
	w.warn(0, "", "once the Rollout is up, scale the Deployment to 0 or delete it: both would run pods for the same selector")
	return nil
}

// defaultCanary is the canary strategy with the Deployment's maxSurge and maxUnavailable, when
// it set them (both default to 25% in either).
func defaultCanary(rollingUpdate *yaml.Node) *yaml.Node {
	canary := mapping()
	for _, k := range []string{"maxSurge", "maxUnavailable"} {
		if v := child(rollingUpdate, k); v != nil {
			setKey(canary, k, v)
		}
	}
	timedPause := mapping("duration", scalar(secondPause))
	timedPause.Style = yaml.FlowStyle
	setKey(canary, "steps", sequence(
		mapping("setWeight", intScalar(firstWeight)),
		mapping("pause", mapping()),
		mapping("setWeight", intScalar(secondWeight)),
		mapping("pause", timedPause),
	))
	return canary
}
