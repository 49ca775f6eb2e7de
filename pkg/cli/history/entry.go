// Package history is the pure part of `kubectl ramp timeline`: it builds a Rollout's history from
// the Events the controller records (pkg/timeline) and from the Rollout's status, and writes it
// as a table or as JSON.
package history

import "time"

// Where an Entry comes from.
const (
	SourceEvent  = "event"
	SourceStatus = "status"
)

// Entry is one line of a rollout's timeline.
type Entry struct {
	Time        time.Time `json:"time"`
	Revision    string    `json:"revision,omitempty"` // pod-template hash
	Step        string    `json:"step,omitempty"`     // "3/5"
	FromPhase   string    `json:"fromPhase,omitempty"`
	ToPhase     string    `json:"toPhase,omitempty"`
	Weight      *int32    `json:"weight,omitempty"`
	Reason      string    `json:"reason"`
	Message     string    `json:"message"`
	Type        string    `json:"type"`            // Normal | Warning
	Count       int32     `json:"count,omitempty"` // >1 when the event repeated (series/deprecatedCount)
	AnalysisRun string    `json:"analysisRun,omitempty"`
	Source      string    `json:"source"` // "event" or "status"
}
