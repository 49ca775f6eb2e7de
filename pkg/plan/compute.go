package plan

import (
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/workload"
)

// pass is one planning pass over a Rollout, of either strategy: the ReplicaSet sides, the
// status being written and the plan. Canary and blue-green (bluegreen.go) plan with it.
type pass struct {
	in       Input
	ro       *v1alpha1.Rollout
	spec     *v1alpha1.CanaryStrategy // empty for blue-green: its canary-only fields do nothing
	bg       *v1alpha1.BlueGreenStrategy
	st       *v1alpha1.RolloutStatus
	p        *Plan
	replicas int32
	bounds   Bounds
	hash     string
	current  *appsv1.ReplicaSet // the revision of spec.template; nil until created
	stable   *appsv1.ReplicaSet // status.stableRS; nil when it is gone
	others   []*appsv1.ReplicaSet
}

// Compute plans one reconcile of a Rollout: the scale of each ReplicaSet, the Services'
// selectors, the new status and the timeline notes. It is pure and safe to call again from
// scratch at any time (a restarted controller plans from the status it wrote).
func Compute(in Input) Plan {
	ro := in.Rollout
	in.ReplicaSets = append(slices.Clone(in.ReplicaSets), in.Orphans...)
	p := Plan{Status: *ro.Status.DeepCopy(), Scale: map[string]int32{}, Selectors: map[string]string{}, ServiceAnnotations: map[string]map[string]string{}, Metadata: map[string]v1alpha1.PodTemplateMetadata{}}
	for _, rs := range in.Orphans {
		p.Adopt = append(p.Adopt, rs.Name)
	}
	st := &p.Status
	st.ObservedGeneration = ro.Generation
	clearReconcileError(&p)

	if in.WorkloadInvalid != "" {
		degrade(&p, &ro.Status, in.Now, ro, v1alpha1.ReasonWorkloadNotFound, in.WorkloadInvalid)
		countReplicas(st, ro, in.ReplicaSets, "")
		return p
	}
	if msg := Validate(ro); msg != "" {
		degrade(&p, &ro.Status, in.Now, ro, v1alpha1.ReasonInvalidSpec, msg)
		setCondition(st, ro, in.Now, v1alpha1.ConditionInvalidSpec, true, v1alpha1.ReasonInvalidSpec, msg)
		countReplicas(st, ro, in.ReplicaSets, "")
		return p
	}
	setCondition(st, ro, in.Now, v1alpha1.ConditionInvalidSpec, false, "ValidSpec", "")

	c := &pass{in: in, ro: ro, spec: ro.Spec.Strategy.Canary, bg: ro.Spec.Strategy.BlueGreen, st: st, p: &p, replicas: ro.DesiredReplicas()}
	if c.spec == nil {
		c.spec = &v1alpha1.CanaryStrategy{}
	}
	c.bounds, _ = ResolveBounds(c.replicas, c.spec.MaxSurge, c.spec.MaxUnavailable) // validated above
	written, err := workload.TemplateHash(&ro.Spec.Template, st.CollisionCount)
	if err != nil {
		degrade(&p, &ro.Status, in.Now, ro, v1alpha1.ReasonInvalidSpec, "spec.template: "+err.Error())
		return p
	}
	hash := revisionHash(in, written)
	c.hash = hash
	if msg := c.missingService(); msg != "" {
		degrade(&p, &ro.Status, in.Now, ro, v1alpha1.ReasonServiceNotFound, msg)
		countReplicas(st, ro, in.ReplicaSets, hash)
		return p
	}
	if in.Traffic != nil && in.Traffic.Invalid != "" && c.routed() {
		degrade(&p, &ro.Status, in.Now, ro, v1alpha1.ReasonTrafficInvalid, in.Traffic.Invalid)
		countReplicas(st, ro, in.ReplicaSets, hash)
		return p
	}
	if in.AnalysisInvalid != "" {
		degrade(&p, &ro.Status, in.Now, ro, v1alpha1.ReasonAnalysisInvalid, in.AnalysisInvalid)
		countReplicas(st, ro, in.ReplicaSets, hash)
		return p
	}
	before := st.DeepCopy()
	c.sortReplicaSets()
	recorded := c.recordManaged()
	c.planIngresses()
	if recorded {
		countReplicas(st, ro, in.ReplicaSets, hash)
		return p
	}
	if c.current == nil {
		p.Create = workload.NewReplicaSet(ro, hash, c.nextRevision(), 0)
		if p.Create.Name == in.NameTaken {
			return collided(p)
		}
	} else if next := c.nextRevision(); workload.Revision(c.current) < next-1 {
		p.Renumber = map[string]int64{c.current.Name: next}
	}

	if st.StableRS == "" || (c.stable == nil && st.StableRS != hash) {
		// First revision, or the stable one was deleted: nothing to protect, no steps.
		c.adoptAsStable()
	}
	if hash != st.StableRS && c.stillServing(c.current) {
		c.p.note(v1alpha1.ReasonRolledBack, fmt.Sprintf("template is back to revision %s, which still has all its pods (within scaleDownDelaySeconds): fast rollback, steps skipped", hash))
		c.others = append(c.others, c.stable)
		st.StableRS, st.CurrentPodHash, c.stable = hash, hash, c.current
		st.Canary.ScaleDownAt = nil // the revision left now gets its own delay
		if c.bg != nil {
			st.BlueGreen.SwitchedAt = ptr.To(metav1.NewTime(in.Now)) // the active Service switches back in this plan
		}
	}
	switch {
	case c.bg != nil:
		c.planBlueGreen()
	case hash == st.StableRS:
		c.planStable()
	default:
		c.planCanary()
	}

	c.planRuns()
	c.planMetadata()
	c.planSelectors()
	c.planHistory()
	countReplicas(st, ro, in.ReplicaSets, hash)
	c.setConditions()
	c.checkProgress(before)
	c.planRestart()
	c.planWorkload()
	c.markShrinks()
	c.finishRouting()
	if len(p.Evict) > 0 {
		p.RequeueIfEvictionRefused = evictionRetry
		if p.RequeueAfter > 0 {
			p.RequeueIfEvictionRefused = min(p.RequeueAfter, evictionRetry)
		}
	}
	return p
}
