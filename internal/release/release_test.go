package release

import (
	"bytes"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

const testImage = "registry.example.com/ramp/ramp-controller@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// config/default renders; pinned, its one controller container runs the digest, every object
// carries the version, and the CRDs split off whole.
func TestReleaseManifestsPinTheImageByDigest(t *testing.T) {
	objs, err := Render("../../config/default")
	if err != nil {
		t.Fatal(err)
	}
	if err := Pin(objs, testImage, "v1.2.3"); err != nil {
		t.Fatal(err)
	}
	var images []string
	for _, o := range objs {
		if o.GetLabels()["app.kubernetes.io/version"] != "v1.2.3" {
			t.Errorf("%s %s is not labelled with the version", o.GetKind(), o.GetName())
		}
		if o.GetKind() == "Deployment" {
			containers, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
			for _, c := range containers {
				images = append(images, c.(map[string]any)["image"].(string))
			}
		}
	}
	if len(images) != 1 || images[0] != testImage {
		t.Errorf("Deployment images %v, want [%s]", images, testImage)
	}
	crds, controller := Split(objs)
	if len(crds) != 4 || len(crds)+len(controller) != len(objs) {
		t.Errorf("%d CRDs and %d others of %d objects", len(crds), len(controller), len(objs))
	}
	for _, o := range controller {
		if o.GetKind() == "CustomResourceDefinition" || o.GetKind() == "" {
			t.Errorf("controller.yaml holds %s %s", o.GetKind(), o.GetName())
		}
	}

	data, err := YAML("ramp v1.2.3\nsecond line", objs)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "# ramp v1.2.3\n# second line\n---\n") {
		t.Errorf("header: %q", data[:40])
	}
	decoder := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	n := 0
	for {
		var obj map[string]any
		if err := decoder.Decode(&obj); err != nil {
			break
		}
		if obj != nil {
			n++
		}
	}
	if n != len(objs) {
		t.Errorf("the YAML holds %d objects, want %d", n, len(objs))
	}
}

func TestPinRefusesATagOrAMissingDeployment(t *testing.T) {
	objs, err := Render("../../config/default")
	if err != nil {
		t.Fatal(err)
	}
	if err := Pin(objs, "ghcr.io/ramp-dev/ramp-controller:v1", "v1"); err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("a tag was accepted: %v", err)
	}
	crds, _ := Split(objs)
	if err := Pin(crds, testImage, "v1"); err == nil {
		t.Error("pinning manifests without the controller's Deployment succeeded")
	}
}
