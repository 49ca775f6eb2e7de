package render

import (
	"fmt"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/cli/style"
)

// phaseCell is a Rollout phase with its symbol: "॥ Paused".
func phaseCell(p style.Painter, phase v1alpha1.RolloutPhase) style.Cell {
	return style.Cell{Plain: style.Painter{}.Phase(phase), Shown: p.Phase(phase)}
}

func strategyName(ro *v1alpha1.Rollout) string {
	switch {
	case ro.Spec.Strategy.Canary != nil:
		return "Canary"
	case ro.Spec.Strategy.BlueGreen != nil:
		return "BlueGreen"
	}
	return "-"
}

// actualWeight is the canary's weight now in force, or "-" when none has been recorded.
func actualWeight(ro *v1alpha1.Rollout) string {
	if w := ro.Status.Canary.Weights; w != nil {
		return fmt.Sprint(w.Canary.Weight)
	}
	return "-"
}

// desiredReplicas is spec.replicas; the API server defaults it to 1.
func desiredReplicas(ro *v1alpha1.Rollout) int32 { return ro.DesiredReplicas() }

// orDefault is s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
