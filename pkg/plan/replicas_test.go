package plan

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func TestResolveBounds(t *testing.T) {
	pct := func(s string) *intstr.IntOrString { return ptr.To(intstr.FromString(s)) }
	num := func(n int32) *intstr.IntOrString { return ptr.To(intstr.FromInt32(n)) }
	tests := []struct {
		replicas               int32
		surge, unavailable     *intstr.IntOrString
		maxTotal, minAvailable int32
	}{
		{10, pct("25%"), pct("25%"), 13, 8}, // surge rounds up, unavailable down
		{1, pct("25%"), pct("25%"), 2, 1},
		{4, num(1), num(0), 5, 4},
		{4, num(0), num(0), 4, 3}, // both zero would deadlock: one may be unavailable
		{3, nil, nil, 3, 2},
		{2, num(0), num(5), 2, 0}, // never below zero available
		{0, pct("25%"), pct("25%"), 0, 0},
	}
	for _, tt := range tests {
		b, err := ResolveBounds(tt.replicas, tt.surge, tt.unavailable)
		if err != nil {
			t.Fatalf("ResolveBounds(%d): %v", tt.replicas, err)
		}
		if b.MaxTotal != tt.maxTotal || b.MinAvailable != tt.minAvailable {
			t.Errorf("ResolveBounds(%d, %v, %v) = %+v, want maxTotal %d minAvailable %d", tt.replicas, tt.surge, tt.unavailable, b, tt.maxTotal, tt.minAvailable)
		}
	}
	if _, err := ResolveBounds(4, pct("lots"), nil); err == nil {
		t.Error("a malformed percentage resolved without an error")
	}
}

func TestWeightedCounts(t *testing.T) {
	tests := []struct {
		replicas, weight, surge, minPods int32
		canary, stable                   int32
	}{
		{10, 0, 1, 0, 0, 10},
		{10, 20, 0, 0, 2, 8},
		{10, 100, 1, 0, 10, 0},
		{0, 50, 1, 0, 0, 0},    // scaled to zero
		{10, 150, 0, 0, 10, 0}, // out of range weights are clamped
		{3, 20, 1, 0, 1, 3},    // 25% over 4 pods is closer to 20% than 33% over 3
		{10, 41, 0, 0, 4, 6},   // the floor is closer
		{10, 5, 0, 0, 1, 9},    // a tie (0.5 pods) rounds up: never 0 canary
		{1, 5, 1, 0, 1, 1},     // one replica with surge: a pod of each
		{1, 5, 0, 0, 0, 1},     // one replica without: the closest is no canary
		{2, 99, 0, 0, 1, 1},    // never 0 stable with 2+ pods
		{10, 10, 0, 2, 2, 9},   // minPodsPerReplicaSet lifts the canary
		{4, 90, 0, 2, 3, 2},    // ... and the stable side
		{1, 20, 0, 3, 1, 1},    // ... up to replicas
		// Argo Rollouts' own table (approximateWeightedCanaryStableReplicaCounts).
		{1, 49, 0, 0, 0, 1}, {1, 50, 0, 0, 1, 0}, {1, 1, 1, 0, 1, 1}, {1, 100, 1, 0, 1, 0},
		{2, 1, 0, 0, 1, 1}, {2, 1, 1, 0, 1, 2}, {2, 50, 1, 0, 1, 1}, {2, 99, 1, 0, 2, 1},
		{3, 10, 0, 0, 1, 2}, {3, 50, 0, 0, 2, 1}, {3, 10, 1, 0, 1, 3}, {3, 33, 1, 0, 1, 2}, {3, 49, 1, 0, 2, 2},
		{10, 1, 0, 0, 1, 9}, {10, 14, 0, 0, 1, 9}, {10, 15, 0, 0, 2, 8}, {10, 99, 0, 0, 9, 1},
		{10, 1, 1, 0, 1, 10}, {10, 18, 1, 0, 2, 9}, {10, 20, 1, 0, 2, 8}, {10, 24, 1, 0, 3, 8}, {10, 99, 1, 0, 10, 1},
	}
	for _, tt := range tests {
		c, s := WeightedCounts(tt.replicas, tt.weight, tt.surge, tt.minPods)
		if c != tt.canary || s != tt.stable {
			t.Errorf("WeightedCounts(%d, %d%%, surge %d, min %d) = %d/%d, want %d/%d", tt.replicas, tt.weight, tt.surge, tt.minPods, c, s, tt.canary, tt.stable)
		}
	}
}

func TestBoundedStep(t *testing.T) {
	tests := []struct {
		name                       string
		bounds                     Bounds
		canary, stable             Side
		others                     []Side
		canaryTarget, stableTarget int32
		want                       Scale
	}{
		{"surge room goes to the canary when stable is at its target", Bounds{MaxTotal: 11, MinAvailable: 9}, Side{0, 0}, Side{10, 10}, nil, 2, 8,
			Scale{Canary: 1, Stable: 9, Others: []int32{}}},
		{"stable is topped up before the canary grows", Bounds{MaxTotal: 4, MinAvailable: 3}, Side{0, 0}, Side{2, 2}, nil, 1, 3,
			Scale{Canary: 1, Stable: 3, Others: []int32{}}},
		{"stable takes the last surge pod first", Bounds{MaxTotal: 4, MinAvailable: 3}, Side{0, 0}, Side{3, 3}, nil, 2, 3,
			Scale{Canary: 1, Stable: 3, Others: []int32{}}},
		{"no surge: stable shrinks within maxUnavailable first", Bounds{MaxTotal: 10, MinAvailable: 9}, Side{0, 0}, Side{10, 10}, nil, 2, 8,
			Scale{Canary: 0, Stable: 9, Others: []int32{}}},
		{"stable waits for the canary to become available", Bounds{MaxTotal: 11, MinAvailable: 10}, Side{1, 0}, Side{10, 10}, nil, 2, 8,
			Scale{Canary: 1, Stable: 10, Others: []int32{}}},
		{"available canary frees stable pods", Bounds{MaxTotal: 11, MinAvailable: 10}, Side{1, 1}, Side{10, 10}, nil, 2, 8,
			Scale{Canary: 1, Stable: 9, Others: []int32{}}},
		{"unavailable pods go freely", Bounds{MaxTotal: 10, MinAvailable: 10}, Side{0, 0}, Side{10, 7}, nil, 5, 5,
			Scale{Canary: 0, Stable: 7, Others: []int32{}}},
		{"older revisions go before stable", Bounds{MaxTotal: 10, MinAvailable: 8}, Side{2, 2}, Side{6, 6}, []Side{{2, 2}}, 3, 7,
			Scale{Canary: 2, Stable: 6, Others: []int32{0}}},
		{"weight back down: stable grows before canary shrinks", Bounds{MaxTotal: 11, MinAvailable: 10}, Side{5, 5}, Side{5, 5}, nil, 2, 8,
			Scale{Canary: 5, Stable: 6, Others: []int32{}}}, // canary shrinks once the new stable pod is available
		{"targets above maxTotal: stable gives way", Bounds{MaxTotal: 1, MinAvailable: 0}, Side{0, 0}, Side{1, 1}, nil, 1, 1,
			Scale{Canary: 0, Stable: 0, Others: []int32{}}},
		{"at the targets nothing moves", Bounds{MaxTotal: 13, MinAvailable: 8}, Side{2, 2}, Side{8, 8}, nil, 2, 8,
			Scale{Canary: 2, Stable: 8, Others: []int32{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := BoundedStep(tt.bounds, tt.canary, tt.stable, tt.others, tt.canaryTarget, tt.stableTarget)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("BoundedStep = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// sim is a toy ReplicaSet controller: scale-downs remove unavailable pods first, and each tick
// some of the pods not yet available become available.
type sim struct{ sides []Side }

func (s *sim) apply(replicas []int32) {
	for i := range s.sides {
		s.sides[i].Replicas = replicas[i]
		s.sides[i].Available = min(s.sides[i].Available, replicas[i])
	}
}

func (s *sim) progress(rng *rand.Rand) {
	for i := range s.sides {
		if missing := s.sides[i].Replicas - s.sides[i].Available; missing > 0 {
			s.sides[i].Available += rng.Int32N(missing + 1)
		}
	}
}

func (s *sim) totals() (total, available int32) {
	for _, x := range s.sides {
		total += x.Replicas
		available += x.Available
	}
	return total, available
}

// Property: from any state, repeated bounded steps never exceed maxTotal pods (or the count
// already there), never take available pods below minAvailable (or what was available), and
// reach the targets once pods become available.
func TestBoundedStepInvariants(t *testing.T) {
	for seed := uint64(0); seed < 2000; seed++ {
		rng := rand.New(rand.NewPCG(seed, 42))
		replicas := rng.Int32N(12)
		surge, unavailable := intstr.FromInt32(rng.Int32N(4)), intstr.FromInt32(rng.Int32N(4))
		if rng.IntN(2) == 0 {
			surge, unavailable = intstr.FromString(fmt.Sprintf("%d%%", rng.IntN(60))), intstr.FromString(fmt.Sprintf("%d%%", rng.IntN(60)))
		}
		b, err := ResolveBounds(replicas, &surge, &unavailable)
		if err != nil {
			t.Fatal(err)
		}
		s := &sim{sides: make([]Side, 2+rng.IntN(3))}
		for i := range s.sides {
			r := rng.Int32N(replicas + 2)
			s.sides[i] = Side{Replicas: r, Available: rng.Int32N(r + 1)}
		}
		canaryTarget, stableTarget := WeightedCounts(replicas, rng.Int32N(101), b.MaxTotal-replicas, 0)
		desc := fmt.Sprintf("seed %d: replicas %d bounds %+v targets %d/%d start %+v", seed, replicas, b, canaryTarget, stableTarget, s.sides)

		for tick := 0; ; tick++ {
			if tick > 200 {
				t.Fatalf("%s: no convergence, stuck at %+v", desc, s.sides)
			}
			totalBefore, availBefore := s.totals()
			step := BoundedStep(b, s.sides[0], s.sides[1], s.sides[2:], canaryTarget, stableTarget)
			next := append([]int32{step.Canary, step.Stable}, step.Others...)
			s.apply(next)
			total, avail := s.totals()
			if total > max(b.MaxTotal, totalBefore) {
				t.Fatalf("%s: tick %d: %d pods, above maxTotal %d (was %d)", desc, tick, total, b.MaxTotal, totalBefore)
			}
			if avail < min(b.MinAvailable, availBefore) {
				t.Fatalf("%s: tick %d: %d available, below minAvailable %d (was %d)", desc, tick, avail, b.MinAvailable, availBefore)
			}
			wantStable := stableTarget
			if canaryTarget+stableTarget > b.MaxTotal {
				wantStable = max(0, b.MaxTotal-canaryTarget)
			}
			done := s.sides[0].Replicas == canaryTarget && s.sides[1].Replicas == wantStable
			for _, o := range s.sides[2:] {
				done = done && o.Replicas == 0
			}
			if done {
				break
			}
			s.progress(rng)
		}
	}
}
