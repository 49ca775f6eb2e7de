// Package release renders ramp's install manifests from the kustomize base, with the
// controller's image pinned by digest: what `make release-manifests` publishes and what the
// Helm chart is checked against.
package release

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// The controller's Deployment and container, as config/manager names them.
const (
	DeploymentName = "ramp-controller"
	ContainerName  = "manager"
)

// Render builds a kustomization directory, such as config/default, into its objects in
// kustomize's order (namespaces and CRDs first).
func Render(dir string) ([]*unstructured.Unstructured, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	resources, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	var out []*unstructured.Unstructured
	for _, r := range resources.Resources() {
		data, err := r.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("kustomize build %s: %s: %w", dir, r.CurId(), err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(data); err != nil {
			return nil, fmt.Errorf("kustomize build %s: %s: %w", dir, r.CurId(), err)
		}
		out = append(out, u)
	}
	return out, nil
}

// Pin sets the controller container's image (repo@sha256:...) and labels every object with
// the version. The image must name a digest: a tag can be moved, a digest cannot.
func Pin(objs []*unstructured.Unstructured, image, version string) error {
	if !strings.Contains(image, "@sha256:") {
		return fmt.Errorf("image %q: want repository@sha256:digest", image)
	}
	found := false
	for _, o := range objs {
		labels := o.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		labels["app.kubernetes.io/version"] = version
		o.SetLabels(labels)
		if o.GetKind() != "Deployment" || o.GetName() != DeploymentName {
			continue
		}
		containers, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
		for i, c := range containers {
			if cm, ok := c.(map[string]any); ok && cm["name"] == ContainerName {
				cm["image"] = image
				containers[i] = cm
				found = true
			}
		}
		if err := unstructured.SetNestedSlice(o.Object, containers, "spec", "template", "spec", "containers"); err != nil {
			return err
		}
	}
	if !found {
		return errors.New("no Deployment " + DeploymentName + " with a container " + ContainerName + " to pin")
	}
	return nil
}

// Split separates the CustomResourceDefinitions from the rest (the controller).
func Split(objs []*unstructured.Unstructured) (crds, controller []*unstructured.Unstructured) {
	for _, o := range objs {
		if o.GetKind() == "CustomResourceDefinition" {
			crds = append(crds, o)
		} else {
			controller = append(controller, o)
		}
	}
	return crds, controller
}

// YAML writes the objects as one multi-document YAML stream under a header comment.
func YAML(header string, objs []*unstructured.Unstructured) ([]byte, error) {
	var buf bytes.Buffer
	for _, line := range strings.Split(strings.TrimSpace(header), "\n") {
		buf.WriteString("# " + line + "\n")
	}
	for _, o := range objs {
		data, err := yaml.Marshal(o.Object)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", o.GetKind(), o.GetName(), err)
		}
		buf.WriteString("---\n")
		buf.Write(data)
	}
	return buf.Bytes(), nil
}
