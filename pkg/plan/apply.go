package plan

import (
	"fmt"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/workload"
)

func (c *pass) specReplicas(rs *appsv1.ReplicaSet) int32 {
	if rs == nil {
		return 0
	}
	return ptr.Deref(rs.Spec.Replicas, 1)
}

// available is how many of rs's pods are available for sure. A ReplicaSet controller reports
// a scale-down in the same pass that deletes the pods, before it sees them go: that status
// (observedGeneration current) still counts them, available ones too, until its next pass.
// Counting them would let the next scale-down take those pods a second time, below
// replicas - maxUnavailable; so each pod it still has beyond its spec counts as an available
// one going away (it may delete available pods first, as pod-deletion-cost allows).
func (c *pass) available(rs *appsv1.ReplicaSet) int32 {
	if rs == nil {
		return 0
	}
	return max(0, rs.Status.AvailableReplicas-deleting(rs))
}

// deleting is how many pods rs's status counts beyond its spec: pods its controller deletes
// and has not seen go yet.
func deleting(rs *appsv1.ReplicaSet) int32 {
	return max(0, rs.Status.Replicas-ptr.Deref(rs.Spec.Replicas, 1))
}

func (c *pass) side(rs *appsv1.ReplicaSet) Side {
	return Side{Replicas: c.specReplicas(rs), Available: c.available(rs)}
}

func (c *pass) sides(rss []*appsv1.ReplicaSet) []Side {
	out := make([]Side, len(rss))
	for i, rs := range rss {
		out[i] = c.side(rs)
	}
	return out
}

// settled: the ReplicaSet is set to want pods and that many are available.
func (c *pass) settled(rs *appsv1.ReplicaSet, want int32) bool {
	return c.specReplicas(rs) == want && c.available(rs) >= want
}

func (c *pass) othersGone() bool {
	for _, rs := range c.others {
		if c.specReplicas(rs) > 0 || rs.Status.Replicas > 0 {
			return false
		}
	}
	return true
}

// apply records a step as ReplicaSet scales (or the size of the one to create), replacing
// what an earlier step of the same pass planned.
func (c *pass) apply(s Scale) {
	set := func(rs *appsv1.ReplicaSet, n int32) {
		switch {
		case rs == nil:
		case deleting(rs) > 0:
			// Not scaled again until its controller has seen its last scale-down through: a
			// second scale would make it report counts from before both, which available
			// cannot bound.
			delete(c.p.Scale, rs.Name)
		case c.specReplicas(rs) != n:
			c.p.Scale[rs.Name] = n
		default:
			delete(c.p.Scale, rs.Name) // planned by an earlier step of this same pass
		}
	}
	setCurrent := func(n int32) {
		if c.current == nil {
			c.p.Create.Spec.Replicas = ptr.To(n)
		} else {
			set(c.current, n)
		}
	}
	if c.current == c.stable {
		setCurrent(s.Stable) // steady state: the one revision is the stable side
	} else {
		setCurrent(s.Canary)
		set(c.stable, s.Stable)
	}
	for i, rs := range c.others {
		set(rs, s.Others[i])
	}
}

func (c *pass) setWeights(canaryWeight int32) {
	c.st.Canary.Weights = &v1alpha1.TrafficWeights{
		Canary: v1alpha1.WeightDestination{Weight: canaryWeight, PodTemplateHash: c.hash},
		Stable: v1alpha1.WeightDestination{Weight: c.totalWeight() - canaryWeight, PodTemplateHash: c.st.StableRS},
	}
}

func (c *pass) setPhase(phase v1alpha1.RolloutPhase, message string) {
	if phase == v1alpha1.RolloutPhaseHealthy && c.st.Phase != v1alpha1.RolloutPhaseHealthy {
		c.p.note(v1alpha1.ReasonHealthy, message)
	}
	c.st.Phase, c.st.Message = phase, message
}

// planMetadata puts canaryMetadata on the canary's pods and stableMetadata on the stable
// ones, moving them when a revision changes side.
func (c *pass) planMetadata() {
	side := func(rs *appsv1.ReplicaSet, md *v1alpha1.PodTemplateMetadata) {
		want := v1alpha1.PodTemplateMetadata{}
		if md != nil {
			want = *md
		}
		switch {
		case rs == nil && c.p.Create != nil:
			workload.WithMetadata(c.p.Create, want)
		case rs != nil && !workload.SameMetadata(workload.EphemeralOf(rs), want):
			c.p.Metadata[rs.Name] = want
		}
	}
	stableMD, canaryMD := c.spec.StableMetadata, c.spec.CanaryMetadata
	if c.bg != nil {
		stableMD, canaryMD = c.bg.ActiveMetadata, c.bg.PreviewMetadata
	}
	if c.current == c.stable {
		side(c.current, stableMD)
		return
	}
	side(c.current, canaryMD)
	side(c.stable, stableMD)
}

// planSelectors points canaryService and stableService at their revisions, each only once that
// revision has available pods, so that a Service never selects nothing.
func (c *pass) planSelectors() {
	point := func(name string, rs *appsv1.ReplicaSet) {
		if name == "" || rs == nil || c.available(rs) == 0 {
			return
		}
		svc := c.in.Services[name]
		if svc.Spec.Selector[v1alpha1.PodTemplateHashLabel] != workload.HashOf(rs) {
			c.p.Selectors[name] = workload.HashOf(rs)
		}
	}
	// A side this plan scales to 0 loses its Service to the other side first (the selectors are
	// written before the scale-downs): a release's last stable pods, an abort's canary pods.
	stableSide, canarySide := c.stable, c.current
	if c.wanted(c.stable) == 0 && c.available(c.current) > 0 {
		stableSide = c.current
	}
	if c.available(c.current) == 0 || c.wanted(c.current) == 0 {
		canarySide = c.stable
	}
	point(c.spec.StableService, stableSide)
	if c.carriesRoutedWeight(canarySide) {
		point(c.spec.CanaryService, canarySide)
	}
}

// carriesRoutedWeight: with a router, the canary Service may move to rs only if rs's available
// pods carry as much of the canary weight the router reports as the revision it selects now
// does: the weight an earlier canary revision was sent must come down before the Service
// moves to one with fewer pods. A setCanaryScale sizes the current revision apart from its
// weight, as the user asked.
func (c *pass) carriesRoutedWeight(rs *appsv1.ReplicaSet) bool {
	if !c.routed() || rs == nil || (rs == c.current && canaryScaleAt(c.spec.Steps, ptr.Deref(c.st.CurrentStepIndex, 0)) != nil) {
		return true
	}
	svc := c.in.Services[c.spec.CanaryService]
	if svc == nil {
		return true
	}
	from := c.replicaSetOf(svc.Spec.Selector[v1alpha1.PodTemplateHashLabel])
	if from == nil || from == rs {
		return true
	}
	weight := c.seen().MaxCanaryWeight
	return c.capacity(c.available(rs)) >= min(weight, c.capacity(c.available(from)))
}

// replicaSetOf is the Rollout's ReplicaSet of a revision; nil when it has none.
func (c *pass) replicaSetOf(hash string) *appsv1.ReplicaSet {
	for _, rs := range c.in.ReplicaSets {
		if hash != "" && workload.HashOf(rs) == hash {
			return rs
		}
	}
	return nil
}

// wanted is the size this plan leaves rs at.
func (c *pass) wanted(rs *appsv1.ReplicaSet) int32 {
	if rs == nil {
		return 0
	}
	if n, ok := c.p.Scale[rs.Name]; ok {
		return n
	}
	return c.specReplicas(rs)
}

// planHistory deletes the oldest scaled-down revisions beyond revisionHistoryLimit.
func (c *pass) planHistory() {
	limit := c.ro.HistoryLimit()
	var idle []*appsv1.ReplicaSet
	for _, rs := range c.others {
		if rs != c.current && rs != c.stable && c.specReplicas(rs) == 0 && rs.Status.Replicas == 0 {
			if _, scaling := c.p.Scale[rs.Name]; !scaling {
				idle = append(idle, rs)
			}
		}
	}
	sort.Slice(idle, func(i, j int) bool { return workload.Revision(idle[i]) > workload.Revision(idle[j]) })
	for _, rs := range idle[min(limit, len(idle)):] {
		c.p.Delete = append(c.p.Delete, rs.Name)
	}
}

func (c *pass) setConditions() {
	st, ro, now := c.st, c.ro, c.in.Now
	if st.AvailableReplicas >= c.bounds.MinAvailable {
		setCondition(st, ro, now, v1alpha1.ConditionAvailable, true, v1alpha1.ReasonAvailable, fmt.Sprintf("%d of %d pods available", st.AvailableReplicas, c.replicas))
	} else {
		setCondition(st, ro, now, v1alpha1.ConditionAvailable, false, v1alpha1.ReasonUnavailable, fmt.Sprintf("%d of %d pods available, %d needed", st.AvailableReplicas, c.replicas, c.bounds.MinAvailable))
	}
	switch st.Phase {
	case v1alpha1.RolloutPhaseDegraded:
		setCondition(st, ro, now, v1alpha1.ConditionProgressing, false, v1alpha1.ReasonAborted, st.Message)
	case v1alpha1.RolloutPhaseHealthy:
		setCondition(st, ro, now, v1alpha1.ConditionProgressing, true, v1alpha1.ReasonCompleted, st.Message)
	default:
		setCondition(st, ro, now, v1alpha1.ConditionProgressing, true, v1alpha1.ReasonProgressing, st.Message)
	}
	pauseReason := v1alpha1.ReasonCanaryPauseStep
	if ro.Spec.Paused {
		pauseReason = v1alpha1.ReasonManuallyPaused
	}
	setCondition(st, ro, now, v1alpha1.ConditionPaused, st.Phase == v1alpha1.RolloutPhasePaused, pauseReason, st.Message)
	healthyReason := v1alpha1.ReasonStepsNotCompleted
	if st.Phase == v1alpha1.RolloutPhaseHealthy {
		healthyReason = v1alpha1.ReasonHealthy
	}
	setCondition(st, ro, now, v1alpha1.ConditionHealthy, st.Phase == v1alpha1.RolloutPhaseHealthy, healthyReason, st.Message)
}
