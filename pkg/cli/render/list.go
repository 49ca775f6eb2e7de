package render

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/cli/style"
)

// WriteList writes one line per Rollout, sorted by namespace then name, with a NAMESPACE
// column when allNamespaces. With no rollouts it writes just the header: saying so is the
// caller's job.
func WriteList(w io.Writer, rollouts []v1alpha1.Rollout, now time.Time, allNamespaces bool, o Options) error {
	p := style.Painter{Color: o.Color}
	sorted := slices.Clone(rollouts)
	slices.SortFunc(sorted, func(a, b v1alpha1.Rollout) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	tb := style.Table{Gap: 3}
	tb.Add(withNamespace(allNamespaces, style.Text("NAMESPACE"),
		style.Text("NAME"), style.Text("STRATEGY"), style.Text("STATUS"), style.Text("STEP"), style.Text("WEIGHT"), style.Text("AVAILABLE"), style.Text("AGE"))...)
	for i := range sorted {
		ro := &sorted[i]
		step := "-"
		if ro.Spec.Strategy.Canary != nil {
			step = progressOf(ro).label()
		}
		tb.Add(withNamespace(allNamespaces, style.Text(ro.Namespace),
			style.Text(ro.Name), style.Text(strategyName(ro)), phaseCell(p, ro.Status.Phase), style.Text(step), style.Text(actualWeight(ro)),
			style.Text(fmt.Sprintf("%d/%d", ro.Status.AvailableReplicas, desiredReplicas(ro))),
			style.Text(style.Since(ro.CreationTimestamp.Time, now)))...)
	}
	var b strings.Builder
	tb.WriteTo(&b)
	return flush(w, &b, "rollout list")
}

func withNamespace(allNamespaces bool, namespace style.Cell, rest ...style.Cell) []style.Cell {
	if allNamespaces {
		return append([]style.Cell{namespace}, rest...)
	}
	return rest
}
