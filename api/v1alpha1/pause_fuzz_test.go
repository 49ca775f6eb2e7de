package v1alpha1

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestPauseLengthRefusesWhatWouldNotEnd(t *testing.T) {
	for _, bad := range []string{"", " ", "-5", "-5s", "9999999999999", "99999999999999999999", "9223372036854775807", "8785h", "1e3", "5 minutes", "+"} {
		pd := intstr.FromString(bad)
		if d, err := (&RolloutPause{Duration: &pd}).Length(); err == nil {
			t.Errorf("pause %q: %s, want an error (never an indefinite or negative pause)", bad, d)
		} else if !strings.Contains(err.Error(), "use seconds (30)") {
			t.Errorf("pause %q: error %q does not say what is accepted", bad, err)
		}
	}
	neg := intstr.FromInt32(-1)
	if _, err := (&RolloutPause{Duration: &neg}).Length(); err == nil {
		t.Error("pause -1 (a number): want an error")
	}
	for text, want := range map[string]string{"30": "30s", "30s": "30s", "1h": "1h0m0s", "8784h": "8784h0m0s", "31622400": "8784h0m0s", "0": "0s"} {
		pd := intstr.FromString(text)
		d, err := (&RolloutPause{Duration: &pd}).Length()
		if err != nil || d.String() != want {
			t.Errorf("pause %q: %s, %v; want %s", text, d, err, want)
		}
	}
}

// FuzzPauseLength: whatever the text, no panic, and a pause that parses ends within MaxPause.
func FuzzPauseLength(f *testing.F) {
	for _, seed := range []string{"", "30", "30s", "1h30m", "-1", "99999999999999999999", "9223372036854775807s", "1.5h", "\x00", "0"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		pd := intstr.FromString(text)
		d, err := (&RolloutPause{Duration: &pd}).Length()
		if err == nil && (d < 0 || d > MaxPause) {
			t.Fatalf("pause %q parsed as %s: outside 0..%s", text, d, MaxPause)
		}
	})
}
