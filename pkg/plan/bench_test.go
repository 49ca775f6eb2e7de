package plan

import (
	"testing"
)

// BenchmarkCompute is the planner's cost for one reconcile of a Rollout mid-canary with three
// revisions: what every Rollout event costs the controller before any API call.
func BenchmarkCompute(b *testing.B) {
	w := newWorld(b, 10, weight(10), pause(), weight(50), pauseFor("1m"))
	w.settle()
	w.setImage("web:2")
	w.settle()
	w.setImage("web:3")
	w.reconcile()
	in := Input{Rollout: w.ro, ReplicaSets: w.replicaSets(), Now: w.now}
	b.ReportAllocs()
	for b.Loop() {
		Compute(in)
	}
}
