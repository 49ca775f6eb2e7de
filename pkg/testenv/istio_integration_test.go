//go:build integration

package testenv_test

import (
	"context"
	"os"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/ramp-dev/ramp/pkg/testenv"
)

// The envtest API server serves Istio's real VirtualService schema, so router tests run
// against the objects users have.
func TestIstioVirtualServicesAreServed(t *testing.T) {
	if os.Getenv("RAMP_ISTIO_CRDS") == "" {
		t.Fatal("RAMP_ISTIO_CRDS is not set: run with make test-integration")
	}
	env, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = env.Stop() }()

	vs := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: default}
spec:
  hosts: [web]
  http:
  - name: primary
    route:
    - destination: {host: web-stable}
      weight: 90
    - destination: {host: web-canary}
      weight: 10
`), &vs.Object); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Create(context.Background(), vs); err != nil {
		t.Fatalf("create VirtualService: %v", err)
	}
	got := &unstructured.Unstructured{}
	got.SetGroupVersionKind(vs.GroupVersionKind())
	if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(vs), got); err != nil {
		t.Fatal(err)
	}
	routes, _, _ := unstructured.NestedSlice(got.Object, "spec", "http")
	if len(routes) != 1 {
		t.Fatalf("http routes %v, want the one written", routes)
	}
}
