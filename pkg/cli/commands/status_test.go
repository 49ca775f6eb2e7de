package commands

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

func TestStatusExitCodes(t *testing.T) {
	for phase, code := range map[v1alpha1.RolloutPhase]int{
		v1alpha1.RolloutPhaseHealthy:     0,
		v1alpha1.RolloutPhaseDegraded:    1,
		v1alpha1.RolloutPhasePaused:      2,
		v1alpha1.RolloutPhaseProgressing: 3,
	} {
		k := newCLI(t, webRollout(func(ro *v1alpha1.Rollout) { ro.Status.Phase = phase }))
		if got := k.run(context.Background(), "status", "web", "--watch=false"); got != code {
			t.Errorf("status of a %s rollout: exit %d, want %d (stderr %q)", phase, got, code, k.err.String())
		}
		if !strings.Contains(k.out.String(), string(phase)) {
			t.Errorf("status of a %s rollout printed %q", phase, k.out.String())
		}
	}
}

// status waits through Progressing and a pause (--wait-for-pause-ok), printing each
// transition, and ends 0 when the controller reports Healthy.
func TestStatusWaitsForTheEnd(t *testing.T) {
	k := newCLI(t, webRollout(func(ro *v1alpha1.Rollout) { ro.Status.Phase = v1alpha1.RolloutPhaseProgressing }))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := make(chan int, 1)
	go func() { code <- k.run(ctx, "status", "web", "--wait-for-pause-ok") }()

	for _, phase := range []v1alpha1.RolloutPhase{v1alpha1.RolloutPhasePaused, v1alpha1.RolloutPhaseProgressing, v1alpha1.RolloutPhaseHealthy} {
		k.setStatus(func(st *v1alpha1.RolloutStatus) { st.Phase, st.Message = phase, "now "+string(phase) })
	}
	select {
	case got := <-code:
		if got != 0 {
			t.Fatalf("exit %d, want 0; stderr %q", got, k.err.String())
		}
	case <-ctx.Done():
		t.Fatal("status did not end when the rollout went Healthy")
	}
	if !strings.HasSuffix(strings.TrimSpace(k.out.String()), "Healthy: now Healthy") {
		t.Errorf("status printed %q, want it to end with the Healthy line", k.out.String())
	}
}

func TestStatusTimesOut(t *testing.T) {
	k := newCLI(t, webRollout(func(ro *v1alpha1.Rollout) { ro.Status.Phase = v1alpha1.RolloutPhaseProgressing }))
	if code := k.run(context.Background(), "status", "web", "--timeout", "50ms"); code != 3 || !strings.Contains(k.err.String(), "timed out; the rollout was last Progressing") {
		t.Errorf("exit %d stderr %q, want 3 and the last state", code, k.err.String())
	}
}

// A status written for an older spec generation is not the release's outcome.
func TestStatusIgnoresAStaleGeneration(t *testing.T) {
	k := newCLI(t, webRollout(func(ro *v1alpha1.Rollout) {
		ro.Generation, ro.Status.Phase = 2, v1alpha1.RolloutPhaseHealthy
	}))
	if code := k.run(context.Background(), "status", "web", "--watch=false"); code != 3 || !strings.Contains(k.out.String(), "waiting for the controller to observe generation") {
		t.Errorf("exit %d out %q", code, k.out.String())
	}
}
