package controllers

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/workload"
)

func queuedRollout(name, rv string) *v1alpha1.Rollout {
	labels := map[string]string{"app": name}
	ro := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name, ResourceVersion: rv, Generation: 1}}
	ro.Spec.Template = corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "web:1"}}}}
	hash, _ := workload.TemplateHash(&ro.Spec.Template, nil)
	ro.Status.StableRS, ro.Status.CurrentPodHash = hash, hash
	return ro
}

// However long the queue of routine work, an abort is the next item a worker gets, and so is
// the Rollout of a run that just failed.
func TestUrgentEventsJumpTheQueue(t *testing.T) {
	ctx := context.Background()
	q := priorityqueue.New[reconcile.Request]("test")
	defer q.ShutDown()
	rollouts, runs := rolloutEvents(func(client.Object) {}), runEvents()
	for i := range 1000 {
		old := queuedRollout(fmt.Sprintf("busy-%d", i), "1")
		cur := old.DeepCopy()
		cur.ResourceVersion, cur.Status.AvailableReplicas = "2", 2
		rollouts.Update(ctx, event.UpdateEvent{ObjectOld: old, ObjectNew: cur}, q)
	}
	old := queuedRollout("aborted", "1")
	cur := old.DeepCopy()
	cur.ResourceVersion, cur.Status.Abort = "2", true
	rollouts.Update(ctx, event.UpdateEvent{ObjectOld: old, ObjectNew: cur}, q)

	owner := queuedRollout("failing", "1")
	owner.UID = "uid-failing"
	run := &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "failing-abc-1-0", ResourceVersion: "1",
		OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(owner, v1alpha1.GroupVersion.WithKind("Rollout"))}}}
	run.Status.Phase = v1alpha1.AnalysisPhaseRunning
	failed := run.DeepCopy()
	failed.ResourceVersion, failed.Status.Phase = "2", v1alpha1.AnalysisPhaseFailed
	runs.Update(ctx, event.UpdateEvent{ObjectOld: run, ObjectNew: failed}, q)

	got := map[string]int{}
	for range 2 {
		item, priority, _ := q.GetWithPriority()
		got[item.Name] = priority
		q.Done(item)
	}
	if got["aborted"] != UrgentPriority || got["failing"] != UrgentPriority {
		t.Fatalf("first out of 1002: %v, want the aborted Rollout and the failed run's Rollout at priority %d", got, UrgentPriority)
	}
	if n := q.Len(); n != 1000 {
		t.Errorf("%d routine items left, want 1000", n)
	}
}
