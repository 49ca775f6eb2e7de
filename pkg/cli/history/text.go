package history

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/cli/style"
)

// Options are how WriteText writes.
type Options struct {
	// Color paints, for a terminal, the reason of a warning red and a change of phase.
	Color bool
	// Now is the time the table is read: when every entry is of Now's day (in Now's location,
	// in which times are shown) the time of day says enough; otherwise each time has its date.
	Now time.Time
}

// NoTimeline is what WriteText writes when there is nothing to show.
const NoTimeline = "No timeline yet: the controller records an Event for each transition of the rollout, and Events expire after an hour."

var header = []string{"TIME", "REVISION", "STEP", "PHASE", "WEIGHT", "REASON", "MESSAGE"}

// The columns WriteText colours.
const (
	phaseColumn  = 3
	reasonColumn = 5
)

// columnGap separates the columns, as in kubectl get.
const columnGap = 3

// WriteText writes entries as a table, oldest first, one line each.
func WriteText(w io.Writer, entries []Entry, o Options) error {
	if len(entries) == 0 {
		_, err := fmt.Fprintln(w, NoTimeline)
		return err
	}
	at := timeFormat(entries, o.Now)
	p := style.Painter{Color: o.Color}
	tb := style.Table{Gap: columnGap}
	var head []style.Cell
	for _, h := range header {
		head = append(head, style.Text(h))
	}
	tb.Add(head...)
	for _, e := range entries {
		row := []string{at(e.Time), orDash(e.Revision), orDash(e.Step), phase(e), weight(e.Weight), orDash(e.Reason), message(e)}
		cells := make([]style.Cell, len(row))
		for i, text := range row {
			cells[i] = paint(p, i, e, text)
		}
		tb.Add(cells...)
	}
	var b strings.Builder
	tb.WriteTo(&b)
	_, err := io.WriteString(w, b.String())
	return err
}

// paint colours the reason of a warning red, and a change of phase by what the new phase means.
func paint(p style.Painter, column int, e Entry, text string) style.Cell {
	switch {
	case column == reasonColumn && e.Type == corev1.EventTypeWarning:
		return p.Cell(style.Bad, text)
	case column == phaseColumn && e.FromPhase != e.ToPhase && e.ToPhase != "":
		_, tone := style.PhaseSymbol(v1alpha1.RolloutPhase(e.ToPhase))
		return p.Cell(tone, text)
	}
	return style.Text(text)
}

// timeFormat formats times in now's location: the time of day when every entry is of now's
// day, else date and time, the same for every line so that the column stays aligned.
func timeFormat(entries []Entry, now time.Time) func(time.Time) string {
	layout := time.TimeOnly
	for _, e := range entries {
		if !e.Time.IsZero() && !sameDay(e.Time.In(now.Location()), now) {
			layout = time.DateTime
			break
		}
	}
	return func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.In(now.Location()).Format(layout)
	}
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// phase is "Paused → Progressing" when the transition changed the phase, else the phase.
func phase(e Entry) string {
	switch {
	case e.FromPhase == "" || e.FromPhase == e.ToPhase:
		return orDash(e.ToPhase)
	case e.ToPhase == "":
		return e.FromPhase
	}
	return e.FromPhase + " → " + e.ToPhase
}

func weight(w *int32) string {
	if w == nil {
		return "-"
	}
	return strconv.Itoa(int(*w))
}

// message is the entry's message on one line, with how often it happened when more than once.
func message(e Entry) string {
	m := strings.Join(strings.Fields(e.Message), " ")
	if e.Count > 1 {
		m += fmt.Sprintf(" (×%d)", e.Count)
	}
	return orDash(m)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
