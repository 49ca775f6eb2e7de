// Package helmchart renders a Helm chart the way `helm template` does, for the tests that
// keep charts/ramp in step with the kustomize base and check it against a real API server.
package helmchart

import (
	"bytes"
	"errors"
	"io"
	"sort"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Render is `helm template <name> <dir> -n <namespace> --include-crds` with the values given,
// through Helm's own loader and engine: the CRDs first, then the templates by file name.
func Render(dir, name, namespace string, values map[string]any) ([]*unstructured.Unstructured, error) {
	ch, err := loader.Load(dir)
	if err != nil {
		return nil, err
	}
	vals, err := util.ToRenderValues(ch, values, common.ReleaseOptions{Name: name, Namespace: namespace, IsInstall: true, Revision: 1}, common.DefaultCapabilities)
	if err != nil {
		return nil, err
	}
	files, err := engine.Render(ch, vals)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(files))
	for f := range files {
		names = append(names, f)
	}
	sort.Strings(names)
	var out []*unstructured.Unstructured
	for _, crd := range ch.CRDObjects() {
		objs, err := decodeAll(crd.File.Data)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	for _, f := range names {
		if !strings.HasSuffix(f, ".yaml") {
			continue
		}
		objs, err := decodeAll([]byte(files[f]))
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

func decodeAll(data []byte) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var m map[string]any
		if err := d.Decode(&m); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, err
		}
		if len(m) == 0 {
			continue
		}
		j, err := yaml.Marshal(m)
		if err != nil {
			return nil, err
		}
		if j, err = yaml.YAMLToJSON(j); err != nil {
			return nil, err
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(j); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
}
