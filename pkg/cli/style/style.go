// Package style is how kubectl-ramp writes for people: status symbols, colour on a terminal and
// kubectl's short ages. Plain text (no colour codes) when Color is false.
package style

import (
	"time"

	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// Status symbols: the same for rollouts, revisions, pods, analysis runs and steps.
const (
	SymbolOK       = "✔"
	SymbolRunning  = "◌"
	SymbolPaused   = "॥"
	SymbolFailed   = "✖"
	SymbolWarning  = "⚠"
	SymbolPending  = "○"
	SymbolUnknown  = "•"
	SymbolCurrent  = "▶"
	SymbolTreeItem = "├──"
	SymbolTreeLast = "└──"
	SymbolTreePipe = "│  "
)

// Tone is what a status means to the reader, and so its colour.
type Tone int

// The tones.
const (
	Plain   Tone = iota
	Good         // green
	Busy         // blue
	Waiting      // yellow
	Bad          // red
	Faint        // grey
)

var codes = map[Tone]string{Good: "32", Busy: "34", Waiting: "33", Bad: "31", Faint: "90"}

// Painter colours text when Color is set.
type Painter struct {
	Color bool
}

// Paint wraps s in the tone's colour.
func (p Painter) Paint(t Tone, s string) string {
	code, ok := codes[t]
	if !p.Color || !ok || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// Bold makes s bold on a terminal.
func (p Painter) Bold(s string) string {
	if !p.Color || s == "" {
		return s
	}
	return "\x1b[1m" + s + "\x1b[0m"
}

// Phase is a Rollout phase with its symbol, coloured.
func (p Painter) Phase(phase v1alpha1.RolloutPhase) string {
	sym, tone := PhaseSymbol(phase)
	if phase == "" {
		phase = "Unknown"
	}
	return p.Paint(tone, sym+" "+string(phase))
}

// PhaseSymbol is the symbol and tone of a Rollout phase.
func PhaseSymbol(phase v1alpha1.RolloutPhase) (string, Tone) {
	switch phase {
	case v1alpha1.RolloutPhaseHealthy:
		return SymbolOK, Good
	case v1alpha1.RolloutPhaseProgressing:
		return SymbolRunning, Busy
	case v1alpha1.RolloutPhasePaused:
		return SymbolPaused, Waiting
	case v1alpha1.RolloutPhaseDegraded:
		return SymbolFailed, Bad
	}
	return SymbolUnknown, Faint
}

// AnalysisSymbol is the symbol and tone of an AnalysisRun or measurement phase.
func AnalysisSymbol(phase v1alpha1.AnalysisPhase) (string, Tone) {
	switch phase {
	case v1alpha1.AnalysisPhaseSuccessful:
		return SymbolOK, Good
	case v1alpha1.AnalysisPhaseRunning:
		return SymbolRunning, Busy
	case v1alpha1.AnalysisPhasePending:
		return SymbolPending, Faint
	case v1alpha1.AnalysisPhaseInconclusive:
		return SymbolWarning, Waiting
	case v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseError:
		return SymbolFailed, Bad
	}
	return SymbolUnknown, Faint
}

// Age is d the way kubectl prints ages (apimachinery's HumanDuration): 45s, 3m12s, 2h5m, 3d4h.
// Negative ages (clock skew) print as 0s.
func Age(d time.Duration) string {
	return duration.HumanDuration(max(d, 0))
}

// Since is the age of t at now, or "-" when t is zero.
func Since(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return Age(now.Sub(t))
}
