package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Where the binary sits in the image and whom it runs as: distroless's "nonroot", so that
// runAsNonRoot holds without a passwd file.
const (
	binaryPath = "/ramp-controller"
	nonRootUID = "65532"
)

// Spec is what an image is built from.
type Spec struct {
	Repo      string    // the module root, where `go build` runs
	Package   string    // ./cmd/ramp-controller
	Version   string    // stamped into main.version and the labels
	Revision  string    // the git commit
	Source    string    // the repository's URL
	Created   time.Time // the commit's time: the same commit gives the same image
	Platforms []v1.Platform
}

// labels are the OCI annotation keys, as labels on each image's config and annotations on
// the index.
func (s Spec) labels() map[string]string {
	return map[string]string{
		"org.opencontainers.image.title":       "ramp-controller",
		"org.opencontainers.image.description": "ramp: progressive delivery for Kubernetes",
		"org.opencontainers.image.source":      s.Source,
		"org.opencontainers.image.revision":    s.Revision,
		"org.opencontainers.image.version":     s.Version,
		"org.opencontainers.image.licenses":    "Apache-2.0",
		"org.opencontainers.image.created":     s.Created.UTC().Format(time.RFC3339),
	}
}

// Build compiles the binary for each platform and returns the multi-platform image index.
// scratch: the binary's temporary folder.
func Build(s Spec, scratch string) (v1.ImageIndex, error) {
	var idx v1.ImageIndex = mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range s.Platforms {
		bin := filepath.Join(scratch, "ramp-controller-"+p.OS+"-"+p.Architecture)
		if err := compile(s, p, bin); err != nil {
			return nil, err
		}
		img, err := imageOf(s, p, bin)
		if err != nil {
			return nil, fmt.Errorf("image for %s/%s: %w", p.OS, p.Architecture, err)
		}
		platform := p
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &platform}})
	}
	return mutate.Annotations(idx, s.labels()).(v1.ImageIndex), nil
}

// compile builds a static, reproducible binary: no cgo, no paths of this machine, no build ID.
func compile(s Spec, p v1.Platform, out string) error {
	ldflags := "-s -w -buildid= -X main.version=" + s.Version
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags="+ldflags, "-o", out, s.Package)
	cmd.Dir = s.Repo
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Architecture, "GOFLAGS=")
	if p.Variant != "" && p.Architecture == "arm" {
		cmd.Env = append(cmd.Env, "GOARM="+strings.TrimPrefix(p.Variant, "v"))
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build for %s/%s: %w\n%s", p.OS, p.Architecture, err, out)
	}
	return nil
}

// imageOf is an image with one layer, the binary, on an empty base: no shell, no package
// manager, nothing but the binary.
func imageOf(s Spec, p v1.Platform, bin string) (v1.Image, error) {
	layerTar, err := binaryLayer(bin, s.Created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{
		Created: v1.Time{Time: s.Created}, CreatedBy: "go build -trimpath " + s.Package, Comment: "ramp-controller " + s.Version,
	}})
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture, cfg.Variant = p.OS, p.Architecture, p.Variant
	cfg.Created = v1.Time{Time: s.Created}
	cfg.Config.Entrypoint = []string{binaryPath}
	cfg.Config.User = nonRootUID + ":" + nonRootUID
	cfg.Config.WorkingDir = "/"
	cfg.Config.Labels = s.labels()
	cfg.Config.ExposedPorts = map[string]struct{}{"8443/tcp": {}, "8081/tcp": {}}
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, err
	}
	return mutate.Annotations(img, s.labels()).(v1.Image), nil
}

// binaryLayer is a tar of the binary at binaryPath, owned by root and not writable, with a
// fixed time: its bytes depend on the binary alone.
func binaryLayer(bin string, created time.Time) ([]byte, error) {
	data, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{
		Name: strings.TrimPrefix(binaryPath, "/"), Typeflag: tar.TypeReg, Mode: 0o555, Size: int64(len(data)),
		ModTime: created.UTC(), Format: tar.FormatPAX,
	}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteLayout writes the index as an OCI image layout in dir (replacing what was there),
// tagged with the version, and returns the index's digest.
func WriteLayout(dir string, idx v1.ImageIndex, version string) (v1.Hash, error) {
	if err := os.RemoveAll(dir); err != nil {
		return v1.Hash{}, err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return v1.Hash{}, err
	}
	if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": version})); err != nil {
		return v1.Hash{}, err
	}
	return idx.Digest()
}
