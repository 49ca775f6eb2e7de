package controllers

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

func rsAt(generation, observed int64) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web-1", UID: "u1", Generation: generation},
		Status:     appsv1.ReplicaSetStatus{ObservedGeneration: observed},
	}
}

func TestExpectations(t *testing.T) {
	var e expectations
	if got := e.stale([]*appsv1.ReplicaSet{rsAt(2, 2)}); got != "" {
		t.Errorf("a settled ReplicaSet reads as stale: %q", got)
	}
	e.wrote(rsAt(3, 2))
	if got := e.stale([]*appsv1.ReplicaSet{rsAt(2, 2)}); got != "web-1" {
		t.Errorf("the cache has not seen our write (generation 3), want stale, got %q", got)
	}
	if got := e.stale([]*appsv1.ReplicaSet{rsAt(3, 2)}); got != "web-1" {
		t.Errorf("the ReplicaSet controller has not counted generation 3, want stale, got %q", got)
	}
	if got := e.stale([]*appsv1.ReplicaSet{rsAt(3, 3)}); got != "" {
		t.Errorf("caught up, want fresh, got %q", got)
	}
	if len(e.want) != 0 {
		t.Errorf("a caught-up ReplicaSet is still remembered: %v", e.want)
	}
}

// A deleted Rollout or ReplicaSet leaves nothing behind.
func TestExpectationsForgetDeletedObjects(t *testing.T) {
	var e expectations
	e.wrote(rsAt(3, 2))
	e.wroteRollout(&v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{UID: "ro", ResourceVersion: "5"}})
	if e.size() != 2 {
		t.Fatalf("remembers %d objects, want 2", e.size())
	}
	e.forget("u1")
	e.forget("ro")
	if e.size() != 0 {
		t.Errorf("remembers %d objects after their deletion, want none", e.size())
	}
}
