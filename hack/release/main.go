// Command release writes ramp's release manifests into a folder:
//
//	install.yaml     everything: CRDs, namespace, RBAC, admission policy, the controller
//	crds.yaml        the CustomResourceDefinitions alone
//	controller.yaml  everything but the CRDs: delete it to uninstall and keep users' Rollouts
//
// with the controller's image pinned by the digest of the image `make image` built.
package main

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/ramp-dev/ramp/internal/release"
)

func main() {
	kustomization := flag.String("kustomization", "config/default", "kustomize base to render")
	image := flag.String("image", "ghcr.io/ramp-dev/ramp-controller", "image repository")
	digest := flag.String("digest", "", "image index digest (sha256:...); read from --layout when empty")
	layoutDir := flag.String("layout", "bin/image", "OCI layout written by make image")
	version := flag.String("version", "dev", "version the manifests are labelled with")
	out := flag.String("out", "bin/release", "folder to write the manifests into")
	flag.Parse()
	if err := run(*kustomization, *image, *digest, *layoutDir, *version, *out); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

func run(kustomization, image, digest, layoutDir, version, out string) error {
	if digest == "" {
		idx, err := release.LayoutIndex(layoutDir)
		if err != nil {
			return fmt.Errorf("%w (or pass --digest)", err)
		}
		d, err := idx.Digest()
		if err != nil {
			return err
		}
		digest = d.String()
	}
	objs, err := release.Render(kustomization)
	if err != nil {
		return err
	}
	ref := image + "@" + digest
	if err := release.Pin(objs, ref, version); err != nil {
		return err
	}
	crds, controller := release.Split(objs)
	files := []struct {
		name, header string
		objs         []*unstructured.Unstructured
	}{
		{"install.yaml", "ramp " + version + ": kubectl apply --server-side -f install.yaml\nimage " + ref, objs},
		{"crds.yaml", "ramp " + version + ": the CustomResourceDefinitions alone", crds},
		{"controller.yaml", "ramp " + version + " without its CRDs: kubectl delete -f controller.yaml uninstalls ramp and keeps every Rollout\nimage " + ref, controller},
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var sums strings.Builder
	for _, f := range files {
		data, err := release.YAML(f.header, f.objs)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, f.name), data, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(&sums, "%x  %s\n", sha256.Sum256(data), f.name)
	}
	if err := os.WriteFile(filepath.Join(out, "checksums.txt"), []byte(sums.String()), 0o644); err != nil {
		return err
	}
	fmt.Printf("ramp %s manifests in %s, image %s\n", version, out, ref)
	return nil
}
