package main

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/ramp-dev/ramp/internal/release"
)

var testSpec = Spec{
	Package:   "./cmd/ramp-controller",
	Version:   "v1.2.3-test",
	Revision:  "0123456789abcdef0123456789abcdef01234567",
	Source:    "https://github.com/ramp-dev/ramp",
	Created:   time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
	Platforms: []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}},
}

// The image, read back from the layout it was written to: one index of linux/amd64 and
// linux/arm64; each image is the static binary alone (no shell), run as a numeric non-root
// user, with the OCI labels; the binary of this machine's architecture runs; and a second
// build from the same commit has the same digest.
func TestImageIsStaticNonRootLabelledAndReproducible(t *testing.T) {
	spec := testSpec
	spec.Repo = filepath.Join("..", "..")
	idx, err := Build(spec, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "image")
	digest, err := WriteLayout(dir, idx, spec.Version)
	if err != nil {
		t.Fatal(err)
	}
	got, err := release.LayoutIndex(dir)
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := got.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if manifest.MediaType != "application/vnd.oci.image.index.v1+json" || manifest.Annotations["org.opencontainers.image.revision"] != spec.Revision {
		t.Errorf("index: media type %s, annotations %v", manifest.MediaType, manifest.Annotations)
	}
	platforms := map[string]bool{}
	for _, desc := range manifest.Manifests {
		if desc.Platform == nil {
			t.Fatalf("manifest %s has no platform", desc.Digest)
		}
		arch := desc.Platform.Architecture
		platforms[desc.Platform.OS+"/"+arch] = true
		img, err := got.Image(desc.Digest)
		if err != nil {
			t.Fatal(err)
		}
		checkConfig(t, img, spec, arch)
		bin := checkOnlyTheBinary(t, img, arch)
		if arch == runtime.GOARCH {
			runBinary(t, bin, spec.Version)
		}
	}
	if !platforms["linux/amd64"] || !platforms["linux/arm64"] || len(platforms) != 2 {
		t.Errorf("platforms %v, want linux/amd64 and linux/arm64", platforms)
	}

	again, err := Build(spec, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := again.Digest(); d != digest {
		t.Errorf("two builds of one commit differ: %s and %s", digest, d)
	}
}

func checkConfig(t *testing.T, img v1.Image, spec Spec, arch string) {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if len(c.Entrypoint) != 1 || c.Entrypoint[0] != binaryPath {
		t.Errorf("%s: entrypoint %v, want [%s]", arch, c.Entrypoint, binaryPath)
	}
	if c.User != "65532:65532" {
		t.Errorf("%s: user %q, want the numeric non-root 65532:65532 (runAsNonRoot needs a number)", arch, c.User)
	}
	if cf.OS != "linux" || cf.Architecture != arch || !cf.Created.Time.Equal(spec.Created) {
		t.Errorf("%s: config for %s/%s created %s", arch, cf.OS, cf.Architecture, cf.Created)
	}
	for key, want := range map[string]string{
		"org.opencontainers.image.source":   spec.Source,
		"org.opencontainers.image.revision": spec.Revision,
		"org.opencontainers.image.version":  spec.Version,
		"org.opencontainers.image.licenses": "Apache-2.0",
	} {
		if c.Labels[key] != want {
			t.Errorf("%s: label %s = %q, want %q", arch, key, c.Labels[key], want)
		}
	}
}

// checkOnlyTheBinary returns the binary after checking that it is the image's one file, a
// static executable for arch.
func checkOnlyTheBinary(t *testing.T, img v1.Image, arch string) []byte {
	t.Helper()
	tr := tar.NewReader(mutate.Extract(img))
	var bin []byte
	var names []string
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
		if "/"+hdr.Name == binaryPath {
			if hdr.Uid != 0 || hdr.Mode&0o222 != 0 {
				t.Errorf("%s: binary owned by %d with mode %o: want root's, not writable", arch, hdr.Uid, hdr.Mode)
			}
			if bin, err = io.ReadAll(tr); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(names) != 1 || bin == nil {
		t.Fatalf("%s: files %v, want the binary alone (no shell)", arch, names)
	}
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("%s: not an ELF binary: %v", arch, err)
	}
	want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[arch]
	if f.Machine != want {
		t.Errorf("%s: binary for %s", arch, f.Machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("%s: dynamically linked (program header %s): cgo was on", arch, p.Type)
		}
	}
	return bin
}

func runBinary(t *testing.T, bin []byte, version string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ramp-controller")
	if err := os.WriteFile(path, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(path, "--version").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ramp-controller "+version {
		t.Errorf("--version: %v: %q, want %q", err, out, "ramp-controller "+version)
	}
	out, err = exec.Command(path, "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "-leader-elect") {
		t.Errorf("--help: %v: %s", err, out)
	}
}

// The OCI archive holds the layout, its files in order, the same bytes each time.
func TestOCIArchiveOfTheLayout(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{"oci-layout": `{"imageLayoutVersion":"1.0.0"}`, "index.json": "{}", "blobs/sha256/ab": "x"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	archive := func() ([]byte, []string) {
		out := filepath.Join(t.TempDir(), "image.tar")
		if err := TarDir(dir, out, testSpec.Created); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		tr := tar.NewReader(bytes.NewReader(data))
		for {
			hdr, err := tr.Next()
			if err != nil {
				break
			}
			names = append(names, hdr.Name)
		}
		return data, names
	}
	first, names := archive()
	if want := "blobs/ blobs/sha256/ blobs/sha256/ab index.json oci-layout"; strings.Join(names, " ") != want {
		t.Errorf("entries %v, want %s", names, want)
	}
	if second, _ := archive(); !bytes.Equal(first, second) {
		t.Error("two archives of one layout differ")
	}
}

func TestParsePlatforms(t *testing.T) {
	got, err := parsePlatforms("linux/amd64, linux/arm/v7")
	if err != nil || len(got) != 2 || got[1].Variant != "v7" || got[0].Architecture != "amd64" {
		t.Errorf("parsePlatforms: %+v, %v", got, err)
	}
	for _, bad := range []string{"", "linux", "linux/", "/amd64", "a/b/c/d"} {
		if _, err := parsePlatforms(bad); err == nil {
			t.Errorf("parsePlatforms(%q): no error", bad)
		}
	}
}
