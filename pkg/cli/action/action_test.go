package action

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	evanjson "gopkg.in/evanphx/json-patch.v4"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/workload"
)

func rollout(mutate ...func(*v1alpha1.Rollout)) *v1alpha1.Rollout {
	ro := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", ResourceVersion: "42"}}
	ro.Spec.Template = corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "migrate", Image: "web:2"}},
			Containers:     []corev1.Container{{Name: "web", Image: "web:2"}, {Name: "proxy", Image: "envoy:1"}},
		},
	}
	ro.Spec.Strategy.Canary = &v1alpha1.CanaryStrategy{Steps: []v1alpha1.CanaryStep{{SetWeight: ptr.To[int32](20)}, {Pause: &v1alpha1.RolloutPause{}}, {SetWeight: ptr.To[int32](50)}}}
	ro.Status = v1alpha1.RolloutStatus{Phase: v1alpha1.RolloutPhaseHealthy, Message: "revision aaa runs at full scale", CurrentPodHash: "aaa", StableRS: "aaa"}
	for _, m := range mutate {
		m(ro)
	}
	return ro
}

func pausedAtStep2(ro *v1alpha1.Rollout) {
	ro.Status.CurrentPodHash, ro.Status.CurrentStepIndex = "bbb", ptr.To[int32](1)
	ro.Status.Phase, ro.Status.Message = v1alpha1.RolloutPhasePaused, "step 2/3: paused until promoted"
	ro.Status.PauseConditions = []v1alpha1.PauseCondition{{Reason: v1alpha1.PauseReasonCanaryPauseStep}}
}

func progressing(ro *v1alpha1.Rollout) {
	ro.Status.CurrentPodHash, ro.Status.CurrentStepIndex = "bbb", ptr.To[int32](0)
	ro.Status.Phase, ro.Status.Message = v1alpha1.RolloutPhaseProgressing, "step 1/3: scaling"
}

func aborted(ro *v1alpha1.Rollout) {
	progressing(ro)
	ro.Status.Abort, ro.Status.AbortedAt = true, &metav1.Time{Time: time.Unix(100, 0)}
	ro.Status.Phase = v1alpha1.RolloutPhaseDegraded
}

// applied is the Rollout after the change, as the API server would patch it.
func applied(t *testing.T, ro *v1alpha1.Rollout, c Change) *v1alpha1.Rollout {
	t.Helper()
	doc, _ := json.Marshal(ro)
	var out []byte
	var err error
	switch c.Type {
	case types.MergePatchType:
		out, err = evanjson.MergePatch(doc, c.Patch)
	case types.JSONPatchType:
		var p evanjson.Patch
		if p, err = evanjson.DecodePatch(c.Patch); err == nil {
			out, err = p.Apply(doc)
		}
	}
	if err != nil {
		t.Fatalf("patch %s does not apply: %v", c.Patch, err)
	}
	got := &v1alpha1.Rollout{}
	if err := json.Unmarshal(out, got); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestVerbs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ro      *v1alpha1.Rollout
		verb    func(*v1alpha1.Rollout) (Change, error)
		refused string // a fragment of the WrongStateError, or "" when the verb applies
		status  bool
		check   func(*v1alpha1.Rollout) bool
		done    string
	}{
		{name: "promote a pause step", ro: rollout(pausedAtStep2), verb: Promote, status: true,
			check: func(r *v1alpha1.Rollout) bool { return r.Status.PauseConditions == nil }, done: "pause at step 2/3 ended"},
		{name: "promote an inconclusive analysis", ro: rollout(pausedAtStep2, func(r *v1alpha1.Rollout) {
			r.Status.PauseConditions[0].Reason = v1alpha1.PauseReasonInconclusiveAnalysis
		}), verb: Promote, status: true, check: func(r *v1alpha1.Rollout) bool { return r.Status.PauseConditions == nil }, done: "Inconclusive analysis is accepted"},
		{name: "promote when progressing", ro: rollout(progressing), verb: Promote, refused: "is not paused (Progressing: step 1/3: scaling); to skip its remaining steps: kubectl ramp promote web --full"},
		{name: "promote when healthy", ro: rollout(), verb: Promote, refused: "has nothing to promote: Healthy"},
		{name: "promote when aborted", ro: rollout(aborted), verb: Promote, refused: "is aborted"},
		{name: "promote when held", ro: rollout(pausedAtStep2, func(r *v1alpha1.Rollout) { r.Spec.Paused = true }), verb: Promote, refused: "kubectl ramp resume web"},
		{name: "promote full", ro: rollout(progressing), verb: PromoteFull, status: true, check: func(r *v1alpha1.Rollout) bool { return r.Status.PromoteFull }, done: "promoted to full"},
		{name: "promote full twice", ro: rollout(progressing, func(r *v1alpha1.Rollout) { r.Status.PromoteFull = true }), verb: PromoteFull, refused: "already being promoted"},
		{name: "promote full when healthy", ro: rollout(), verb: PromoteFull, refused: "nothing to promote"},
		{name: "abort", ro: rollout(pausedAtStep2), verb: Abort, status: true, check: func(r *v1alpha1.Rollout) bool { return r.Status.Abort }, done: "back to stable revision aaa"},
		{name: "abort twice", ro: rollout(aborted), verb: Abort, refused: "already aborted"},
		{name: "abort when healthy", ro: rollout(), verb: Abort, refused: "no release in progress"},
		{name: "retry", ro: rollout(aborted), verb: Retry, status: true, check: func(r *v1alpha1.Rollout) bool { return !r.Status.Abort && r.Status.AbortedAt != nil }, done: "from the first step"},
		{name: "retry when not aborted", ro: rollout(progressing), verb: Retry, refused: "is not aborted, nothing to retry"},
		{name: "retry an abort not carried out", ro: rollout(progressing, func(r *v1alpha1.Rollout) { r.Status.Abort = true }), verb: Retry, refused: "has not carried out the abort yet"},
		{name: "retry twice", ro: rollout(aborted, func(r *v1alpha1.Rollout) { r.Status.Abort = false }), verb: Retry, refused: "already being retried"},
		{name: "pause", ro: rollout(progressing), verb: Pause, check: func(r *v1alpha1.Rollout) bool { return r.Spec.Paused }, done: "holds where it is"},
		{name: "pause twice", ro: rollout(func(r *v1alpha1.Rollout) { r.Spec.Paused = true }), verb: Pause, refused: "already held"},
		{name: "resume", ro: rollout(func(r *v1alpha1.Rollout) { r.Spec.Paused = true }), verb: Resume, check: func(r *v1alpha1.Rollout) bool { return !r.Spec.Paused }, done: "resumed"},
		{name: "resume a pause step", ro: rollout(pausedAtStep2), verb: Resume, refused: "promote it (kubectl ramp promote web)"},
		{name: "resume when running", ro: rollout(), verb: Resume, refused: "is not paused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.verb(tc.ro)
			if tc.refused != "" {
				var wrong *WrongStateError
				if !errors.As(err, &wrong) || !strings.Contains(err.Error(), tc.refused) || !strings.Contains(err.Error(), "rollout shop/web") {
					t.Fatalf("error %v, want a WrongStateError naming the rollout and saying %q", err, tc.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Status != tc.status {
				t.Errorf("status subresource %v, want %v", c.Status, tc.status)
			}
			if !strings.Contains(string(c.Patch), `"resourceVersion":"42"`) {
				t.Errorf("patch %s does not carry the resourceVersion it was decided on", c.Patch)
			}
			if got := applied(t, tc.ro, c); !tc.check(got) {
				t.Errorf("patch %s does not do it: status %+v spec.paused %v", c.Patch, got.Status, got.Spec.Paused)
			}
			if !strings.Contains(c.Done, tc.done) || !strings.HasPrefix(c.Done, "rollout shop/web ") {
				t.Errorf("done %q, want it to name the rollout and say %q", c.Done, tc.done)
			}
		})
	}
}

func TestRestart(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 500, time.UTC)
	c, err := Restart(rollout(), now)
	if err != nil {
		t.Fatal(err)
	}
	if got := applied(t, rollout(), c); got.Spec.RestartAt == nil || !got.Spec.RestartAt.Time.Equal(now.Truncate(time.Second)) {
		t.Errorf("restartAt %v, want %v", got.Spec.RestartAt, now)
	}
	if c.Warning != "" {
		t.Errorf("a Healthy rollout restarts at once, got warning %q", c.Warning)
	}
	if c, _ := Restart(rollout(progressing), now); !strings.Contains(c.Warning, "once it is Healthy or Paused") {
		t.Errorf("restart while progressing: warning %q", c.Warning)
	}
}

func TestSetImage(t *testing.T) {
	ro := rollout()
	c, err := SetImage(ro, []string{"web=web:3"})
	if err != nil {
		t.Fatal(err)
	}
	got := applied(t, ro, c)
	if got.Spec.Template.Spec.Containers[0].Image != "web:3" || got.Spec.Template.Spec.Containers[1].Image != "envoy:1" || got.Spec.Template.Spec.InitContainers[0].Image != "web:2" {
		t.Errorf("images after set image web=web:3: %+v", got.Spec.Template.Spec)
	}
	if !strings.Contains(c.Done, "web=web:3") {
		t.Errorf("done %q", c.Done)
	}

	c, err = SetImage(ro, []string{"*=web:4"})
	if err != nil {
		t.Fatal(err)
	}
	got = applied(t, ro, c)
	for _, ctr := range append(got.Spec.Template.Spec.Containers, got.Spec.Template.Spec.InitContainers...) {
		if ctr.Image != "web:4" {
			t.Errorf("*=web:4 left %s on %s", ctr.Image, ctr.Name)
		}
	}

	if _, err := SetImage(ro, []string{"sidecar=x:1"}); err == nil || !strings.Contains(err.Error(), "no container \"sidecar\"; its containers are web, proxy, migrate") {
		t.Errorf("unknown container: %v", err)
	}
	if _, err := SetImage(ro, []string{"web"}); err == nil || !strings.Contains(err.Error(), "is not CONTAINER=IMAGE") {
		t.Errorf("malformed assignment: %v", err)
	}
	var wrong *WrongStateError
	if _, err := SetImage(ro, []string{"web=web:2"}); !errors.As(err, &wrong) {
		t.Errorf("same image: %v, want a WrongStateError", err)
	}
	// The patch tests the container's name at its index: a reordered template is a conflict.
	moved := rollout(func(r *v1alpha1.Rollout) {
		r.Spec.Template.Spec.Containers[0], r.Spec.Template.Spec.Containers[1] = r.Spec.Template.Spec.Containers[1], r.Spec.Template.Spec.Containers[0]
	})
	doc, _ := json.Marshal(moved)
	p, _ := evanjson.DecodePatch(mustSetImage(t, ro, "web=web:3").Patch)
	if _, err := p.Apply(doc); err == nil {
		t.Error("the patch applied to a template whose containers moved")
	}
}

func mustSetImage(t *testing.T, ro *v1alpha1.Rollout, a string) Change {
	t.Helper()
	c, err := SetImage(ro, []string{a})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func revision(ro *v1alpha1.Rollout, n int64, hash, image string, recorded bool) appsv1.ReplicaSet {
	src := ro.DeepCopy()
	src.Spec.Template.Spec.Containers[0].Image = image
	rs := workload.NewReplicaSet(src, hash, n, 1)
	rs.Spec.Template.Spec.Containers[0].TerminationMessagePath = "/dev/termination-log" // the API server's default
	if !recorded {
		delete(rs.Annotations, v1alpha1.TemplateAnnotation)
	}
	return *rs
}

func TestUndo(t *testing.T) {
	ro := rollout(progressing) // current bbb runs web:2; stable aaa
	rss := []appsv1.ReplicaSet{revision(ro, 1, "zzz", "web:0", true), revision(ro, 2, "aaa", "web:1", true), revision(ro, 3, "bbb", "web:2", true)}

	c, err := Undo(ro, rss, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := applied(t, ro, c)
	if img := got.Spec.Template.Spec.Containers[0].Image; img != "web:1" {
		t.Errorf("undo went to %s, want revision 2's web:1", img)
	}
	if got.Spec.Template.Spec.Containers[0].TerminationMessagePath != "" || got.Spec.Template.Labels[v1alpha1.PodTemplateHashLabel] != "" {
		t.Errorf("undo put the ReplicaSet's defaulted copy back: %+v", got.Spec.Template)
	}
	if !strings.Contains(c.Done, "revision 2 (aaa): the stable revision") || c.Warning != "" {
		t.Errorf("done %q warning %q", c.Done, c.Warning)
	}

	c, err = Undo(ro, rss, 1)
	if err != nil {
		t.Fatal(err)
	}
	if img := applied(t, ro, c).Spec.Template.Spec.Containers[0].Image; img != "web:0" {
		t.Errorf("undo --to-revision 1 went to %s", img)
	}

	var wrong *WrongStateError
	if _, err := Undo(ro, rss, 7); !errors.As(err, &wrong) || !strings.Contains(err.Error(), "no revision 7; its revisions are 1, 2, 3") {
		t.Errorf("missing revision: %v", err)
	}
	if _, err := Undo(ro, rss, 3); !errors.As(err, &wrong) || !strings.Contains(err.Error(), "already runs the template of revision 3") {
		t.Errorf("current revision: %v", err)
	}
	if _, err := Undo(ro, rss[2:], 0); !errors.As(err, &wrong) || !strings.Contains(err.Error(), "no earlier revision") {
		t.Errorf("single revision: %v", err)
	}

	// Without the recorded template, the ReplicaSet's copy less ramp's labels, with a warning.
	old := []appsv1.ReplicaSet{revision(ro, 2, "aaa", "web:1", false), revision(ro, 3, "bbb", "web:2", true)}
	c, err = Undo(ro, old, 0)
	if err != nil {
		t.Fatal(err)
	}
	got = applied(t, ro, c)
	if got.Spec.Template.Spec.Containers[0].Image != "web:1" || got.Spec.Template.Labels[v1alpha1.PodTemplateHashLabel] != "" {
		t.Errorf("fallback template %+v", got.Spec.Template)
	}
	if !strings.Contains(c.Warning, "may see it as a new revision") {
		t.Errorf("fallback warning %q", c.Warning)
	}
}

// A workloadRef Rollout's template is its Deployment's: set image and undo say to change it there.
func TestTemplateEditsOfAWorkloadRefRolloutPointAtTheDeployment(t *testing.T) {
	ro := rollout(func(ro *v1alpha1.Rollout) {
		ro.Spec.Template = corev1.PodTemplateSpec{}
		ro.Spec.WorkloadRef = &v1alpha1.WorkloadRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "web-app"}
	})
	if _, err := SetImage(ro, []string{"web=web:3"}); err == nil || !strings.Contains(err.Error(), "kubectl set image deployment/web-app") {
		t.Errorf("set image: %v, want it to point at the Deployment", err)
	}
	if _, err := Undo(ro, nil, 0); err == nil || !strings.Contains(err.Error(), "Deployment web-app (workloadRef)") {
		t.Errorf("undo: %v, want it to point at the Deployment", err)
	}
}
