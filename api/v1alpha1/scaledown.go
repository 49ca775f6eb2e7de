package v1alpha1

import (
	"strings"
	"time"
)

// defaultScaleDownDelay is how long a revision keeps its pods after traffic left it, when
// scaleDownDelaySeconds is unset.
const defaultScaleDownDelay = 30 * time.Second

// ScaleDownDelay is how long the previous revision keeps its pods after the active Service
// switched away from it (scaleDownDelaySeconds, 30 s when unset).
func (b *BlueGreenStrategy) ScaleDownDelay() time.Duration {
	if b.ScaleDownDelaySeconds == nil {
		return defaultScaleDownDelay
	}
	return time.Duration(*b.ScaleDownDelaySeconds) * time.Second
}

// ScaleDownDelay is how long, with trafficRouting, earlier revisions keep their pods after a
// promotion moved all traffic off them (scaleDownDelaySeconds, 30 s when unset).
func (c *CanaryStrategy) ScaleDownDelay() time.Duration {
	if c.ScaleDownDelaySeconds == nil {
		return defaultScaleDownDelay
	}
	return time.Duration(*c.ScaleDownDelaySeconds) * time.Second
}

// ScaleDownAt is when the revisions a finished release replaced lose their pods: zero when none
// is waiting (no release has just switched, or the strategy has no delay).
func (ro *Rollout) ScaleDownAt() time.Time {
	st := ro.Status
	switch {
	case ro.Spec.Strategy.BlueGreen != nil && st.BlueGreen.SwitchedAt != nil:
		return st.BlueGreen.SwitchedAt.Add(ro.Spec.Strategy.BlueGreen.ScaleDownDelay())
	case ro.Spec.Strategy.Canary != nil && st.Canary.ScaleDownAt != nil:
		return st.Canary.ScaleDownAt.Time
	}
	return time.Time{}
}

// ActiveSwitchedAnnotation is set on a blue-green active Service in the same write that
// switches its selector: "<pod-template hash>@<RFC 3339 time>". The status records the switch
// too, in a later write; after a crash between the two, the annotation is how the scale-down
// delay still starts at the switch.
const ActiveSwitchedAnnotation = "rollouts.ramp.dev/active-switched"

// ActiveSwitchedValue is the annotation's value for a switch to hash at t.
func ActiveSwitchedValue(hash string, t time.Time) string {
	return hash + "@" + t.UTC().Format(time.RFC3339)
}

// ParseActiveSwitched is the time of a switch to hash recorded in value; ok is false when value
// records another revision or is not one.
func ParseActiveSwitched(value, hash string) (time.Time, bool) {
	h, at, found := strings.Cut(value, "@")
	if !found || h != hash {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, at)
	return t, err == nil
}
