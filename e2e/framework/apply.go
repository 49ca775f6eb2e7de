package framework

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// fieldOwner is the field manager of everything the suite applies.
const fieldOwner = client.FieldOwner("ramp-e2e")

// Apply server-side applies every object of a multi-document YAML into namespace ns (objects
// of namespaced kinds without a namespace land there), and returns them as applied.
func (c *Cluster) Apply(t testing.TB, ns string, manifest []byte) []*unstructured.Unstructured {
	t.Helper()
	objs, err := c.ApplyAs(context.Background(), ns, fieldOwner, manifest)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// ApplyAs is Apply as field manager owner (another tool: a GitOps controller), returning the
// first error rather than failing the test, so it may run outside the test's goroutine.
func (c *Cluster) ApplyAs(ctx context.Context, ns string, owner client.FieldOwner, manifest []byte) ([]*unstructured.Unstructured, error) {
	objs, err := decodeYAML(manifest)
	if err != nil {
		return nil, fmt.Errorf("decode manifest: %w", err)
	}
	for _, obj := range objs {
		namespaced, err := c.Client.IsObjectNamespaced(obj)
		if err != nil {
			return nil, fmt.Errorf("apply %s %s: %w", obj.GetKind(), obj.GetName(), err)
		}
		if namespaced && obj.GetNamespace() == "" {
			obj.SetNamespace(ns)
		}
		if err := c.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), owner, client.ForceOwnership); err != nil {
			return nil, fmt.Errorf("apply %s %s: %w", obj.GetKind(), obj.GetName(), err)
		}
	}
	return objs, nil
}

// ApplyFile is Apply for a file, with its path relative to the repository's top folder.
func (c *Cluster) ApplyFile(t testing.TB, ns, path string) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(RepoRoot() + "/" + path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return c.Apply(t, ns, data)
}

func decodeYAML(manifest []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(manifest), 4096)
	var objs []*unstructured.Unstructured
	for {
		obj := &unstructured.Unstructured{}
		err := dec.Decode(&obj.Object)
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", len(objs)+1, err)
		}
		if len(obj.Object) == 0 {
			continue
		}
		objs = append(objs, obj)
	}
}
