package lint

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a document.
type Problem struct {
	File     string
	Document int // 1-based YAML document index in the file
	Kind     string
	Name     string
	Field    string // e.g. spec.strategy.canary.steps[2].setWeight; empty for the object as a whole
	Message  string // what is wrong and how to fix it
	// Warning: allowed, and most likely not what was meant; it does not fail the lint.
	Warning bool
}

// String is "rollout.yaml:2 Rollout/web: spec.strategy.canary.steps[2].setWeight: Invalid
// value: ...". The field is left out when the message starts with it.
func (p Problem) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d %s", p.File, p.Document, p.Kind)
	if p.Name != "" {
		b.WriteString("/" + p.Name)
	}
	b.WriteString(": ")
	if p.Warning {
		b.WriteString("warning: ")
	}
	if p.Field != "" && !strings.HasPrefix(p.Message, p.Field) {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}
