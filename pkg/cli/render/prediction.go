package render

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/plan"
)

// Prediction is kubectl ramp plan's text: what the release will do, step by step, then its
// outcome, duration, capacity and what the simulation assumed.
func Prediction(ro *v1alpha1.Rollout, p plan.Prediction, a plan.Assumptions, ticks bool) string {
	var b strings.Builder
	ref := ro.Name
	if ro.Namespace != "" {
		ref = ro.Namespace + "/" + ro.Name
	}
	fmt.Fprintf(&b, "Release of rollout %s: revision %s -> %s (%s)\n", ref, dash(p.From), dash(p.To), strategyOf(ro))
	for _, problem := range p.Problems {
		fmt.Fprintf(&b, "Problem: %s\n", problem)
	}
	if len(p.Steps) > 0 {
		b.WriteString("\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "STEP\tACTION\tWEIGHT\tCANARY\tSTABLE\tDONE AFTER\tNOTE")
		for _, s := range p.Steps {
			fmt.Fprintf(tw, "%s\t%s\t%d%%\t%d\t%d\t%s\t%s\n", s.Step, s.Action, s.Weight, s.CanaryPods, s.StablePods, s.After, s.Note)
		}
		_ = tw.Flush()
	}
	if ticks && len(p.Ticks) > 0 {
		b.WriteString("\nReconciles:\n")
		for _, t := range p.Ticks {
			b.WriteString(t + "\n")
		}
	}
	b.WriteString("\n")
	switch {
	case len(p.Ticks) == 0:
		b.WriteString("Outcome:   not released: fix the problems above\n")
	case p.Outcome != "":
		fmt.Fprintf(&b, "Outcome:   %s after at least %s", p.Outcome, p.MinDuration)
		if p.ManualGates > 0 {
			fmt.Fprintf(&b, ", plus %d promotion(s) by people (kubectl ramp promote %s)", p.ManualGates, ro.Name)
		}
		b.WriteString("\n")
		if p.Message != "" {
			fmt.Fprintf(&b, "           %s\n", p.Message)
		}
	}
	if p.PeakPods > 0 {
		fmt.Fprintf(&b, "Capacity:  at most %d pods at once, %d over spec.replicas\n", p.PeakPods, p.PeakSurge)
	}
	fmt.Fprintf(&b, "Assumed:   pods available %s after they are asked for; %s\n", a.ReadyAfter, analysisAssumed(a))
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ") // the table's empty last column
	}
	return strings.Join(lines, "\n")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func strategyOf(ro *v1alpha1.Rollout) string {
	if ro.Spec.Strategy.BlueGreen != nil {
		return "blue-green"
	}
	c := ro.Spec.Strategy.Canary
	if c == nil {
		return "no strategy"
	}
	if t := c.TrafficRouting.RouterType(); t != "" {
		return "canary routed by " + t
	}
	return "canary by pod counts"
}

func analysisAssumed(a plan.Assumptions) string {
	takes := a.AnalysisTakes
	if takes <= 0 {
		takes = a.ReadyAfter
	}
	s := fmt.Sprintf("analyses end after %s, Successful", takes.Round(time.Second))
	var given []string
	for kind, phase := range a.Analysis {
		given = append(given, fmt.Sprintf("%s %s", kindName(kind), phase))
	}
	sort.Strings(given)
	if len(given) > 0 {
		s += " except " + strings.Join(given, ", ")
	}
	return s
}

// kindName is a run kind as kubectl ramp names it: a step by its 1-based number.
func kindName(kind string) string {
	var n int
	if _, err := fmt.Sscanf(kind, "%d", &n); err == nil && fmt.Sprint(n) == kind {
		return fmt.Sprintf("step %d", n+1)
	}
	return kind
}
