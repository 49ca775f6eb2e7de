package notify

import (
	"encoding/json"
	"testing"
	"time"
)

var paused = Transition{ID: "id-1", Namespace: "shop", Rollout: "checkout", Reason: "RolloutPaused", Message: "paused at step 2/4 <until promoted>",
	Revision: "abc123", Step: "2/4", FromPhase: "Progressing", Phase: "Paused", Weight: 25, Time: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC),
	UID: "uid", Annotations: map[string]string{"x": "y"}}

func TestJSONBody(t *testing.T) {
	body, err := Body(FormatJSON, paused)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"kind": "RolloutTransition", "id": "id-1", "namespace": "shop", "rollout": "checkout", "reason": "RolloutPaused",
		"message": "paused at step 2/4 <until promoted>", "warning": false, "revision": "abc123", "step": "2/4", "fromPhase": "Progressing",
		"phase": "Paused", "weight": float64(25), "time": "2026-12-03T10:00:00Z"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("fields %v: the Rollout's annotations and UID must not be sent", got)
	}
}

func TestSlackBody(t *testing.T) {
	body, err := Body(FormatSlack, paused)
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Text string }
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	want := ":double_vertical_bar: *shop/checkout* RolloutPaused: paused at step 2/4 &lt;until promoted&gt; (step 2/4, weight 25%, revision abc123, phase Paused)"
	if got.Text != want {
		t.Errorf("text\n %s\nwant\n %s", got.Text, want)
	}
}
