package plan

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/traffic"
	"github.com/ramp-dev/ramp/pkg/workload"
)

// With trafficRouting the router, not the pod counts, splits traffic. The rules here keep
// every request on a side with available pods:
//   - the canary is sized for its step (setWeight, or setCanaryScale) and never below what the
//     router still sends it; the stable side stays at full size, or with dynamicStableScale
//     at what the router still sends it;
//   - the weight moves to a step's weight only once the canary has that step's pods available,
//     falls to 0 when the canary has none, and (dynamicStableScale) moves back to the stable
//     side only as fast as the stable side has pods for it;
//   - a step is done when the router confirms its weight and managed routes.

// target is what one step asks for: pods on each side and the canary's traffic weight.
type target struct {
	canary, stable int32
	weight         int32 // in units of totalWeight
	// sized: a setCanaryScale sizes the canary apart from its weight, as the user asked.
	sized bool
}

func (c *pass) routed() bool { return c.spec.TrafficRouting != nil }

// totalWeight is what weights are shares of: maxTrafficWeight with a router, else 100.
func (c *pass) totalWeight() int32 { return c.spec.TotalWeight() }

// seen is what the router reported before this plan.
func (c *pass) seen() traffic.State {
	if c.in.Traffic == nil {
		return traffic.State{}
	}
	return c.in.Traffic.State
}

// podsFor is how many of spec.replicas pods carry weight w: rounded up, at least
// minPodsPerReplicaSet when w > 0, never more than replicas.
func (c *pass) podsFor(w int32) int32 {
	total := c.totalWeight()
	if w <= 0 || c.replicas == 0 {
		return 0
	}
	n := int32((int64(c.replicas)*int64(min(w, total)) + int64(total) - 1) / int64(total))
	return min(max(n, 1, ptr.Deref(c.spec.MinPodsPerReplicaSet, 0)), c.replicas)
}

// capacity is the weight n available pods can carry.
func (c *pass) capacity(n int32) int32 {
	if c.replicas == 0 || n >= c.replicas {
		return c.totalWeight()
	}
	return int32(int64(n) * int64(c.totalWeight()) / int64(c.replicas))
}

// targetAt is what step idx asks for.
func (c *pass) targetAt(idx int32) target {
	w := c.spec.WeightAt(idx)
	if !c.routed() {
		can, stable := WeightedCounts(c.replicas, w, c.bounds.MaxTotal-c.replicas, ptr.Deref(c.spec.MinPodsPerReplicaSet, 0))
		return target{canary: can, stable: stable, weight: w}
	}
	seen := c.seen()
	t := target{weight: w, stable: c.replicas}
	if scale := canaryScaleAt(c.spec.Steps, idx); scale != nil {
		t.canary, t.sized = c.scaleCount(scale), true
		if seen.MaxCanaryWeight > 0 {
			t.canary = max(t.canary, 1)
		}
	} else {
		t.canary = max(c.podsFor(w), c.podsFor(seen.MaxCanaryWeight))
	}
	if c.spec.DynamicStableScale && c.canarySideSelects(c.hash) {
		t.stable = c.podsFor(c.totalWeight() - min(w, seen.CanaryWeight))
	}
	return t
}

// scaleCount is the canary size a setCanaryScale asks for.
func (c *pass) scaleCount(s *v1alpha1.SetCanaryScale) int32 {
	if s.Replicas != nil {
		return *s.Replicas
	}
	pct := ptr.Deref(s.Weight, 0)
	return int32((int64(c.replicas)*int64(pct) + 99) / 100)
}

// canaryScaleAt is the setCanaryScale in force at step idx; nil when the canary follows the
// weight (none yet, matchTrafficWeight, or all steps done).
func canaryScaleAt(steps []v1alpha1.CanaryStep, idx int32) *v1alpha1.SetCanaryScale {
	if int(idx) >= len(steps) {
		return nil
	}
	var in *v1alpha1.SetCanaryScale
	for _, s := range steps[:idx+1] {
		if s.SetCanaryScale != nil {
			in = s.SetCanaryScale
		}
	}
	if in != nil && in.MatchTrafficWeight {
		return nil
	}
	return in
}

// weightFor is the weight to route now for a target: its own once the canary has its pods,
// never more than the router already sends while it does not, nor more than the canary's
// available pods carry (unless a setCanaryScale sized it apart from its weight), none when
// the canary has no available pod, and never more back to stable than its pods can carry.
func (c *pass) weightFor(t target) int32 {
	seen := c.seen()
	w := t.weight
	if c.available(c.current) < t.canary || c.specReplicas(c.current) < t.canary {
		w = min(w, seen.CanaryWeight)
	}
	if !t.sized {
		w = min(w, c.capacity(c.available(c.current)))
	}
	if c.available(c.current) == 0 {
		w = 0
	}
	if floor := c.stableFloor(c.stable); w < floor {
		w = min(floor, max(w, seen.MaxCanaryWeight))
	}
	return w
}

// stableFloor is the lowest canary weight the stable side's available pods allow: traffic
// moves back to it only as fast as it has pods for it (all at once when it runs at full
// size, in proportion with dynamicStableScale, not at all while it has none).
func (c *pass) stableFloor(stable *appsv1.ReplicaSet) int32 {
	avail := c.available(stable)
	switch {
	case c.spec.DynamicStableScale:
		return c.totalWeight() - c.capacity(avail)
	case avail == 0 && c.replicas > 0:
		return c.totalWeight()
	}
	return 0
}

// scaleTo records the ReplicaSet scales for a target. Without a router the step is bounded by
// maxSurge and maxUnavailable; with one, both sides get their size directly (the router, not
// the pod count, decides traffic) and revisions that take no traffic are scaled down.
func (c *pass) scaleTo(t target) {
	if !c.routed() {
		c.apply(BoundedStep(c.bounds, c.side(c.current), c.side(c.stable), c.sides(c.others), t.canary, t.stable))
		return
	}
	others := make([]int32, len(c.others))
	for i, rs := range c.others {
		if c.serving(rs) {
			others[i] = c.specReplicas(rs)
		}
	}
	c.apply(Scale{Canary: t.canary, Stable: t.stable, Others: others})
}

// canarySideSelects: the canary weight reaches the revision (the canary Service or subset
// selects it) rather than the stable pods the canary side falls back to.
func (c *pass) canarySideSelects(hash string) bool {
	if ist := c.spec.TrafficRouting.Istio; ist != nil && ist.DestinationRule != nil {
		return c.seen().CanaryHash == hash
	}
	svc := c.in.Services[c.spec.CanaryService]
	return svc != nil && svc.Spec.Selector[v1alpha1.PodTemplateHashLabel] == hash
}

// serving: the router still sends the revision traffic, through a Service or subset that
// selects it (an earlier canary, while the weight moves off it).
func (c *pass) serving(rs *appsv1.ReplicaSet) bool {
	seen, hash := c.seen(), workload.HashOf(rs)
	selects := func(service, subsetHash string) bool {
		svc := c.in.Services[service]
		return subsetHash == hash || (service != "" && svc != nil && svc.Spec.Selector[v1alpha1.PodTemplateHashLabel] == hash)
	}
	return (seen.MaxCanaryWeight > 0 && selects(c.spec.CanaryService, seen.CanaryHash)) ||
		(seen.CanaryWeight < c.totalWeight() && selects(c.spec.StableService, seen.StableHash))
}

// route sets the traffic the plan asks of the router, and the status weights, for a target
// at step idx. Without a router the weight is only reported.
func (c *pass) route(t target, idx int32) {
	if !c.routed() {
		c.setWeights(t.weight)
		return
	}
	d := c.desired(c.weightFor(t))
	d.HeaderRoutes, d.MirrorRoutes = routesAt(c.spec, idx)
	c.p.Traffic = &d
	c.setWeights(c.seen().CanaryWeight)
}

// desired is the router state for a canary weight, with the subsets' hashes.
func (c *pass) desired(w int32) traffic.Desired {
	canaryHash := c.hash
	if c.available(c.current) == 0 {
		canaryHash = c.st.StableRS
	}
	return traffic.Desired{CanaryWeight: w, StableHash: c.st.StableRS, CanaryHash: canaryHash}
}

// reached reports whether the pods and, with a router, the traffic are where t wants them.
func (c *pass) reached(t target, idx int32) bool {
	if !c.routed() {
		return c.settled(c.current, t.canary) && c.specReplicas(c.stable) <= t.stable && c.othersGone()
	}
	seen := c.seen()
	var want traffic.Desired
	want.HeaderRoutes, want.MirrorRoutes = routesAt(c.spec, idx)
	return c.settled(c.current, t.canary) && c.specReplicas(c.stable) == t.stable && c.othersGone() &&
		c.weightFor(t) == t.weight && seen.CanaryWeight == t.weight && seen.MaxCanaryWeight == t.weight &&
		traffic.SameRoutes(want.RouteNames(), seen.Routes) && seen.Waiting == ""
}

// routesAt are the managed routes in force at step idx, in managedRoutes order: each
// setHeaderRoute or setMirrorRoute so far sets its route, or removes it when it has no match.
// None are left once every step is done.
func routesAt(spec *v1alpha1.CanaryStrategy, idx int32) ([]traffic.HeaderRoute, []traffic.MirrorRoute) {
	if spec.TrafficRouting == nil || int(idx) >= len(spec.Steps) {
		return nil, nil
	}
	headers, mirrors := map[string]traffic.HeaderRoute{}, map[string]traffic.MirrorRoute{}
	for _, s := range spec.Steps[:idx+1] {
		if h := s.SetHeaderRoute; h != nil {
			delete(headers, h.Name)
			if len(h.Match) > 0 {
				headers[h.Name] = traffic.HeaderRoute{Name: h.Name, Match: h.Match}
			}
		}
		if m := s.SetMirrorRoute; m != nil {
			delete(mirrors, m.Name)
			if len(m.Match) > 0 {
				mirrors[m.Name] = traffic.MirrorRoute{Name: m.Name, Match: m.Match, Percentage: m.MirrorPercentage()}
			}
		}
	}
	var hs []traffic.HeaderRoute
	var ms []traffic.MirrorRoute
	for _, r := range spec.TrafficRouting.ManagedRoutes {
		if h, ok := headers[r.Name]; ok {
			hs = append(hs, h)
		}
		if m, ok := mirrors[r.Name]; ok {
			ms = append(ms, m)
		}
	}
	return hs, ms
}

// planStableRouted plans the stable revision with a router: its Service (and subset) select
// it first, then the canary weight returns to 0, then, scaleDownDelaySeconds later, earlier
// revisions lose their pods. It returns what the release still waits for ("" when nothing),
// and the cleanup of earlier revisions that take no traffic any more, for the message.
func (c *pass) planStableRouted() (waiting, cleanup string) {
	st, now, seen := c.st, c.in.Now, c.seen()
	selected := c.stableSelected()
	w := int32(0)
	if !selected {
		w = seen.CanaryWeight // traffic stays where it is until the stable side selects the revision
	}
	if floor := c.stableFloor(c.current); w < floor {
		w = min(floor, seen.MaxCanaryWeight)
	}
	c.p.Traffic = &traffic.Desired{CanaryWeight: w, StableHash: c.hash, CanaryHash: c.hash}
	c.setWeights(seen.CanaryWeight)

	others := make([]int32, len(c.others))
	for i, rs := range c.others {
		others[i] = c.specReplicas(rs)
	}
	defer func() { c.apply(Scale{Stable: c.replicas, Others: others}) }()
	switch {
	case c.othersGone():
		st.Canary.ScaleDownAt = nil
		if seen.MaxCanaryWeight > 0 {
			return fmt.Sprintf("revision %s is stable: waiting for the router to confirm canary weight 0 (now %d)", c.hash, seen.MaxCanaryWeight), ""
		}
		return "", ""
	case !selected:
		return fmt.Sprintf("revision %s is stable: waiting for %s to select it before the canary weight returns to 0", c.hash, c.stableSideName()), ""
	case seen.MaxCanaryWeight > 0:
		return fmt.Sprintf("revision %s is stable: waiting for the router to confirm canary weight 0 (now %d)", c.hash, seen.MaxCanaryWeight), ""
	}
	if st.Canary.ScaleDownAt == nil {
		st.Canary.ScaleDownAt = ptr.To(metav1.NewTime(now.Add(c.spec.ScaleDownDelay())))
	}
	if at := st.Canary.ScaleDownAt.Time; now.Before(at) {
		c.p.requeueAt(now, at)
		return "", fmt.Sprintf("; earlier revisions take no traffic and keep their pods until %s (scaleDownDelaySeconds)", at.UTC().Format(time.RFC3339))
	}
	clear(others)
	return "", "; earlier revisions take no traffic and are scaling down"
}

// stableSelected: the stable Service, and the stable subset with a DestinationRule, select
// the current revision.
func (c *pass) stableSelected() bool {
	if name := c.spec.StableService; name != "" {
		if svc := c.in.Services[name]; svc == nil || svc.Spec.Selector[v1alpha1.PodTemplateHashLabel] != c.hash {
			return false
		}
	}
	if ist := c.spec.TrafficRouting.Istio; ist != nil && ist.DestinationRule != nil && c.seen().StableHash != c.hash {
		return false
	}
	return true
}

func (c *pass) stableSideName() string {
	if ist := c.spec.TrafficRouting.Istio; ist != nil && ist.DestinationRule != nil {
		return "the stable subset " + ist.DestinationRule.StableSubsetName
	}
	return "Service " + c.spec.StableService
}

// trafficWait says, with a router, what traffic the step still waits for.
func (c *pass) trafficWait(t target) string {
	if !c.routed() {
		return ""
	}
	seen := c.seen()
	if seen.Waiting != "" {
		return fmt.Sprintf("; %s routes weight %d, held: %s", c.routerName(), seen.CanaryWeight, seen.Waiting)
	}
	if seen.CanaryWeight == t.weight && seen.MaxCanaryWeight == t.weight {
		return fmt.Sprintf("; %s routes weight %d", c.routerName(), t.weight)
	}
	return fmt.Sprintf("; %s routes weight %d, moving to %d once the canary has %d available pods", c.routerName(), seen.CanaryWeight, t.weight, t.canary)
}

func (c *pass) routerName() string { return c.spec.TrafficRouting.RouterType() }
