// Package note is the one shape of a timeline line that the planners return and the timeline
// records: one log line and one Event with the same reason.
package note

// Note is one state transition: its reason, a message a person reads, and whether it is a
// warning.
type Note struct {
	Reason  string
	Message string
	Warning bool
}
