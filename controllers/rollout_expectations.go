package controllers

import (
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/types"
)

// expectations remembers the generation of each ReplicaSet the controller last wrote, so that
// a reconcile never plans from a cache that has not yet seen those writes: acting on stale
// replica counts could take more available pods away than maxUnavailable allows.
type expectations struct {
	mu   sync.Mutex
	want map[types.UID]int64
}

// wrote records that the ReplicaSet reached generation gen through our write.
func (e *expectations) wrote(rs *appsv1.ReplicaSet) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.want == nil {
		e.want = map[types.UID]int64{}
	}
	e.want[rs.UID] = max(e.want[rs.UID], rs.Generation)
}

// stale names a ReplicaSet that is not safe to plan from yet: the cache has not seen our last
// write to it, or the ReplicaSet controller has not yet counted its pods for its current spec.
// Either catches up with an event that brings the Rollout back.
func (e *expectations) stale(rss []*appsv1.ReplicaSet) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, rs := range rss {
		if rs.Generation < e.want[rs.UID] || rs.Status.ObservedGeneration < rs.Generation {
			return rs.Name
		}
	}
	for _, rs := range rss {
		delete(e.want, rs.UID) // caught up
	}
	return ""
}
