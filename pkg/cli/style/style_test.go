package style

import (
	"testing"
	"time"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

func TestAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second:                   "0s",
		45 * time.Second:               "45s",
		3*time.Minute + 12*time.Second: "3m12s",
		3*24*time.Hour + 4*time.Hour:   "3d4h",
	} {
		if got := Age(d); got != want {
			t.Errorf("Age(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestPaintIsPlainWithoutColor(t *testing.T) {
	p := Painter{}
	if got := p.Phase(v1alpha1.RolloutPhaseDegraded); got != "✖ Degraded" {
		t.Errorf("plain phase %q", got)
	}
	if got := (Painter{Color: true}).Phase(v1alpha1.RolloutPhaseHealthy); got != "\x1b[32m✔ Healthy\x1b[0m" {
		t.Errorf("coloured phase %q", got)
	}
}
