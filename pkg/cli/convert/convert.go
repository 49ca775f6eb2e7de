// Package convert turns Argo Rollouts manifests, and Deployments, into ramp's, for
// `kubectl ramp convert FILE`.
//
// ramp's API is field-compatible with Argo Rollouts' where it has the feature, so an Argo object
// converts by changing its apiVersion and dropping the fields ramp lacks, each with a Warning.
// The output is the input's YAML edited in place: keys keep their order and comments stay.
package convert

import (
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

const argoAPIVersion = "argoproj.io/v1alpha1"

var rampAPIVersion = v1alpha1.GroupVersion.String()

// argoKinds are the Argo Rollouts kinds ramp has, each with the type that says which fields
// ramp knows.
var argoKinds = map[string]func() any{
	"Rollout":                 func() any { return &v1alpha1.Rollout{} },
	"AnalysisTemplate":        func() any { return &v1alpha1.AnalysisTemplate{} },
	"ClusterAnalysisTemplate": func() any { return &v1alpha1.ClusterAnalysisTemplate{} },
	"AnalysisRun":             func() any { return &v1alpha1.AnalysisRun{} },
}

// Convert reads one or more YAML documents (separated by ---) and returns ramp YAML documents
// (separated by ---), in the same order. Documents of other kinds (Services, Ingresses,
// ConfigMaps...) pass through unchanged. An unparsable document is an error naming the
// document number.
func Convert(in []byte) (out []byte, warnings []Warning, err error) {
	docs, err := readDocuments(in)
	if err != nil {
		return nil, nil, err
	}
	links := linkWorkloadRefs(docs)
	c := &converter{links: links, convertedDeployments: convertedDeployments(docs, links)}
	for _, d := range docs {
		for _, obj := range objects(d) {
			if err := c.convertObject(d.number, obj); err != nil {
				return nil, nil, err
			}
		}
	}
	out, err = writeDocuments(docs)
	if err != nil {
		return nil, nil, err
	}
	return out, c.warnings, nil
}

// converter holds what converting one input needs across its documents.
type converter struct {
	warnings             []Warning
	links                workloadLinks
	convertedDeployments map[string]bool
}

// objects are the Kubernetes objects of a document: the document itself, or the items of a List
// (what kubectl get -o yaml writes for several objects).
func objects(d *document) []*yaml.Node {
	root := d.root()
	if scalarAt(root, "apiVersion") == "v1" && scalarAt(root, "kind") == "List" {
		if items := child(root, "items"); items != nil && items.Kind == yaml.SequenceNode {
			return items.Content
		}
	}
	return []*yaml.Node{root}
}

// convertObject converts obj in place when it is of a kind ramp converts.
func (c *converter) convertObject(doc int, obj *yaml.Node) error {
	if obj.Kind != yaml.MappingNode {
		return fmt.Errorf("document %d (line %d): not a Kubernetes object: a YAML mapping is expected", doc, obj.Line)
	}
	apiVersion, kind := scalarAt(obj, "apiVersion"), scalarAt(obj, "kind")
	w := newWarner(doc, kind, scalarAt(obj, "metadata", "name"))
	defer func() { c.warnings = append(c.warnings, w.warnings()...) }()
	switch {
	case apiVersion == argoAPIVersion && kind == "Experiment":
		w.warn(0, "", "ramp has no Experiments; passed through unchanged, so it still needs Argo Rollouts to apply")
	case apiVersion == argoAPIVersion && argoKinds[kind] != nil:
		return wrap(w, c.convertArgo(w, obj, argoKinds[kind]()))
	case apiVersion == "apps/v1" && kind == "Deployment":
		if link := c.links.byDeployment[obj]; link != nil {
			if msg := link.deploymentMessage(); msg != "" {
				w.warn(0, "", msg)
			}
			return nil
		}
		return wrap(w, convertDeployment(w, obj))
	case kind == "HorizontalPodAutoscaler":
		c.checkScaleTarget(w, obj)
	}
	return nil
}

// wrap names the document and object an error is about.
func wrap(w warner, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", w.subject(), err)
}
