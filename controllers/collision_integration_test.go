//go:build integration

package controllers_test

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/workload"
)

// A ReplicaSet of someone else's that has the name of the Rollout's first revision (a hash
// collision) is left alone: the Rollout moves collisionCount on, says so, and creates its
// revision under the next name.
func TestHashCollisionMovesCollisionCountOn(t *testing.T) {
	ns := namespace(t)
	playReplicaSetController(t, ns)
	ro := rollout(ns, 2)
	hash, err := workload.TemplateHash(&ro.Spec.Template, nil)
	if err != nil {
		t.Fatal(err)
	}
	taken := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web-" + hash},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To[int32](0),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "other"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "other"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "other", Image: "other:1"}}},
			},
		},
	}
	create(t, taken, ro)

	got := waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy)
	if ptr.Deref(got.Status.CollisionCount, 0) != 1 || got.Status.StableRS == hash {
		t.Fatalf("collisionCount %v, stable revision %s: want 1 and a hash other than the taken %s", got.Status.CollisionCount, got.Status.StableRS, hash)
	}
	replicaSetNamed(t, ns, "web-"+got.Status.StableRS, 2)
	other := &appsv1.ReplicaSet{}
	if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(taken), other); err != nil {
		t.Fatal(err)
	}
	if metav1.GetControllerOf(other) != nil || ptr.Deref(other.Spec.Replicas, -1) != 0 {
		t.Errorf("the other ReplicaSet was touched: owner %v, replicas %v", metav1.GetControllerOf(other), other.Spec.Replicas)
	}
	waitEventNotes(t, ro, v1alpha1.ReasonHashCollision, "replicaset name web-"+hash+" is taken by another object: retrying with collisionCount 1")
}

// A ReplicaSet no one controls that the selector matches and that carries the revision's hash
// (left by a deleted Rollout) is adopted, pods and all, instead of a second one being created.
func TestOrphanReplicaSetOfTheRevisionIsAdopted(t *testing.T) {
	ns := namespace(t)
	playReplicaSetController(t, ns)
	ro := rollout(ns, 2)
	hash, err := workload.TemplateHash(&ro.Spec.Template, nil)
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{"app": "web", v1alpha1.PodTemplateHashLabel: hash}
	template := *ro.Spec.Template.DeepCopy()
	template.Labels = labels
	orphan := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web-" + hash, Labels: labels},
		Spec:       appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](2), Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: template},
	}
	create(t, orphan, ro)

	got := waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy)
	if got.Status.StableRS != hash {
		t.Fatalf("stable revision %s, want the orphan's %s", got.Status.StableRS, hash)
	}
	adopted := &appsv1.ReplicaSet{}
	if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(orphan), adopted); err != nil {
		t.Fatal(err)
	}
	if owner := metav1.GetControllerOf(adopted); owner == nil || owner.UID != get(t, ro).UID {
		t.Fatalf("the orphan's controller is %v, want the Rollout", owner)
	}
	wantReplicaSets(t, ns, map[string]int32{hash: 2})
}
