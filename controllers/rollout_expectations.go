package controllers

import (
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/resourceversion"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// expectations remembers the generation of each ReplicaSet, and the resourceVersion of each
// Rollout, the controller last wrote, so that a reconcile never plans from a cache that has not
// yet seen those writes: acting on stale replica counts could take more available pods away
// than maxUnavailable allows, and a plan from a status older than our own last one would undo
// its routing (send traffic back to a revision it had just left).
type expectations struct {
	mu       sync.Mutex
	want     map[types.UID]int64
	rollouts map[types.UID]string
}

// wroteRollout records the resourceVersion our status write gave the Rollout.
func (e *expectations) wroteRollout(ro *v1alpha1.Rollout) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.rollouts == nil {
		e.rollouts = map[types.UID]string{}
	}
	e.rollouts[ro.UID] = ro.ResourceVersion
}

// staleRollout reports whether the cached Rollout predates our last status write to it; the
// write's own watch event brings it back.
func (e *expectations) staleRollout(ro *v1alpha1.Rollout) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	want, ok := e.rollouts[ro.UID]
	if !ok {
		return false
	}
	if cmp, err := resourceversion.CompareResourceVersion(ro.ResourceVersion, want); err == nil && cmp < 0 {
		return true
	}
	delete(e.rollouts, ro.UID) // caught up (or not comparable: nothing to wait for)
	return false
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

// forget drops what is expected of an object (a Rollout or a ReplicaSet) that was deleted.
func (e *expectations) forget(uid types.UID) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.want, uid)
	delete(e.rollouts, uid)
}

// size is how many objects the expectations remember.
func (e *expectations) size() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.want) + len(e.rollouts)
}
