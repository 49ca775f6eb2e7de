//go:build integration

package istio_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/ramp-dev/ramp/pkg/testenv"
)

var env *testenv.Env

// TestMain starts one API server, with Istio's real CRDs, for every test in the package; each
// test works in a namespace of its own.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Getenv("RAMP_ISTIO_CRDS") == "" {
		fmt.Fprintln(os.Stderr, "RAMP_ISTIO_CRDS is not set: run with make test-integration")
		return 1
	}
	var err error
	if env, err = testenv.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	return m.Run()
}

var (
	vsGVK = schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1", Kind: "VirtualService"}
	drGVK = schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1", Kind: "DestinationRule"}
)

// get reads an object as the API server has it.
func get(t *testing.T, gvk schema.GroupVersionKind, ns, name string) *unstructured.Unstructured {
	t.Helper()
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(gvk)
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

// mergePatch changes an object the way a user's `kubectl patch --type merge` would.
func mergePatch(t *testing.T, gvk schema.GroupVersionKind, ns, name, patch string) {
	t.Helper()
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(gvk)
	obj.SetNamespace(ns)
	obj.SetName(name)
	data, err := yaml.YAMLToJSON([]byte(patch))
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Patch(context.Background(), obj, client.RawPatch("application/merge-patch+json", data)); err != nil {
		t.Fatal(err)
	}
}

// specYAML is an object's spec as YAML, for comparing and for messages.
func specYAML(t *testing.T, obj *unstructured.Unstructured) string {
	t.Helper()
	b, err := yaml.Marshal(obj.Object["spec"])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wantSpec fails the test unless obj's spec is the YAML want.
func wantSpec(t *testing.T, obj *unstructured.Unstructured, want string) {
	t.Helper()
	var w any
	if err := yaml.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	b, err := yaml.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	if got := specYAML(t, obj); got != string(b) {
		t.Fatalf("%s %s spec:\n%s\nwant:\n%s", obj.GetKind(), obj.GetName(), got, b)
	}
}
