// Package crd holds ramp's CustomResourceDefinitions as controller-gen generates them into
// bases/, built into the binary so that tools can validate objects without a cluster.
package crd

import (
	"embed"
	"fmt"
	"io/fs"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

//go:embed bases/*.yaml
var bases embed.FS

// CRDs parses the embedded CRDs, in file name order.
func CRDs() ([]apiextensionsv1.CustomResourceDefinition, error) {
	files, err := fs.Glob(bases, "bases/*.yaml")
	if err != nil {
		return nil, err
	}
	crds := make([]apiextensionsv1.CustomResourceDefinition, 0, len(files))
	for _, name := range files {
		raw, err := bases.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(raw, &crd); err != nil {
			return nil, fmt.Errorf("crd %s: %w", name, err)
		}
		crds = append(crds, crd)
	}
	return crds, nil
}
