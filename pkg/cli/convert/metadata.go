package convert

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// serverMetadata are the fields of metadata the API server writes: they describe the object in
// one cluster and have no place in a manifest (kubectl get -o yaml shows them).
var serverMetadata = []string{
	"creationTimestamp", "deletionGracePeriodSeconds", "deletionTimestamp", "generation",
	"managedFields", "resourceVersion", "selfLink", "uid",
}

const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// stripServerFields removes status, the server's metadata and the annotations that
// controllerAnnotation picks (the old controller's bookkeeping) from a converted object.
func stripServerFields(obj *yaml.Node, controllerAnnotation func(string) bool) {
	deleteKey(obj, "status")
	md := child(obj, "metadata")
	for _, k := range serverMetadata {
		deleteKey(md, k)
	}
	if ann := child(md, "annotations"); ann != nil && ann.Kind == yaml.MappingNode {
		kept := ann.Content[:0]
		for i := 0; i+1 < len(ann.Content); i += 2 {
			if k := ann.Content[i].Value; k != lastAppliedAnnotation && !controllerAnnotation(k) {
				kept = append(kept, ann.Content[i], ann.Content[i+1])
			}
		}
		ann.Content = kept
		if len(kept) == 0 {
			deleteKey(md, "annotations")
		}
	}
	// kubectl get -o yaml writes creationTimestamp: null into pod templates.
	deleteKey(child(obj, "spec", "template", "metadata"), "creationTimestamp")
}

func argoAnnotation(k string) bool { return strings.HasPrefix(k, "rollout.argoproj.io/") }

func deploymentAnnotation(k string) bool { return strings.HasPrefix(k, "deployment.kubernetes.io/") }
