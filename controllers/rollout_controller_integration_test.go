//go:build integration

package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/testenv"
	"github.com/ramp-dev/ramp/pkg/workload"
)

const timeout = 30 * time.Second

func namespace(t testing.TB) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "it-"}}
	if err := env.Client.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

func rollout(ns string, replicas int32, steps ...v1alpha1.CanaryStep) *v1alpha1.Rollout {
	labels := map[string]string{"app": "web"}
	return &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"},
		Spec: v1alpha1.RolloutSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "web:1"}}},
			},
			Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{
				Steps: steps, MaxUnavailable: ptr.To(intstr.FromInt32(0)), MaxSurge: ptr.To(intstr.FromInt32(1)),
			}},
		},
	}
}

func get(t testing.TB, ro *v1alpha1.Rollout) *v1alpha1.Rollout {
	t.Helper()
	got := &v1alpha1.Rollout{}
	if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(ro), got); err != nil {
		t.Fatal(err)
	}
	return got
}

// replicaSetFor waits for the ReplicaSet of the Rollout's current template to have replicas.
func replicaSetFor(t *testing.T, ro *v1alpha1.Rollout, replicas int32) *appsv1.ReplicaSet {
	t.Helper()
	hash, _ := workload.TemplateHash(&get(t, ro).Spec.Template, nil)
	return replicaSetNamed(t, ro.Namespace, workload.ReplicaSetName(ro.Name, hash), replicas)
}

// replicaSetNamed waits for a ReplicaSet to have replicas.
func replicaSetNamed(t *testing.T, ns, name string, replicas int32) *appsv1.ReplicaSet {
	t.Helper()
	rs := &appsv1.ReplicaSet{}
	key := client.ObjectKey{Namespace: ns, Name: name}
	testenv.Eventually(t, timeout, fmt.Sprintf("replicaset %s with %d replicas", key.Name, replicas), func(ctx context.Context) (bool, string, error) {
		if err := env.Client.Get(ctx, key, rs); err != nil {
			return false, "", err
		}
		return ptr.Deref(rs.Spec.Replicas, 1) == replicas, fmt.Sprintf("%d replicas", ptr.Deref(rs.Spec.Replicas, 1)), nil
	})
	return rs
}

func waitPhase(t testing.TB, ro *v1alpha1.Rollout, phase v1alpha1.RolloutPhase) *v1alpha1.Rollout {
	t.Helper()
	var got *v1alpha1.Rollout
	testenv.Eventually(t, timeout, "phase "+string(phase), func(ctx context.Context) (bool, string, error) {
		got = get(t, ro)
		return got.Status.Phase == phase, fmt.Sprintf("%s: %s", got.Status.Phase, got.Status.Message), nil
	})
	return got
}

func eventReasons(t *testing.T, ro *v1alpha1.Rollout) []string {
	t.Helper()
	list := &eventsv1.EventList{}
	if err := env.Client.List(context.Background(), list, client.InNamespace(ro.Namespace)); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range list.Items {
		if e.Regarding.Name == ro.Name && e.Regarding.Kind == "Rollout" {
			out = append(out, e.Reason)
		}
	}
	return out
}

// playReplicaSetController makes every pod of every ReplicaSet in ns available as soon as it is
// asked for, until the test ends: the part kube-controller-manager and kubelets play for real
// in the e2e suite.
func playReplicaSetController(t testing.TB, ns string) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			list := &appsv1.ReplicaSetList{}
			if err := env.Client.List(ctx, list, client.InNamespace(ns)); err == nil {
				for i := range list.Items {
					rs := &list.Items[i]
					if n := ptr.Deref(rs.Spec.Replicas, 1); rs.Status.AvailableReplicas != n || rs.Status.Replicas != n {
						rs.Status = appsv1.ReplicaSetStatus{Replicas: n, ReadyReplicas: n, AvailableReplicas: n, ObservedGeneration: rs.Generation}
						_ = env.Client.Status().Update(ctx, rs) // a conflict is retried on the next round
					}
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
}

func TestRolloutReconcilerRunsACanary(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t)
	playReplicaSetController(t, ns)
	ro := rollout(ns, 4, v1alpha1.CanaryStep{SetWeight: ptr.To[int32](25)}, v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{}})
	if err := env.Client.Create(ctx, ro); err != nil {
		t.Fatal(err)
	}

	stable := replicaSetFor(t, ro, 4)
	if owner := metav1.GetControllerOf(stable); owner == nil || owner.Name != "web" || owner.Kind != "Rollout" {
		t.Fatalf("replicaset owner %+v, want the Rollout", owner)
	}
	got := waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy)
	if got.Status.StableRS != workload.HashOf(stable) || got.Status.AvailableReplicas != 4 || got.Status.Selector != "app=web" {
		t.Errorf("status after first revision: %+v", got.Status)
	}

	got.Spec.Template.Spec.Containers[0].Image = "web:2"
	if err := env.Client.Update(ctx, got); err != nil {
		t.Fatal(err)
	}
	got = waitPhase(t, ro, v1alpha1.RolloutPhasePaused)
	canary := replicaSetFor(t, ro, 1)
	replicaSetNamed(t, ns, stable.Name, 3)
	if len(got.Status.PauseConditions) != 1 || ptr.Deref(got.Status.CurrentStepIndex, -1) != 1 {
		t.Fatalf("paused status: %+v", got.Status)
	}

	// Promote as the plugin does: clear the pause conditions in status.
	promoted := got.DeepCopy()
	promoted.Status.PauseConditions = nil
	if err := env.Client.Status().Patch(ctx, promoted, client.MergeFrom(got)); err != nil {
		t.Fatal(err)
	}
	got = waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy)
	if got.Status.StableRS != workload.HashOf(canary) {
		t.Errorf("stableRS %s, want the new revision %s", got.Status.StableRS, workload.HashOf(canary))
	}
	replicaSetNamed(t, ns, canary.Name, 4)
	replicaSetNamed(t, ns, stable.Name, 0)

	testenv.Eventually(t, timeout, "the timeline's events", func(ctx context.Context) (bool, string, error) {
		reasons := strings.Join(eventReasons(t, ro), ",")
		for _, want := range []string{v1alpha1.ReasonRevisionDetected, v1alpha1.ReasonPaused, v1alpha1.ReasonPromoted, v1alpha1.ReasonCompleted, v1alpha1.ReasonHealthy} {
			if !strings.Contains(reasons, want) {
				return false, reasons, nil
			}
		}
		return true, reasons, nil
	})
}

func TestRolloutReconcilerRejectsMismatchedSelector(t *testing.T) {
	ro := rollout(namespace(t), 2)
	ro.Spec.Template.Labels = map[string]string{"app": "other"}
	if err := env.Client.Create(context.Background(), ro); err != nil {
		t.Fatal(err)
	}
	got := waitPhase(t, ro, v1alpha1.RolloutPhaseDegraded)
	if !strings.Contains(got.Status.Message, "spec.selector") {
		t.Errorf("message %q does not name spec.selector", got.Status.Message)
	}
	list := &appsv1.ReplicaSetList{}
	if err := env.Client.List(context.Background(), list, client.InNamespace(ro.Namespace)); err != nil || len(list.Items) != 0 {
		t.Errorf("replicasets created for an invalid rollout: %d (%v)", len(list.Items), err)
	}
}

// kubectl argo rollouts undo copies a ReplicaSet's pod template, as the API server stored it
// (defaults applied), back into the Rollout. That template is the stable revision: a fast
// rollback, with no new ReplicaSet and no steps, and the revision keeps its name.
func TestUndoByCopyingAReplicaSetTemplateIsAFastRollback(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t)
	playReplicaSetController(t, ns)
	ro := rollout(ns, 4, v1alpha1.CanaryStep{SetWeight: ptr.To[int32](25)}, v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{}})
	ro.Spec.Strategy.Canary.StableMetadata = &v1alpha1.PodTemplateMetadata{Labels: map[string]string{"role": "stable"}}
	create(t, ro)
	stable := replicaSetFor(t, ro, 4)
	waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy)
	setImage(t, ro, "web:2")
	waitPhase(t, ro, v1alpha1.RolloutPhasePaused)

	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(stable), stable); err != nil {
		t.Fatal(err)
	}
	if stable.Spec.Template.Spec.Containers[0].TerminationMessagePath == "" {
		t.Fatalf("the API server did not default the ReplicaSet's template: %+v", stable.Spec.Template.Spec.Containers[0])
	}
	copied := stable.Spec.Template.DeepCopy() // as Argo's plugin does: the hash label removed
	delete(copied.Labels, v1alpha1.PodTemplateHashLabel)
	got := get(t, ro)
	undone := got.DeepCopy()
	undone.Spec.Template = *copied
	if err := env.Client.Patch(ctx, undone, client.MergeFrom(got)); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, timeout, "a fast rollback to the stable revision", func(ctx context.Context) (bool, string, error) {
		got := get(t, ro)
		return got.Status.Phase == v1alpha1.RolloutPhaseHealthy && got.Status.ObservedGeneration == got.Generation && got.Status.CurrentPodHash == workload.HashOf(stable),
			fmt.Sprintf("%s %s current %s", got.Status.Phase, got.Status.Message, got.Status.CurrentPodHash), nil
	})
	replicaSetNamed(t, ns, stable.Name, 4)
	list := &appsv1.ReplicaSetList{}
	if err := env.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 2 {
		t.Errorf("%d ReplicaSets, want the 2 revisions only: the copied template must not start a new one", len(list.Items))
	}
	if reasons := strings.Join(eventReasons(t, ro), ","); !strings.Contains(reasons, v1alpha1.ReasonRolledBack) {
		t.Errorf("timeline %s lacks %s", reasons, v1alpha1.ReasonRolledBack)
	}
}
