package main

import (
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Push sends the layout's index and its images to a registry (go-containerregistry's own, in
// memory), from which they come back with the same digest.
func TestPushToARegistry(t *testing.T) {
	srv := httptest.NewServer(registry.New())
	defer srv.Close()
	idx, err := random.Index(256, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "image")
	digest, err := WriteLayout(dir, idx, "v0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	to := strings.TrimPrefix(srv.URL, "http://") + "/ramp/ramp-controller:v0.0.1"
	pushed, err := Push(dir, to, true)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(pushed, "/ramp/ramp-controller@"+digest.String()) {
		t.Errorf("pushed %s, want the index digest %s", pushed, digest)
	}
	ref, err := name.ParseReference(to, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	back, err := remote.Index(ref)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := back.Digest(); d != digest {
		t.Errorf("the registry has %s, want %s", d, digest)
	}
	manifest, err := back.IndexManifest()
	if err != nil || len(manifest.Manifests) != 2 {
		t.Fatalf("pulled index: %v, %v", manifest, err)
	}
	for _, m := range manifest.Manifests {
		img, err := back.Image(m.Digest)
		if err == nil {
			_, err = img.RawManifest() // fetched from the registry
		}
		if err != nil {
			t.Errorf("image %s of the index not in the registry: %v", m.Digest, err)
		}
	}
}
