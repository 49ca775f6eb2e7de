package convert

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// An Argo Rollout may take its pod template from a Deployment (spec.workloadRef); ramp's needs it
// inline. When that Deployment is in the same input, the Rollout gets a copy of its template and
// selector, and the Deployment is left as it is rather than converted into a second Rollout of
// the same pods.

// workloadLink is a Rollout of the input whose workloadRef names a Deployment of the input.
type workloadLink struct {
	rolloutDocument    int
	rolloutName        string
	deploymentDocument int
	deploymentName     string
	template, selector *yaml.Node // copies, taken before anything is converted
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
		}
		if t := child(dep.obj, "spec", "template"); t != nil {
			link.template = deepCopy(t)
			deleteKey(child(link.template, "metadata"), "creationTimestamp")
		}
		if s := child(dep.obj, "spec", "selector"); s != nil {
			link.selector = deepCopy(s)
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

// inline puts the Deployment's selector and template into the Rollout's spec where its
// workloadRef is, unless the Rollout has its own.
func (l *workloadLink) inline(spec *yaml.Node) {
	if l.selector != nil && !hasKey(spec, "selector") {
		insertBefore(spec, "workloadRef", "selector", deepCopy(l.selector))
	}
	if l.template != nil && !hasKey(spec, "template") {
		insertBefore(spec, "workloadRef", "template", deepCopy(l.template))
	}
}

func (l *workloadLink) inlinedMessage() string {
	return fmt.Sprintf("ramp needs the pod template inline: copied from Deployment/%s in document %d; dropped",
		l.deploymentName, l.deploymentDocument)
}

// insertBefore inserts k: v into the mapping m before the key before, at the end without it.
func insertBefore(m *yaml.Node, before, k string, v *yaml.Node) {
	i := keyIndex(m, before)
	if i < 0 {
		m.Content = append(m.Content, scalar(k), v)
		return
	}
	m.Content = append(m.Content[:i], append([]*yaml.Node{scalar(k), v}, m.Content[i:]...)...)
}
