// Package render turns Rollouts and the objects they own into the text `kubectl ramp` prints.
// Renderers are pure: object state and a clock in, text out; nothing here talks to a cluster.
package render

import (
	"fmt"
	"io"
	"strings"
)

// Options are how output is written.
type Options struct {
	// Color adds terminal colour codes; false writes plain text (pipes, --no-color).
	Color bool
}

// Icons of the kinds in the tree.
const (
	iconRollout     = "⟳"
	iconRevision    = "#"
	iconReplicaSet  = "⧉"
	iconPod         = "□"
	iconAnalysisRun = "α"
)

// flush writes the whole rendering at once, so that a failed write never leaves half a table.
func flush(w io.Writer, b *strings.Builder, what string) error {
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write %s: %w", what, err)
	}
	return nil
}
