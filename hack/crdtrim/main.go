// Command crdtrim removes the descriptions that the embedded Kubernetes types (the pod template)
// bring into a generated CRD, keeping ramp's own. Without it the Rollout CRD is too large for
// client-side `kubectl apply` (its last-applied annotation exceeds 256 KiB). The pod template's
// documentation stays one `kubectl explain deployment.spec.template` away.
//
// Usage: crdtrim FILE...   (rewrites each file in place)
package main

import (
	"fmt"
	"os"

	"sigs.k8s.io/yaml"
)

// trimmedPaths are property paths, from the schema root, below which descriptions are dropped.
var trimmedPaths = [][]string{{"spec", "template"}}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: crdtrim FILE...")
		os.Exit(2)
	}
	for _, path := range os.Args[1:] {
		if err := trimFile(path); err != nil {
			fmt.Fprintf(os.Stderr, "crdtrim %s: %v\n", path, err)
			os.Exit(1)
		}
	}
}

func trimFile(path string) error {
	in, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var crd map[string]any
	if err := yaml.Unmarshal(in, &crd); err != nil {
		return fmt.Errorf("parse: %w", err)
	}
	spec, _ := crd["spec"].(map[string]any)
	versions, _ := spec["versions"].([]any)
	for _, v := range versions {
		schema := dig(v, "schema", "openAPIV3Schema")
		for _, p := range trimmedPaths {
			node := schema
			for _, name := range p {
				node = dig(node, "properties", name)
			}
			if props, ok := dig(node, "properties").(map[string]any); ok {
				for _, child := range props {
					dropDescriptions(child)
				}
			}
		}
	}
	out, err := yaml.Marshal(crd)
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	return os.WriteFile(path, append([]byte("---\n"), out...), 0o644)
}

// dig follows map keys from node, returning nil where one is missing.
func dig(node any, keys ...string) any {
	for _, k := range keys {
		m, ok := node.(map[string]any)
		if !ok {
			return nil
		}
		node = m[k]
	}
	return node
}

// dropDescriptions removes every "description" key at and below node.
func dropDescriptions(node any) {
	switch n := node.(type) {
	case map[string]any:
		delete(n, "description")
		for _, v := range n {
			dropDescriptions(v)
		}
	case []any:
		for _, v := range n {
			dropDescriptions(v)
		}
	}
}
