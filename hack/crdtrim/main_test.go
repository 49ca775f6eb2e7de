package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
spec:
  versions:
  - name: v1alpha1
    schema:
      openAPIV3Schema:
        description: Rollout is ours.
        properties:
          spec:
            description: spec is ours.
            properties:
              replicas:
                description: replicas is ours.
                type: integer
              template:
                description: template is ours.
                properties:
                  spec:
                    description: upstream pod spec.
                    properties:
                      containers:
                        description: upstream containers.
                        items:
                          description: upstream container.
                          type: object
                        type: array
                    type: object
                type: object
            type: object
        type: object
`

func TestTrimDropsOnlyDescriptionsBelowTheTemplate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crd.yaml")
	if err := os.WriteFile(path, []byte(crd), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := trimFile(path); err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, kept := range []string{"Rollout is ours.", "spec is ours.", "replicas is ours.", "template is ours.", "type: array"} {
		if !strings.Contains(string(out), kept) {
			t.Errorf("trimmed CRD lost %q:\n%s", kept, out)
		}
	}
	if strings.Contains(string(out), "upstream") {
		t.Errorf("trimmed CRD still has upstream descriptions:\n%s", out)
	}
}

func TestTrimIsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crd.yaml")
	if err := os.WriteFile(path, []byte(crd), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := trimFile(path); err != nil {
		t.Fatal(err)
	}
	once, _ := os.ReadFile(path)
	if err := trimFile(path); err != nil {
		t.Fatal(err)
	}
	twice, _ := os.ReadFile(path)
	if string(once) != string(twice) {
		t.Errorf("second trim changed the file:\n%s\nthen:\n%s", once, twice)
	}
}
