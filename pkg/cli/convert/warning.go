package convert

import (
	"fmt"
	"sort"
)

// Warning is a field of the input that ramp does not support (dropped from the output) or changed.
type Warning struct {
	Document   int // 1-based index of the YAML document in the input
	Kind, Name string
	Field      string // JSON path like spec.strategy.canary.trafficRouting.alb
	Message    string // what happened and what to do
}

// String is the warning on one line:
// "document 2 Rollout/checkout: spec.strategy.canary.trafficRouting.alb: ramp routes ...".
func (w Warning) String() string {
	field := ""
	if w.Field != "" {
		field = w.Field + ": "
	}
	return subject(w.Document, w.Kind, w.Name) + ": " + field + w.Message
}

// subject names an object of the input: "document 2 Rollout/checkout".
func subject(document int, kind, name string) string {
	s := fmt.Sprintf("document %d", document)
	if kind != "" {
		s += " " + kind
		if name != "" {
			s += "/" + name
		}
	}
	return s
}

// warner collects the warnings about one object of the input.
type warner struct {
	document   int
	kind, name string
	found      *[]foundWarning
}

type foundWarning struct {
	line int // of the field in the input; 0 for a note about the whole object
	Warning
}

func newWarner(document int, kind, name string) warner {
	return warner{document: document, kind: kind, name: name, found: new([]foundWarning)}
}

func (w warner) subject() string { return subject(w.document, w.kind, w.name) }

func (w warner) warn(line int, field, message string) {
	*w.found = append(*w.found, foundWarning{line, Warning{Document: w.document, Kind: w.kind, Name: w.name, Field: field, Message: message}})
}

// warnings are the warnings found, in the order of the input's lines, the notes about the whole
// object last.
func (w warner) warnings() []Warning {
	found := *w.found
	sort.SliceStable(found, func(a, b int) bool {
		la, lb := found[a].line, found[b].line
		return la != 0 && (lb == 0 || la < lb)
	})
	ws := make([]Warning, len(found))
	for i, f := range found {
		ws[i] = f.Warning
	}
	return ws
}
