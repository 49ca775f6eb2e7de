package convert

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// An autoscaler of the input that scales an Argo Rollout, or a Deployment this conversion turns
// into a Rollout, would go on scaling the old object. It passes through unchanged, with a warning
// to point it at ramp's Rollout.

// convertedDeployments are the Deployments of the input that become Rollouts, by namespace/name.
func convertedDeployments(docs []*document, links workloadLinks) map[string]bool {
	converted := map[string]bool{}
	for _, d := range docs {
		for _, obj := range objects(d) {
			if scalarAt(obj, "apiVersion") == "apps/v1" && scalarAt(obj, "kind") == "Deployment" && links.byDeployment[obj] == nil {
				converted[namespacedName(obj, scalarAt(obj, "metadata", "name"))] = true
			}
		}
	}
	return converted
}

// checkScaleTarget warns when the HorizontalPodAutoscaler obj scales what ramp replaces.
func (c *converter) checkScaleTarget(w warner, obj *yaml.Node) {
	ref := child(obj, "spec", "scaleTargetRef")
	apiVersion, kind, name := scalarAt(ref, "apiVersion"), scalarAt(ref, "kind"), scalarAt(ref, "name")
	var message string
	switch {
	case strings.HasPrefix(apiVersion, "argoproj.io/") && kind == "Rollout":
		message = fmt.Sprintf("scales Argo Rollouts' Rollout/%s: once ramp's is up, set apiVersion %s here; "+
			"left unchanged", name, rampAPIVersion)
	case apiVersion == "apps/v1" && kind == "Deployment" && c.convertedDeployments[namespacedName(obj, name)]:
		message = fmt.Sprintf("scales Deployment/%s, which became a Rollout: once it is up, set apiVersion %s "+
			"and kind Rollout here; left unchanged", name, rampAPIVersion)
	default:
		return
	}
	w.warn(ref.Line, "spec.scaleTargetRef", message)
}
