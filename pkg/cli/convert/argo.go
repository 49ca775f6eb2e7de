package convert

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// convertArgo converts an Argo Rollouts object of a kind ramp has: it drops the fields typed (the
// ramp type) lacks, each with a warning, repairs what dropping them left invalid, and moves the
// object to ramp's API group.
func (c *converter) convertArgo(w warner, obj *yaml.Node, typed any) error {
	expandAliases(obj)
	stripServerFields(obj, argoAnnotation)
	dropArgoOwners(w, obj)
	if w.kind == "Rollout" {
		convertGatewayAPIPlugin(w, obj)
		dropOtherWorkloadKinds(w, obj)
	}

	fields, err := unknownFields(obj, typed)
	if err != nil {
		return err
	}
	touched := map[*yaml.Node]int{} // mappings that lost a field: the line of the last one
	for _, f := range fields {
		w.warn(f.line(), f.path, unsupportedMessage(f.path))
		if f.parent != nil {
			f.drop()
			touched[f.parent] = f.key.Line
		}
	}

	if w.kind == "Rollout" {
		repairRollout(w, obj, touched)
	} else {
		repairMetrics(obj, touched)
	}
	child(obj, "apiVersion").Value = rampAPIVersion
	return nil
}

// dropArgoOwners drops owner references to Argo Rollouts objects (an AnalysisRun's Rollout):
// ramp replaces them, and once they are gone the garbage collector would delete the owned object.
func dropArgoOwners(w warner, obj *yaml.Node) {
	refs := child(obj, "metadata", "ownerReferences")
	if refs == nil || refs.Kind != yaml.SequenceNode {
		return
	}
	var kept []*yaml.Node
	for i, ref := range refs.Content {
		if !strings.HasPrefix(scalarAt(ref, "apiVersion"), "argoproj.io/") {
			kept = append(kept, ref)
			continue
		}
		w.warn(ref.Line, fmt.Sprintf("metadata.ownerReferences[%d]", i), fmt.Sprintf(
			"names Argo Rollouts' %s/%s, which ramp replaces; dropped", scalarAt(ref, "kind"), scalarAt(ref, "name")))
	}
	refs.Content = kept
	if len(kept) == 0 {
		deleteKey(child(obj, "metadata"), "ownerReferences")
	}
}
