package convert

import (
	"errors"
	"fmt"
	"sort"

	"go.yaml.in/yaml/v3"
	sigsjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"
)

// unknownField is a field of the input that the type it converts to does not have.
type unknownField struct {
	path   string     // as sigs.k8s.io/json names it: spec.strategy.canary.steps[2].experiment
	parent *yaml.Node // the mapping that holds it; nil when the YAML has no such key
	key    *yaml.Node
}

// unknownFields decodes obj strictly into typed, as the API server would, and finds the fields
// typed lacks, in the order they appear in the input.
func unknownFields(obj *yaml.Node, typed any) ([]unknownField, error) {
	data, err := objectJSON(obj)
	if err != nil {
		return nil, err
	}
	strict, err := sigsjson.UnmarshalStrict(data, typed, sigsjson.DisallowUnknownFields)
	if err != nil {
		return nil, err
	}
	fields := make([]unknownField, 0, len(strict))
	for _, e := range strict {
		var fe sigsjson.FieldError
		if !errors.As(e, &fe) {
			return nil, e
		}
		f := unknownField{path: fe.FieldPath()}
		// A key YAML 1.1 reads differently from YAML 1.2 (on:, yes:) may be missing: it is
		// still reported, only not dropped.
		if parent, i, ok := fieldAt(obj, f.path); ok {
			f.parent, f.key = parent, parent.Content[i]
		}
		fields = append(fields, f)
	}
	sort.SliceStable(fields, func(a, b int) bool { return fields[a].before(fields[b]) })
	return fields, nil
}

func (f unknownField) before(g unknownField) bool {
	switch {
	case f.key == nil || g.key == nil:
		return g.key == nil && f.key != nil
	case f.key.Line != g.key.Line:
		return f.key.Line < g.key.Line
	}
	return f.key.Column < g.key.Column
}

// line is the field's line in the input, 0 when unknown.
func (f unknownField) line() int {
	if f.key == nil {
		return 0
	}
	return f.key.Line
}

// drop removes the field from its mapping.
func (f unknownField) drop() {
	if f.parent == nil {
		return
	}
	for i := 0; i+1 < len(f.parent.Content); i += 2 {
		if f.parent.Content[i] == f.key {
			f.parent.Content = append(f.parent.Content[:i], f.parent.Content[i+2:]...)
			return
		}
	}
}

// objectJSON is obj as JSON, read with kubectl's YAML rules.
func objectJSON(obj *yaml.Node) ([]byte, error) {
	y, err := yaml.Marshal(obj)
	if err != nil {
		return nil, err
	}
	j, err := sigsyaml.YAMLToJSON(y)
	if err != nil {
		return nil, fmt.Errorf("reading YAML: %w", err)
	}
	return j, nil
}
