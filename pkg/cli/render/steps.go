package render

import (
	"fmt"
	"strings"

	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/cli/style"
)

// canaryProgress is where a canary rollout is in its steps.
type canaryProgress struct {
	spec  *v1alpha1.CanaryStrategy
	steps []v1alpha1.CanaryStep
	// index is the step being run, len(steps) when all are done.
	index int
}

func progressOf(ro *v1alpha1.Rollout) canaryProgress {
	c := ro.Spec.Strategy.Canary
	if c == nil {
		return canaryProgress{}
	}
	n := len(c.Steps)
	i := min(max(int(ptr.Deref(ro.Status.CurrentStepIndex, 0)), 0), n) // status is user-writable
	if settled(ro) {
		i = n
	}
	return canaryProgress{spec: c, steps: c.Steps, index: i}
}

// settled: the newest revision is the stable one and healthy, so every step has run, whatever
// currentStepIndex says.
func settled(ro *v1alpha1.Rollout) bool {
	st := ro.Status
	return st.Phase == v1alpha1.RolloutPhaseHealthy && st.StableRS != "" && st.StableRS == st.CurrentPodHash
}

// label is "3/5", 1-based; "5/5" when done and "-" without steps.
func (c canaryProgress) label() string {
	if c.spec == nil {
		return "-"
	}
	return c.spec.StepLabel(int32(c.index))
}

// setWeight is the weight the steps ask for now: the last setWeight at or before the current
// step, the full weight once all are done, 0 after an abort (traffic went back to stable).
func setWeight(ro *v1alpha1.Rollout, c canaryProgress) int32 {
	if ro.IsAborted() {
		return 0
	}
	return c.spec.WeightAt(int32(c.index))
}

// writeSteps writes the "Steps:" list, one marked line per step.
func writeSteps(b *strings.Builder, ro *v1alpha1.Rollout, c canaryProgress, p style.Painter) {
	if len(c.steps) == 0 {
		return
	}
	b.WriteString("Steps:\n")
	numWidth := len(fmt.Sprint(len(c.steps)))
	_, currentTone := style.PhaseSymbol(ro.Status.Phase)
	for i, s := range c.steps {
		num := fmt.Sprintf("%*d.", numWidth, i+1)
		desc := s.Describe()
		var line style.Cell
		switch {
		case i < c.index:
			line = style.Concat(p.Cell(style.Good, style.SymbolOK), style.Text(" "+num+" "+desc))
		case i == c.index:
			line = style.Concat(p.Cell(currentTone, style.SymbolCurrent), style.Text(" "+num+" "), p.BoldCell(desc))
		default:
			line = style.Concat(p.Cell(style.Faint, style.SymbolPending), style.Text(" "), p.Cell(style.Faint, num+" "+desc))
		}
		b.WriteString("  " + line.Shown + "\n")
	}
}
