// Package plan is the rollout planner: observed state and time in, desired state and actions
// out. It is pure: no client, no clock, no logging.
package plan

import (
	"math"

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
// as a Deployment does. Both set to 0 is refused at admission (and by Validate); percentages
// that round to 0 for this many replicas would forbid every move, so maxUnavailable becomes 1
// then, as with a Deployment and Argo Rollouts.
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

// WeightedCounts approximates a canary weight with pod counts when no traffic router splits
// traffic, as Argo Rollouts does: the canary count is the floor or the ceiling of
// replicas*weight/100, over replicas pods in all or, when maxSurge allows it, replicas+1;
// the pair whose canary share is closest to the weight wins (ties go to the larger canary).
// For 0 < weight < 100 and two or more pods in all, neither side is left with none. Each side
// with a share of the weight keeps at least minPods when that is set (ramp's own).
// Examples: replicas 3, weight 20, maxSurge 1: 1 canary, 3 stable (25%); replicas 10,
// weight 41: 4 canary, 6 stable.
func WeightedCounts(replicas, weight, maxSurge, minPods int32) (canary, stable int32) {
	if replicas <= 0 {
		return 0, 0
	}
	weight = min(max(weight, 0), 100)
	canary, total := approximateWeight(replicas, weight, maxSurge)
	stable = total - canary
	if weight > 0 && minPods > 0 {
		canary = max(canary, min(minPods, replicas))
	}
	if weight < 100 && minPods > 0 {
		stable = max(stable, min(minPods, replicas))
	}
	return canary, stable
}

// approximateWeight is Argo Rollouts' choice of canary count and total for a weight (see
// WeightedCounts).
func approximateWeight(replicas, weight, maxSurge int32) (canary, total int32) {
	type option struct{ canary, total int32 }
	exact := float64(replicas) * float64(weight) / 100
	ceil, floor := int32(math.Ceil(exact)), int32(math.Floor(exact))
	zeroAllowed := weight == 100 || weight == 0 || (replicas == 1 && maxSurge == 0)
	tied := func(total int32) bool {
		_, frac := math.Modf(float64(total) * float64(weight) / 100)
		return frac == 0.5
	}
	var options []option
	if ceil < replicas || zeroAllowed {
		options = append(options, option{ceil, replicas})
	}
	if !tied(replicas) && (floor != 0 || zeroAllowed) {
		options = append(options, option{floor, replicas})
	}
	if maxSurge > 0 {
		options = append(options, option{ceil, replicas + 1})
		if !tied(replicas+1) && (floor != 0 || zeroAllowed) {
			options = append(options, option{floor, replicas + 1})
		}
	}
	if len(options) == 0 {
		return 0, replicas
	}
	delta := func(o option) float64 {
		return math.Abs(float64(o.canary)*100/float64(o.total) - float64(weight))
	}
	best := options[0]
	for _, o := range options[1:] {
		if delta(o) < delta(best) {
			best = o
		}
	}
	return best.canary, best.total
}

// Scale is one bounded move of every ReplicaSet toward its target.
type Scale struct {
	Canary, Stable int32
	Others         []int32 // older revisions, in the order given
}

// BoundedStep moves canary and stable toward their targets, and older revisions toward zero,
// as far as the bounds allow in one step:
//   - scale-ups come first and stop at MaxTotal pods in all; the stable side is topped up
//     before the canary grows, as in Argo Rollouts;
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
	grow(&out.Stable, stableTarget)
	grow(&out.Canary, canaryTarget)

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
