package istio

import (
	"encoding/json"
	"reflect"
	"testing"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"sigs.k8s.io/yaml"
)

// vsFromYAML parses a VirtualService the way the client does (its spec through Istio's
// protobuf JSON) and returns it with its JSON, the document patches are applied to.
func vsFromYAML(t *testing.T, doc string) (*networkingv1.VirtualService, []byte) {
	t.Helper()
	raw, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	vs := &networkingv1.VirtualService{}
	if err := json.Unmarshal(raw, vs); err != nil {
		t.Fatalf("decode VirtualService: %v", err)
	}
	return vs, raw
}

func drFromYAML(t *testing.T, doc string) (*networkingv1.DestinationRule, []byte) {
	t.Helper()
	raw, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	dr := &networkingv1.DestinationRule{}
	if err := json.Unmarshal(raw, dr); err != nil {
		t.Fatalf("decode DestinationRule: %v", err)
	}
	return dr, raw
}

// applyOps applies ops to doc with the JSON patch library the API server uses.
func applyOps(doc []byte, ops []op) ([]byte, error) {
	data, err := json.Marshal(ops)
	if err != nil {
		return nil, err
	}
	p, err := jsonpatch.DecodePatch(data)
	if err != nil {
		return nil, err
	}
	return p.Apply(doc)
}

// mustApply applies ops to doc and fails the test when the patch does not apply.
func mustApply(t *testing.T, doc []byte, ops []op) []byte {
	t.Helper()
	out, err := applyOps(doc, ops)
	if err != nil {
		t.Fatalf("apply %s: %v", opsJSON(ops), err)
	}
	return out
}

// sameJSON fails the test unless got and the YAML want are the same document.
func sameJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	wantJSON, err := yaml.YAMLToJSON([]byte(want))
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(wantJSON, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		gy, _ := yaml.JSONToYAML(got)
		t.Fatalf("got\n%s\nwant\n%s", gy, want)
	}
}

func opsJSON(ops []op) string {
	b, _ := json.Marshal(ops)
	return string(b)
}
