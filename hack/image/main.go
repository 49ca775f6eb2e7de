// Command image builds ramp-controller's OCI image without Docker or a base image, and pushes
// it where a registry is reachable:
//
//	go run ./hack/image build --out bin/image --version v0.1.0 --revision $(git rev-parse HEAD)
//	go run ./hack/image push --from bin/image --to ghcr.io/ramp-dev/ramp-controller:v0.1.0
//	go run ./hack/image digest --from bin/image
//
// build writes an OCI image layout directory (and the same as an OCI archive, <out>.tar, for
// `skopeo copy oci-archive:`, `podman load` or `kind load image-archive`).
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ramp-dev/ramp/internal/release"
)

func main() {
	if len(os.Args) < 2 {
		fail(errors.New("usage: image build|push|digest [flags]"))
	}
	var err error
	switch os.Args[1] {
	case "build":
		err = buildCmd(os.Args[2:])
	case "push":
		err = pushCmd(os.Args[2:])
	case "digest":
		err = digestCmd(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q: want build, push or digest", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "image:", err)
	os.Exit(1)
}

func buildCmd(args []string) error {
	fs := flag.NewFlagSet("build", flag.ExitOnError)
	out := fs.String("out", "bin/image", "OCI layout directory to write (and <out>.tar)")
	version := fs.String("version", "dev", "version stamped into the binary and labels")
	revision := fs.String("revision", "", "git commit of the source")
	source := fs.String("source", "https://github.com/ramp-dev/ramp", "repository URL for the source label")
	created := fs.Int64("created", 0, "image creation time, Unix seconds (the commit's time keeps builds reproducible)")
	platforms := fs.String("platforms", "linux/amd64,linux/arm64", "comma-separated os/arch[/variant] list")
	pkg := fs.String("package", "./cmd/ramp-controller", "Go package of the binary")
	_ = fs.Parse(args)

	plats, err := parsePlatforms(*platforms)
	if err != nil {
		return err
	}
	repo, err := os.Getwd()
	if err != nil {
		return err
	}
	scratch, err := os.MkdirTemp("", "ramp-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	spec := Spec{Repo: repo, Package: *pkg, Version: *version, Revision: *revision, Source: *source,
		Created: time.Unix(*created, 0).UTC(), Platforms: plats}
	idx, err := Build(spec, scratch)
	if err != nil {
		return err
	}
	digest, err := WriteLayout(*out, idx, *version)
	if err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	if err := TarDir(*out, filepath.Clean(*out)+".tar", spec.Created); err != nil {
		return err
	}
	fmt.Printf("ramp-controller %s (%s) in %s and %s.tar: %s\n", *version, *platforms, *out, filepath.Clean(*out), digest)
	return nil
}

func pushCmd(args []string) error {
	fs := flag.NewFlagSet("push", flag.ExitOnError)
	from := fs.String("from", "bin/image", "OCI layout directory written by build")
	to := fs.String("to", "", "image reference to push to, e.g. registry.example.com/ramp/ramp-controller:v0.1.0")
	insecure := fs.Bool("insecure", false, "allow a registry over plain HTTP")
	_ = fs.Parse(args)
	if *to == "" {
		return errors.New("push: --to is required")
	}
	pushed, err := Push(*from, *to, *insecure)
	if err != nil {
		return err
	}
	fmt.Println("pushed", pushed)
	return nil
}

// Push writes the layout's index, every platform's image with it, to the reference, with
// the credentials `docker login` leaves, and returns repository@digest.
func Push(from, to string, insecure bool) (string, error) {
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.ParseReference(to, opts...)
	if err != nil {
		return "", err
	}
	idx, err := release.LayoutIndex(from)
	if err != nil {
		return "", err
	}
	if err := remote.WriteIndex(ref, idx, remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return "", fmt.Errorf("push %s: %w", ref, err)
	}
	digest, err := idx.Digest()
	return ref.Context().String() + "@" + digest.String(), err
}

func digestCmd(args []string) error {
	fs := flag.NewFlagSet("digest", flag.ExitOnError)
	from := fs.String("from", "bin/image", "OCI layout directory written by build")
	_ = fs.Parse(args)
	idx, err := release.LayoutIndex(*from)
	if err != nil {
		return err
	}
	digest, err := idx.Digest()
	if err != nil {
		return err
	}
	fmt.Println(digest)
	return nil
}

func parsePlatforms(s string) ([]v1.Platform, error) {
	var out []v1.Platform
	for _, p := range strings.Split(s, ",") {
		parts := strings.Split(strings.TrimSpace(p), "/")
		if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
			return nil, fmt.Errorf("platform %q: want os/arch or os/arch/variant", p)
		}
		plat := v1.Platform{OS: parts[0], Architecture: parts[1]}
		if len(parts) == 3 {
			plat.Variant = parts[2]
		}
		out = append(out, plat)
	}
	return out, nil
}
