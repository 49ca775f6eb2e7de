package controllers

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"
)

// failureCounts counts each Rollout's reconcile passes that failed in a row. It is only in
// memory: after a restart the count starts again, and the ReconcileError condition already
// written stays until a pass succeeds.
type failureCounts struct {
	mu sync.Mutex
	n  map[types.UID]int
}

// failed records one more failed pass and returns how many in a row there have been.
func (f *failureCounts) failed(uid types.UID) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == nil {
		f.n = map[types.UID]int{}
	}
	f.n[uid]++
	return f.n[uid]
}

// succeeded ends the run of failures (also for a deleted Rollout).
func (f *failureCounts) succeeded(uid types.UID) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.n, uid)
}
