package commands

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

func TestPromoteAbortRetryThroughTheStatus(t *testing.T) {
	k := newCLI(t, webRollout())

	out := k.mustRun("promote", "web")
	if !strings.Contains(out, "rollout shop/web promoted: pause at step 2/2 ended") {
		t.Errorf("promote printed %q", out)
	}
	if ro := k.rollout(); ro.Status.PauseConditions != nil {
		t.Errorf("pause conditions %v after promote", ro.Status.PauseConditions)
	}
	if code := k.run(context.Background(), "promote", "web"); code != 1 || !strings.Contains(k.err.String(), "is not paused") {
		t.Errorf("second promote: exit %d, stderr %q; want 1 and why", code, k.err.String())
	}

	k.mustRun("abort", "web")
	if !k.rollout().Status.Abort {
		t.Fatal("abort did not set status.abort")
	}
	// The controller has not carried the abort out yet: retry refuses.
	if code := k.run(context.Background(), "retry", "web"); code != 1 || !strings.Contains(k.err.String(), "has not carried out the abort yet") {
		t.Errorf("early retry: exit %d, stderr %q", code, k.err.String())
	}
	k.setStatus(func(st *v1alpha1.RolloutStatus) {
		st.AbortedAt, st.Phase = &metav1.Time{Time: now}, v1alpha1.RolloutPhaseDegraded
	})
	if out := k.mustRun("retry", "web"); !strings.Contains(out, "starts again from the first step") {
		t.Errorf("retry printed %q", out)
	}
	if ro := k.rollout(); ro.Status.Abort || ro.Status.AbortedAt == nil {
		t.Errorf("after retry: abort %v abortedAt %v, want false and kept for the controller", ro.Status.Abort, ro.Status.AbortedAt)
	}
	for _, m := range k.managers {
		if m != "status:kubectl-ramp" {
			t.Errorf("patch %s: promote, abort and retry write the status as field manager kubectl-ramp", m)
		}
	}
}

func TestPromoteFullPauseResumeRestart(t *testing.T) {
	k := newCLI(t, webRollout())
	k.mustRun("promote", "web", "--full")
	if !k.rollout().Status.PromoteFull {
		t.Error("promote --full did not set status.promoteFull")
	}
	k.mustRun("pause", "web")
	if last := k.managers[len(k.managers)-1]; last != "spec:kubectl-ramp" {
		t.Errorf("pause patched %s, want the spec as kubectl-ramp", last)
	}
	if !k.rollout().Spec.Paused {
		t.Error("pause did not set spec.paused")
	}
	if code := k.run(context.Background(), "pause", "web"); code != 1 {
		t.Errorf("second pause: exit %d", code)
	}
	k.mustRun("resume", "web")
	if k.rollout().Spec.Paused {
		t.Error("resume did not clear spec.paused")
	}
	out := k.mustRun("restart", "web")
	if ro := k.rollout(); ro.Spec.RestartAt == nil || !ro.Spec.RestartAt.Time.Equal(now) {
		t.Errorf("restartAt %v, want %v", ro.Spec.RestartAt, now)
	}
	if !strings.Contains(out, "restarting") || !strings.Contains(k.err.String(), "once it is Healthy or Paused") && k.rollout().Status.Phase != v1alpha1.RolloutPhasePaused {
		t.Errorf("restart printed %q / %q", out, k.err.String())
	}
}

func TestSetImageAndUndo(t *testing.T) {
	ro := webRollout()
	k := newCLI(t, ro, replicaSet(ro, 1, "aaa", "web:1"), replicaSet(ro, 2, "bbb", "web:2"))

	if out := k.mustRun("set", "image", "web", "web=web:3"); !strings.Contains(out, "image updated: web=web:3") {
		t.Errorf("set image printed %q", out)
	}
	if img := k.rollout().Spec.Template.Spec.Containers[0].Image; img != "web:3" {
		t.Errorf("image %s after set image", img)
	}
	if code := k.run(context.Background(), "set", "image", "web", "sidecar=x"); code != 1 || !strings.Contains(k.err.String(), `no container "sidecar"`) {
		t.Errorf("unknown container: exit %d stderr %q", code, k.err.String())
	}

	if out := k.mustRun("undo", "web"); !strings.Contains(out, "rolled back to the template of revision 1 (aaa): the stable revision") {
		t.Errorf("undo printed %q", out)
	}
	if img := k.rollout().Spec.Template.Spec.Containers[0].Image; img != "web:1" {
		t.Errorf("image %s after undo, want revision 1's web:1", img)
	}
	if code := k.run(context.Background(), "undo", "web", "--to-revision", "9"); code != 1 || !strings.Contains(k.err.String(), "no revision 9; its revisions are 1, 2") {
		t.Errorf("undo to a missing revision: exit %d stderr %q", code, k.err.String())
	}
}

func TestMissingRolloutSaysHowToFindIt(t *testing.T) {
	k := newCLI(t)
	for _, args := range [][]string{{"promote", "nope"}, {"get", "rollout", "nope"}, {"status", "nope"}, {"timeline", "nope"}} {
		if code := k.run(context.Background(), args...); code != 1 || !strings.Contains(k.err.String(), "rollout shop/nope not found; list them with `kubectl ramp list rollouts -A`") {
			t.Errorf("%v: exit %d stderr %q", args, code, k.err.String())
		}
	}
}

func TestUsageErrors(t *testing.T) {
	k := newCLI(t)
	for args, want := range map[string]string{
		"get deployment web": "usage: kubectl ramp get rollout NAME",
		"promote":            "usage: kubectl ramp promote NAME",
		"list pods":          "usage: kubectl ramp list rollouts",
		"set image web":      "usage: kubectl ramp set image NAME CONTAINER=IMAGE",
		"timeline web -o x":  "timeline prints text (the default) or json",
	} {
		if code := k.run(context.Background(), strings.Fields(args)...); code == 0 || !strings.Contains(k.err.String(), want) {
			t.Errorf("%s: exit %d stderr %q, want %q", args, code, k.err.String(), want)
		}
	}
}
