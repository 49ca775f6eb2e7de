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
	tb := table{gap: 3}
	tb.add(withNamespace(allNamespaces, text("NAMESPACE"),
		text("NAME"), text("STRATEGY"), text("STATUS"), text("STEP"), text("WEIGHT"), text("AVAILABLE"), text("AGE"))...)
	for i := range sorted {
		ro := &sorted[i]
		step := "-"
		if ro.Spec.Strategy.Canary != nil {
			step = progressOf(ro).label()
		}
		tb.add(withNamespace(allNamespaces, text(ro.Namespace),
			text(ro.Name), text(strategyName(ro)), phaseCell(p, ro.Status.Phase), text(step), text(actualWeight(ro)),
			text(fmt.Sprintf("%d/%d", ro.Status.AvailableReplicas, desiredReplicas(ro))),
			text(style.Since(ro.CreationTimestamp.Time, now)))...)
	}
	var b strings.Builder
	tb.writeTo(&b)
	return flush(w, &b, "rollout list")
}

func withNamespace(allNamespaces bool, namespace cell, rest ...cell) []cell {
	if allNamespaces {
		return append([]cell{namespace}, rest...)
	}
	return rest
}
