package history

import (
	"cmp"
	"slices"
	"time"

	eventsv1 "k8s.io/api/events/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// Build returns the timeline of ro, oldest first, from events (events.k8s.io/v1; pass all events
// of the namespace — Build keeps those whose regarding is this Rollout: kind Rollout, same name,
// and same UID when the event has one, so events of a deleted-and-recreated rollout of the same
// name are dropped) and from ro's status.
func Build(ro *v1alpha1.Rollout, events []eventsv1.Event) []Entry {
	if ro == nil {
		return nil
	}
	var lines []line
	for i := range events {
		if ev := &events[i]; regards(ev, ro) {
			lines = append(lines, line{Entry: fromEvent(ev), name: ev.Name})
		}
	}
	haveEvents := len(lines) > 0
	for _, e := range conditionEntries(ro, oldest(lines), haveEvents) {
		lines = append(lines, line{Entry: e})
	}
	// client-go names an Event "<regarding>.<hex unix nanos>", so among Events of one rollout
	// the name orders those whose times are equal (eventTime keeps only microseconds).
	slices.SortStableFunc(lines, func(a, b line) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.name, b.name))
	})
	entries := make([]Entry, 0, len(lines)+1)
	for _, l := range lines {
		entries = append(entries, l.Entry)
	}
	if !haveEvents {
		if now, ok := currentEntry(ro); ok {
			entries = append(entries, now)
		}
	}
	return entries
}

// line is an Entry with the name of its Event, which breaks ties of time.
type line struct {
	Entry
	name string
}

// oldest is the earliest known time of lines, zero when none has one.
func oldest(lines []line) time.Time {
	var first time.Time
	for _, l := range lines {
		if !l.Time.IsZero() && (first.IsZero() || l.Time.Before(first)) {
			first = l.Time
		}
	}
	return first
}
