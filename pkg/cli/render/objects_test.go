package render

import (
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/cli/style"
)

func TestPodStatus(t *testing.T) {
	rs := replicaSet(newRollout("ns", "ro", day, 1, "img", canary()), revision{hash: "abc", number: 1, image: "img"})
	initWaiting := newPod(rs, "init", time.Minute)
	initWaiting.Status = corev1.PodStatus{Phase: corev1.PodPending, InitContainerStatuses: []corev1.ContainerStatus{{
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
	}}}
	notReady := runningPod(rs, "warm", time.Minute, 0)
	notReady.Status.ContainerStatuses[0].Ready = false
	pending := newPod(rs, "pending", time.Minute)
	pending.Status.Phase = corev1.PodPending
	evicted := newPod(rs, "evicted", time.Minute)
	evicted.Status = corev1.PodStatus{Phase: corev1.PodFailed, Reason: "Evicted"}
	oom := runningPod(rs, "oom", time.Minute, 3)
	oom.Status.ContainerStatuses[0].State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "OOMKilled"}}
	terminating := waitingPod(rs, "gone", time.Minute, "CrashLoopBackOff", 1)
	terminating.DeletionTimestamp = ptr.To(ago(0))

	for _, tc := range []struct {
		pod        corev1.Pod
		want, info string
	}{
		{runningPod(rs, "ok", time.Minute, 0), "✔ Running", "ready:1/1"},
		{notReady, "◌ Running", "ready:0/1"},
		{pending, "○ Pending", "ready:0/1"},
		{waitingPod(rs, "crash", time.Minute, "CrashLoopBackOff", 4), "✖ CrashLoopBackOff", "ready:0/1,restarts:4"},
		{waitingPod(rs, "pull", time.Minute, "ImagePullBackOff", 0), "✖ ImagePullBackOff", "ready:0/1"},
		{waitingPod(rs, "create", time.Minute, "ContainerCreating", 0), "◌ ContainerCreating", "ready:0/1"},
		{initWaiting, "✖ Init:CrashLoopBackOff", "ready:0/1"},
		{oom, "✖ OOMKilled", "ready:1/1,restarts:3"},
		{evicted, "✖ Evicted", "ready:0/1"},
		{terminating, "◌ Terminating", "ready:0/1,restarts:1"},
		{corev1.Pod{}, "• Unknown", "ready:0/0"},
	} {
		n := podNode(&tc.pod, now, style.Painter{})
		if n.status.Plain != tc.want || n.info.Plain != tc.info {
			t.Errorf("%s: %q %q, want %q %q", tc.pod.Name, n.status.Plain, n.info.Plain, tc.want, tc.info)
		}
	}
}

func TestReplicaSetStatus(t *testing.T) {
	for _, tc := range []struct {
		desired, ready int32
		pods           int
		want           string
	}{
		{3, 3, 3, "✔ Healthy"},
		{3, 1, 3, "◌ Progressing"},
		{0, 0, 0, "• ScaledDown"},
		{0, 0, 2, "◌ ScalingDown"},
		{2, 4, 4, "◌ ScalingDown"},
	} {
		if got := replicaSetStatus(tc.desired, tc.ready, tc.pods, style.Painter{}).Plain; got != tc.want {
			t.Errorf("desired %d ready %d pods %d: %q, want %q", tc.desired, tc.ready, tc.pods, got, tc.want)
		}
	}
}

func TestRolesOf(t *testing.T) {
	bg := &v1alpha1.Rollout{Spec: v1alpha1.RolloutSpec{Strategy: v1alpha1.RolloutStrategy{BlueGreen: &v1alpha1.BlueGreenStrategy{}}}}
	bg.Status.BlueGreen = v1alpha1.BlueGreenStatus{ActiveSelector: "a", PreviewSelector: "a"}
	if got := rolesOf(bg, "a"); !slices.Equal(got, []string{"active"}) {
		t.Errorf("promoted blue-green: %v, want only active", got)
	}
	bg.Status.BlueGreen.PreviewSelector = "b"
	if got := rolesOf(bg, "b"); !slices.Equal(got, []string{"preview"}) {
		t.Errorf("preview: %v", got)
	}
	c := &v1alpha1.Rollout{Spec: v1alpha1.RolloutSpec{Strategy: canary()}, Status: v1alpha1.RolloutStatus{StableRS: "a", CurrentPodHash: "a"}}
	if got := rolesOf(c, "a"); !slices.Equal(got, []string{"stable"}) {
		t.Errorf("settled canary: %v, want only stable", got)
	}
	if got := rolesOf(c, ""); got != nil {
		t.Errorf("no hash: %v", got)
	}
}

func TestAssignRuns(t *testing.T) {
	rss := []appsv1.ReplicaSet{
		{ObjectMeta: metav1.ObjectMeta{Name: "ro-aaa", Labels: map[string]string{v1alpha1.PodTemplateHashLabel: "aaa"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "ro-bbb", Labels: map[string]string{v1alpha1.PodTemplateHashLabel: "bbb"}}},
	}
	run := func(name, hashLabel string) v1alpha1.AnalysisRun {
		r := v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if hashLabel != "" {
			r.Labels = map[string]string{v1alpha1.PodTemplateHashLabel: hashLabel}
		}
		return r
	}
	byHash, loose := assignRuns(rss, []v1alpha1.AnalysisRun{
		run("labelled", "aaa"), run("ro-bbb-background-0", ""), run("ro-ccc-1-0", ""), run("ro-other", "zzz"),
	})
	names := func(runs []v1alpha1.AnalysisRun) string {
		var out []string
		for _, r := range runs {
			out = append(out, r.Name)
		}
		return strings.Join(out, ",")
	}
	if got := names(byHash["aaa"]); got != "labelled" {
		t.Errorf("aaa: %s", got)
	}
	if got := names(byHash["bbb"]); got != "ro-bbb-background-0" {
		t.Errorf("bbb: %s", got)
	}
	if got := names(loose); got != "ro-ccc-1-0,ro-other" {
		t.Errorf("loose: %s", got)
	}
}

func TestAnalysisRunInfo(t *testing.T) {
	long := metricResult("latency", v1alpha1.AnalysisPhaseRunning, 1, 0, "[0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 0.9]")
	ro := newRollout("ns", "ro", day, 1, "img", canary())
	n := analysisRunNode(analysisRun(ro, "abc", "background", time.Minute, v1alpha1.AnalysisRunStatus{
		Phase: v1alpha1.AnalysisPhaseRunning, Message: "measuring latency", MetricResults: []v1alpha1.MetricResult{long},
	}), now, style.Painter{})
	if want := "latency=[0.1 0.2 0.3 0.4 0.5 0.… ◌ (1 ok)"; n.info.Plain != want {
		t.Errorf("info %q, want %q", n.info.Plain, want)
	}
	n = analysisRunNode(analysisRun(ro, "abc", "1", time.Minute, v1alpha1.AnalysisRunStatus{
		Phase: v1alpha1.AnalysisPhaseError, Message: "metric m error: no address",
	}), now, style.Painter{})
	if n.status.Plain != "✖ Error" || n.info.Plain != "metric m error: no address" {
		t.Errorf("errored run without results: %q %q", n.status.Plain, n.info.Plain)
	}
}
