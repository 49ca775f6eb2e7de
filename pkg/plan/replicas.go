// Package plan is the rollout planner: observed state and time in, desired state and actions
// out. It is pure: no client, no clock, no logging.
package plan

import (
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Side is one ReplicaSet as the replica math sees it.
type Side struct {
	Replicas  int32 // desired replicas now set on the ReplicaSet
	Available int32 // pods available for at least minReadySeconds
}

// Bounds are the limits a scaling step must respect, resolved against spec.replicas.
type Bounds struct {
	MaxTotal     int32 // replicas + maxSurge: most pods that may exist at once
	MinAvailable int32 // replicas - maxUnavailable: fewest available pods a scale-down may leave
}

// ResolveBounds turns maxSurge (rounded up) and maxUnavailable (rounded down) into pod counts,
// as a Deployment does. Both zero would forbid every move, so maxUnavailable becomes 1 then.
func ResolveBounds(replicas int32, maxSurge, maxUnavailable *intstr.IntOrString) (Bounds, error) {
	surge, err := scaled(maxSurge, replicas, true)
	if err != nil {
		return Bounds{}, err
	}
	unavailable, err := scaled(maxUnavailable, replicas, false)
	if err != nil {
		return Bounds{}, err
	}
	if surge == 0 && unavailable == 0 {
		unavailable = 1
	}
	return Bounds{MaxTotal: replicas + surge, MinAvailable: max(0, replicas-unavailable)}, nil
}

func scaled(v *intstr.IntOrString, total int32, roundUp bool) (int32, error) {
	if v == nil {
		return 0, nil
	}
	n, err := intstr.GetScaledValueFromIntOrPercent(v, int(total), roundUp)
	return int32(max(0, n)), err
}

// WeightedCounts splits replicas between canary and stable to approximate a canary weight
// without a traffic router. A side with a share of the weight keeps at least one pod (and at
// least minPods when set), so 20% of 1 replica runs one pod of each.
func WeightedCounts(replicas, weight, minPods int32) (canary, stable int32) {
	if replicas <= 0 {
		return 0, 0
	}
	weight = min(max(weight, 0), 100)
	canary = int32((int64(replicas)*int64(weight) + 99) / 100)
	stable = replicas - canary
	if weight > 0 {
		canary = max(canary, 1, minPods)
	}
	if weight < 100 {
		stable = max(stable, 1, minPods)
	}
	return canary, stable
}

// Scale is one bounded move of every ReplicaSet toward its target.
type Scale struct {
	Canary, Stable int32
	Others         []int32 // older revisions, in the order given
}

// BoundedStep moves canary and stable toward their targets, and older revisions toward zero,
// as far as the bounds allow in one step:
//   - scale-ups come first and stop at MaxTotal pods in all;
//   - scale-downs remove unavailable pods freely, and available ones only while the available
//     pods left stay at or above MinAvailable; older revisions go first, then the side that
//     gives up its share.
//
// Called again as pods become available, it converges on the targets. Targets that together
// exceed MaxTotal cannot all be met; the stable side then gives up the difference.
func BoundedStep(b Bounds, canary, stable Side, others []Side, canaryTarget, stableTarget int32) Scale {
	if canaryTarget+stableTarget > b.MaxTotal {
		stableTarget = max(0, b.MaxTotal-canaryTarget)
	}
	out := Scale{Canary: canary.Replicas, Stable: stable.Replicas, Others: make([]int32, len(others))}
	total, available := canary.Replicas+stable.Replicas, canary.Available+stable.Available
	for i, o := range others {
		out.Others[i] = o.Replicas
		total += o.Replicas
		available += o.Available
	}

	room := max(0, b.MaxTotal-total)
	grow := func(cur *int32, target int32) {
		if n := min(room, max(0, target-*cur)); n > 0 {
			*cur += n
			room -= n
			total += n
		}
	}
	grow(&out.Canary, canaryTarget)
	grow(&out.Stable, stableTarget)

	budget := max(0, available-b.MinAvailable)
	shrink := func(cur *int32, avail, target int32) {
		excess := max(0, *cur-target)
		unavailable := max(0, *cur-avail)
		n := min(excess, unavailable+budget)
		if fromAvailable := n - min(n, unavailable); fromAvailable > 0 {
			budget -= fromAvailable
		}
		*cur -= n
	}
	for i, o := range others {
		shrink(&out.Others[i], o.Available, 0)
	}
	shrink(&out.Stable, stable.Available, stableTarget)
	shrink(&out.Canary, canary.Available, canaryTarget)
	return out
}
