package convert

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestFieldAtFindsKeysThatContainDots(t *testing.T) {
	var doc yaml.Node
	in := "spec:\n  match:\n  - headers:\n      x.canary.io: {exact: a, bogus: 1}\n      x: {bogus: 2}\n"
	if err := yaml.Unmarshal([]byte(in), &doc); err != nil {
		t.Fatal(err)
	}
	parent, i, ok := fieldAt(doc.Content[0], "spec.match[0].headers.x.canary.io.bogus")
	if !ok || parent.Content[i+1].Value != "1" {
		t.Errorf("found %v %d %v, want the bogus: 1 under x.canary.io", parent, i, ok)
	}
	for _, missing := range []string{"spec.match[1].headers", "spec.match.headers", "spec.nothing", "spec.match[0]"} {
		if _, _, ok := fieldAt(doc.Content[0], missing); ok {
			t.Errorf("%s found", missing)
		}
	}
}
