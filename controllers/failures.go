package controllers

import (
	"sync"
)

// failureCounts counts each object's reconcile passes that failed in a row (Rollouts by UID,
// AnalysisRuns by name). It is only in memory: after a restart the count starts again, and
// the ReconcileError condition already written stays until a pass succeeds.
type failureCounts[K comparable] struct {
	mu sync.Mutex
	n  map[K]int
}

// failed records one more failed pass and returns how many in a row there have been.
func (f *failureCounts[K]) failed(key K) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == nil {
		f.n = map[K]int{}
	}
	f.n[key]++
	return f.n[key]
}

// succeeded ends the run of failures (also for a deleted object).
func (f *failureCounts[K]) succeeded(key K) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.n, key)
}
