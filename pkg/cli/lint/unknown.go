package lint

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"

	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// unknownFieldMessage says that the schema has no such field and, when a field of the same
// object is spelt alike, which one was meant.
func unknownFieldMessage(s *structuralschema.Structural, resource, path string) string {
	parent, name := "", path
	if i := strings.LastIndex(path, "."); i >= 0 {
		parent, name = path[:i], path[i+1:]
	}
	known := objectMetaFields
	if parent != "metadata" {
		known = fieldsAt(s, parent)
	}
	if alike := closest(name, known); alike != "" {
		return fmt.Sprintf("unknown field %q: did you mean %q?", name, alike)
	}
	explain := resource
	if parent != "" {
		explain += "." + index.ReplaceAllString(parent, "")
	}
	return fmt.Sprintf("unknown field %q: %s has no such field (kubectl explain %s lists them)", name, explain, explain)
}

// index is a list index in a field path: [2].
var index = regexp.MustCompile(`\[\d+\]`)

// objectMetaFields are the fields of an object's metadata, which a CRD's schema leaves to
// the API server.
var objectMetaFields = func() []string {
	var fields []string
	t := reflect.TypeFor[metav1.ObjectMeta]()
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" {
			fields = append(fields, name)
		}
	}
	return fields
}()

// fieldsAt follows a field path such as spec.steps[2].pause down a schema and lists the
// fields there; none where the schema does not say.
func fieldsAt(s *structuralschema.Structural, path string) []string {
	if path != "" {
		s = schemaAt(s, path)
	}
	if s == nil {
		return nil
	}
	fields := make([]string, 0, len(s.Properties))
	for name := range s.Properties {
		fields = append(fields, name)
	}
	return fields
}

// schemaAt is the schema of the field at path, nil where the schema does not say.
func schemaAt(s *structuralschema.Structural, path string) *structuralschema.Structural {
	for _, part := range strings.Split(path, ".") {
		name, _, _ := strings.Cut(part, "[")
		if s == nil {
			return nil
		}
		prop, ok := s.Properties[name]
		if !ok {
			return nil
		}
		s = &prop
		for range strings.Count(part, "[") {
			s = s.Items
			if s == nil {
				return nil
			}
		}
	}
	return s
}

// closest is the field named most like name: the same but for case, or at most two edits
// away (and fewer than half of name); "" when none is.
func closest(name string, fields []string) string {
	best, bestDistance := "", 0
	for _, p := range fields {
		d := editDistance(strings.ToLower(name), strings.ToLower(p))
		if d > 2 || 2*d >= len(name) {
			continue
		}
		if best == "" || d < bestDistance || d == bestDistance && p < best {
			best, bestDistance = p, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between two strings, by bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
