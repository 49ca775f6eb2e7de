package notify

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Transition is one timeline entry of a Rollout, as notifications carry it.
type Transition struct {
	// ID is unique per transition and the same on every retry: receivers dedupe with it.
	ID        string    `json:"id"`
	Namespace string    `json:"namespace"`
	Rollout   string    `json:"rollout"`
	Reason    string    `json:"reason"`
	Message   string    `json:"message"`
	Warning   bool      `json:"warning"`
	Revision  string    `json:"revision"`
	Step      string    `json:"step,omitempty"`
	FromPhase string    `json:"fromPhase"`
	Phase     string    `json:"phase"`
	Weight    int32     `json:"weight"`
	Time      time.Time `json:"time"`

	// UID and Annotations are the Rollout's: for its Events and its configuration.
	UID         string            `json:"-"`
	Annotations map[string]string `json:"-"`
}

// Body is the request body of a transition in a format.
func Body(f Format, t Transition) ([]byte, error) {
	if f == FormatSlack {
		return json.Marshal(struct {
			Text string `json:"text"`
		}{slackText(t)})
	}
	return json.Marshal(struct {
		Kind string `json:"kind"`
		Transition
	}{"RolloutTransition", t})
}

// slackText is one line: what happened to which Rollout, and where the release is.
func slackText(t Transition) string {
	mark := ":large_blue_circle:"
	switch {
	case t.Warning:
		mark = ":red_circle:"
	case t.Phase == "Healthy":
		mark = ":large_green_circle:"
	case t.Phase == "Paused":
		mark = ":double_vertical_bar:"
	}
	var where []string
	if t.Step != "" {
		where = append(where, "step "+t.Step)
	}
	where = append(where, fmt.Sprintf("weight %d%%", t.Weight), "revision "+t.Revision, "phase "+t.Phase)
	// Slack's markup: & < > are escaped, the rest is text.
	esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace
	return fmt.Sprintf("%s *%s/%s* %s: %s (%s)", mark, esc(t.Namespace), esc(t.Rollout), esc(t.Reason), esc(t.Message), esc(strings.Join(where, ", ")))
}
