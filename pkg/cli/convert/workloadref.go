package convert

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// An Argo Rollout may take its pod template from a Deployment (spec.workloadRef), and so may
// ramp's: the field is kept. When that Deployment is in the same input it is left as it is
// rather than converted into a second Rollout of the same pods, with a warning when its pods
// would keep running beside the Rollout's (scaleDown never). A workloadRef to another kind
// (ReplicaSet, PodTemplate) ramp does not release is dropped with a warning.

// workloadLink is a Rollout of the input whose workloadRef names a Deployment of the input.
type workloadLink struct {
	rolloutDocument    int
	rolloutName        string
	deploymentDocument int
	deploymentName     string
	scaleDown          string
}

type workloadLinks struct {
	byRollout    map[*yaml.Node]*workloadLink
	byDeployment map[*yaml.Node]*workloadLink
}

// linkWorkloadRefs pairs the Rollouts and Deployments of the input.
func linkWorkloadRefs(docs []*document) workloadLinks {
	type located struct {
		document int
		obj      *yaml.Node
	}
	deployments := map[string]located{} // by namespace/name
	var rollouts []located
	for _, d := range docs {
		for _, obj := range objects(d) {
			switch apiVersion, kind := scalarAt(obj, "apiVersion"), scalarAt(obj, "kind"); {
			case apiVersion == "apps/v1" && kind == "Deployment":
				deployments[namespacedName(obj, scalarAt(obj, "metadata", "name"))] = located{d.number, obj}
			case apiVersion == argoAPIVersion && kind == "Rollout":
				rollouts = append(rollouts, located{d.number, obj})
			}
		}
	}

	links := workloadLinks{byRollout: map[*yaml.Node]*workloadLink{}, byDeployment: map[*yaml.Node]*workloadLink{}}
	for _, r := range rollouts {
		ref := child(r.obj, "spec", "workloadRef")
		if scalarAt(ref, "kind") != "Deployment" {
			continue
		}
		dep, ok := deployments[namespacedName(r.obj, scalarAt(ref, "name"))]
		if !ok {
			continue
		}
		link := &workloadLink{
			rolloutDocument:    r.document,
			rolloutName:        scalarAt(r.obj, "metadata", "name"),
			deploymentDocument: dep.document,
			deploymentName:     scalarAt(dep.obj, "metadata", "name"),
			scaleDown:          scalarAt(ref, "scaleDown"),
		}
		links.byRollout[r.obj] = link
		if links.byDeployment[dep.obj] == nil {
			links.byDeployment[dep.obj] = link
		}
	}
	return links
}

// namespacedName is name in obj's namespace.
func namespacedName(obj *yaml.Node, name string) string {
	return scalarAt(obj, "metadata", "namespace") + "/" + name
}

// deploymentMessage is the warning on the Deployment a Rollout releases, "" when there is none.
func (l *workloadLink) deploymentMessage() string {
	if l.scaleDown == "onsuccess" || l.scaleDown == "progressively" {
		return ""
	}
	return fmt.Sprintf("left as it is: Rollout/%s in document %d releases its pod template (workloadRef); its own pods keep "+
		"running beside the Rollout's until you set workloadRef.scaleDown: onsuccess or progressively", l.rolloutName, l.rolloutDocument)
}

// dropOtherWorkloadKinds drops a workloadRef to a kind other than a Deployment (Argo also takes
// ReplicaSets and PodTemplates), which ramp does not release.
func dropOtherWorkloadKinds(w warner, obj *yaml.Node) {
	spec := child(obj, "spec")
	ref := child(spec, "workloadRef")
	if ref == nil || (scalarAt(ref, "apiVersion") == "apps/v1" && scalarAt(ref, "kind") == "Deployment") {
		return
	}
	w.warn(ref.Line, "spec.workloadRef", fmt.Sprintf("ramp's workloadRef names an apps/v1 Deployment, not %s %s: copy its "+
		"template into spec.template (and its selector into spec.selector); dropped", scalarAt(ref, "apiVersion"), scalarAt(ref, "kind")))
	deleteKey(spec, "workloadRef")
}
