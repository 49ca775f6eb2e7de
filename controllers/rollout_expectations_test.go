package controllers

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
