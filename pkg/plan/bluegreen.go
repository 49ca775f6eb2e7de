package plan

import (
	"fmt"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/workload"
)

// Blue-green, with the same pass as the canary (same ReplicaSet sides, runs, history,
// conditions): the new revision comes up beside the active one, behind the preview Service,
// is checked, and the active Service switches to it in one selector change, only once it is
// fully available. The previous revision keeps its pods scaleDownDelaySeconds for an instant
// rollback; stableRS moves only after the post-promotion analysis passed.

// planBlueGreen plans a blue-green rollout.
func (c *pass) planBlueGreen() {
	st, bg := c.st, c.bg
	if c.hash == st.StableRS {
		c.planActive()
		return
	}
	if st.CurrentPodHash != c.hash {
		c.startRevision()
		st.CurrentStepIndex = nil // blue-green has no steps
		st.BlueGreen.Promoted, st.BlueGreen.PrePromotionAnalysisRunStatus, st.BlueGreen.PostPromotionAnalysisRunStatus = false, nil, nil
	}
	if st.Abort {
		c.abortBlueGreen()
		return
	}
	if st.AbortedAt != nil {
		st.AbortedAt, st.Canary.Attempt, st.BlueGreen.Promoted = nil, st.Canary.Attempt+1, false
		st.Canary.InconclusiveRun, st.Canary.InconclusiveAccepted = "", false
		st.BlueGreen.PrePromotionAnalysisRunStatus, st.BlueGreen.PostPromotionAnalysisRunStatus = nil, nil
		c.p.note(v1alpha1.ReasonRetried, fmt.Sprintf("retrying revision %s", c.hash))
	}
	if st.PromoteFull && !st.BlueGreen.Promoted {
		st.BlueGreen.Promoted, st.PauseConditions, st.ControllerPause = true, nil, false
		c.p.note(v1alpha1.ReasonPromotedFull, fmt.Sprintf("revision %s promoted to full: pre-promotion analysis and pause skipped", c.hash))
	}
	if sel := c.activeSelects(); sel != "" && sel != st.StableRS && sel != c.hash && c.canServeAgain(c.stable, c.bySelector(sel)) {
		// The active Service is on a revision the template left after its switch: back to the
		// stable one, once it has the pods to serve.
		c.switchActive(st.StableRS)
	}
	size := c.replicas
	if n := bg.PreviewReplicaCount; n != nil && !st.BlueGreen.Promoted {
		size = min(*n, c.replicas)
	}
	c.apply(Scale{Canary: size, Stable: c.replicas, Others: c.othersServing()})
	if c.available(c.current) > 0 {
		c.point(bg.PreviewService, c.hash, &st.BlueGreen.PreviewSelector)
	}
	wasHeld := manuallyPaused(st)
	if wasHeld && !c.ro.Spec.Paused {
		c.p.note(v1alpha1.ReasonResumed, fmt.Sprintf("spec.paused cleared: revision %s goes on", c.hash))
	}
	if !c.settled(c.current, size) {
		c.setPhase(v1alpha1.RolloutPhaseProgressing, fmt.Sprintf("preview: revision %s to %d available pods (%d now)", c.hash, size, c.available(c.current)))
		return
	}
	if !st.BlueGreen.Promoted {
		if c.held(wasHeld, "before its promotion") {
			return
		}
		if !c.prePromotion() {
			return
		}
		c.apply(Scale{Canary: c.replicas, Stable: c.replicas, Others: c.othersServing()}) // promoted: full size
	}
	if !c.settled(c.current, c.replicas) {
		c.setPhase(v1alpha1.RolloutPhaseProgressing, fmt.Sprintf("promoted: revision %s to %d available pods (%d now) before the switch", c.hash, c.replicas, c.available(c.current)))
		return
	}
	if c.activeSelects() != c.hash && c.held(wasHeld, "before the switch of the active Service") {
		return
	}
	if c.switchActive(c.hash) || !c.postPromotion() {
		return
	}
	c.p.note(v1alpha1.ReasonCompleted, fmt.Sprintf("revision %s passed its checks and becomes stable", c.hash))
	c.others = append(c.others, c.stable)
	st.StableRS, c.stable = c.hash, c.current
	c.planActive()
}

// held: spec.paused holds the release where it is, before the human-meaningful moves (the
// promotion and the switch); after the switch, the post-promotion analysis still decides.
func (c *pass) held(wasHeld bool, where string) bool {
	if !c.ro.Spec.Paused {
		return false
	}
	if !wasHeld {
		c.p.note(v1alpha1.ReasonPaused, fmt.Sprintf("spec.paused set: holding revision %s %s", c.hash, where))
	}
	c.setPhase(v1alpha1.RolloutPhasePaused, fmt.Sprintf("revision %s held %s: spec.paused is true: set it to false to continue", c.hash, where))
	return true
}

// prePromotion runs the pre-promotion analysis and the pause; it reports whether the preview
// is promoted.
func (c *pass) prePromotion() bool {
	st, bg, now := c.st, c.bg, c.in.Now
	if a := bg.PrePromotionAnalysis; a != nil {
		label := "pre-promotion analysis"
		r := c.startRun(prePromotionKind, *a, label)
		st.BlueGreen.PrePromotionAnalysisRunStatus = runStatus(c.runName(prePromotionKind), r)
		switch outcomeOf(r) {
		case analysisFailed:
			c.abortForAnalysis(0, r)
			return false
		case analysisInconclusive:
			if !c.inconclusive(0, r, label) {
				return false
			}
		case analysisWaiting:
			c.setPhase(v1alpha1.RolloutPhaseProgressing, fmt.Sprintf("%s: waiting for AnalysisRun %s", label, c.runName(prePromotionKind)))
			return false
		case analysisPassed:
			if r.Name != st.Canary.InconclusiveRun && !st.BlueGreen.Promoted && pauseConditionOf(st, v1alpha1.PauseReasonBlueGreenPause) == nil && !st.ControllerPause {
				c.p.note(v1alpha1.ReasonAnalysisPassed, fmt.Sprintf("%s: AnalysisRun %s Successful", label, r.Name))
			}
		}
	}
	auto := bg.AutoPromotes()
	if auto && bg.AutoPromotionSeconds == 0 {
		c.promoteBlueGreen("automatically (autoPromotionEnabled)")
		return true
	}
	cond := pauseConditionOf(st, v1alpha1.PauseReasonBlueGreenPause)
	if cond == nil && st.ControllerPause {
		st.ControllerPause = false
		c.promoteBlueGreen("by hand")
		return true
	}
	if cond == nil {
		st.PauseConditions = append(st.PauseConditions, v1alpha1.PauseCondition{Reason: v1alpha1.PauseReasonBlueGreenPause, StartTime: metav1.NewTime(now)})
		st.ControllerPause = true
		cond = pauseConditionOf(st, v1alpha1.PauseReasonBlueGreenPause)
		c.p.note(v1alpha1.ReasonPaused, fmt.Sprintf("preview of revision %s ready: paused until promoted (kubectl ramp promote %s)", c.hash, c.ro.Name))
	}
	if auto && bg.AutoPromotionSeconds > 0 {
		end := cond.StartTime.Add(time.Duration(bg.AutoPromotionSeconds) * time.Second)
		if !now.Before(end) {
			st.PauseConditions, st.ControllerPause = nil, false
			c.promoteBlueGreen(fmt.Sprintf("automatically after autoPromotionSeconds (%ds)", bg.AutoPromotionSeconds))
			return true
		}
		c.p.requeueAt(now, end)
		c.setPhase(v1alpha1.RolloutPhasePaused, fmt.Sprintf("preview of revision %s ready: promoted automatically at %s", c.hash, end.UTC().Format(time.RFC3339)))
		return false
	}
	c.setPhase(v1alpha1.RolloutPhasePaused, fmt.Sprintf("preview of revision %s ready: promote to switch the active Service (kubectl ramp promote %s)", c.hash, c.ro.Name))
	return false
}

func (c *pass) promoteBlueGreen(how string) {
	c.st.BlueGreen.Promoted = true
	c.p.note(v1alpha1.ReasonPromoted, fmt.Sprintf("revision %s promoted %s", c.hash, how))
}

// postPromotion runs the post-promotion analysis once the active Service selects the new
// revision; it reports whether the revision passed. A failure switches back.
func (c *pass) postPromotion() bool {
	st, bg := c.st, c.bg
	a := bg.PostPromotionAnalysis
	if a == nil {
		return true
	}
	label := "post-promotion analysis"
	r := c.startRun(postPromotionKind, *a, label)
	st.BlueGreen.PostPromotionAnalysisRunStatus = runStatus(c.runName(postPromotionKind), r)
	switch outcomeOf(r) {
	case analysisPassed:
		c.p.note(v1alpha1.ReasonAnalysisPassed, fmt.Sprintf("%s: AnalysisRun %s Successful", label, r.Name))
		return true
	case analysisFailed:
		c.abortForAnalysis(0, r)
		return false
	case analysisInconclusive:
		return c.inconclusive(0, r, label)
	}
	c.setPhase(v1alpha1.RolloutPhaseProgressing, fmt.Sprintf("%s: waiting for AnalysisRun %s", label, c.runName(postPromotionKind)))
	return false
}

// abortBlueGreen points the active Service back at the stable revision (which never lost its
// pods) and scales the new one down abortScaleDownDelaySeconds later.
func (c *pass) abortBlueGreen() {
	st, now := c.st, c.in.Now
	st.PauseConditions, st.ControllerPause = nil, false
	if st.AbortedAt == nil {
		st.AbortedAt = ptr.To(metav1.NewTime(now))
		c.p.warn(v1alpha1.ReasonAborted, fmt.Sprintf("update to revision %s aborted by %s: the active Service back on stable revision %s", c.hash, c.abortCause(), st.StableRS))
	}
	size := c.specReplicas(c.current)
	if serving := c.bySelector(c.activeSelects()); serving != nil && serving != c.stable && !c.canServeAgain(c.stable, serving) {
		// The revision the active Service selects (the aborted one, or an earlier one a lost
		// status write left active) serves: it stays active, at its size, until the stable
		// revision has pods to take over (never an active Service without an available pod).
		c.apply(Scale{Canary: size, Stable: c.replicas, Others: c.othersServing()})
		on := "it"
		if serving != c.current {
			on = "revision " + workload.HashOf(serving)
		}
		c.setPhase(v1alpha1.RolloutPhaseDegraded, fmt.Sprintf("update to revision %s aborted by %s: the active Service stays on %s until stable revision %s has available pods (%d of %d now)",
			c.hash, c.abortCause(), on, st.StableRS, c.available(c.stable), c.replicas))
		return
	}
	if end := st.AbortedAt.Add(c.bg.AbortScaleDownDelay()); now.Before(end) {
		c.p.requeueAt(now, end)
	} else {
		size = 0
	}
	c.apply(Scale{Canary: size, Stable: c.replicas, Others: c.othersServing()})
	c.switchActive(st.StableRS)
	c.setPhase(v1alpha1.RolloutPhaseDegraded, fmt.Sprintf("update to revision %s aborted by %s: stable revision %s is active; retry with kubectl ramp retry %s, or change the template", c.hash, c.abortCause(), st.StableRS, c.ro.Name))
}

// canServeAgain: rs has available pods, at least as many as serving (the revision the active
// Service selects now), or all it should have.
func (c *pass) canServeAgain(rs, serving *appsv1.ReplicaSet) bool {
	return rs != nil && c.available(rs) > 0 && (serving == nil || c.available(rs) >= c.available(serving) || c.settled(rs, c.replicas))
}

// bySelector is the ReplicaSet of a revision hash, nil when there is none.
func (c *pass) bySelector(hash string) *appsv1.ReplicaSet {
	for _, rs := range c.in.ReplicaSets {
		if workload.HashOf(rs) == hash {
			return rs
		}
	}
	return nil
}

// planActive runs the stable revision at full size behind both Services, and scales earlier
// revisions down scaleDownDelaySeconds after the switch (at most scaleDownDelayRevisionLimit of
// them waiting).
func (c *pass) planActive() {
	st, bg := c.st, c.bg
	if st.CurrentPodHash != "" && st.CurrentPodHash != c.hash {
		c.p.note(v1alpha1.ReasonRolledBack, fmt.Sprintf("template is back to the stable revision %s: fast rollback", c.hash))
	}
	st.CurrentPodHash, st.CurrentStepIndex = c.hash, nil
	st.Abort, st.AbortedAt, st.PromoteFull, st.ControllerPause, st.PauseConditions = false, nil, false, false, nil
	st.BlueGreen.Promoted = false
	switching := false
	if c.available(c.current) > 0 {
		switching = c.switchActive(c.hash)
		c.point(bg.PreviewService, c.hash, &st.BlueGreen.PreviewSelector)
	}
	// After the switch: a revision the active Service leaves now (a rollback) waits out its
	// scaleDownDelaySeconds too.
	others := c.keptOthers()
	clear(c.p.Scale)
	c.apply(Scale{Stable: c.replicas, Others: others})
	switch {
	case switching:
		c.setStablePhase(v1alpha1.RolloutPhaseProgressing, st.Message)
	case !c.settled(c.current, c.replicas):
		c.setStablePhase(v1alpha1.RolloutPhaseProgressing, fmt.Sprintf("scaling revision %s to %d available pods (%d now)", c.hash, c.replicas, c.available(c.current)))
	case c.othersGone():
		st.BlueGreen.SwitchedAt = nil
		c.setStablePhase(v1alpha1.RolloutPhaseHealthy, fmt.Sprintf("revision %s is active at full scale", c.hash))
	default:
		// Released: the earlier revisions only wait to be scaled down (Healthy, as in Argo).
		cleanup := "; earlier revisions are scaling down"
		if at := c.scaleDownAt(); !at.IsZero() && c.in.Now.Before(at) {
			cleanup = fmt.Sprintf("; earlier revisions keep their pods until %s (scaleDownDelaySeconds)", at.UTC().Format(time.RFC3339))
		}
		c.setStablePhase(v1alpha1.RolloutPhaseHealthy, fmt.Sprintf("revision %s is active at full scale", c.hash)+cleanup)
	}
}

// keptOthers is the size of each earlier revision: kept within the scale-down delay (the
// newest scaleDownDelayRevisionLimit of them), else 0.
func (c *pass) keptOthers() []int32 {
	out := make([]int32, len(c.others))
	at := c.scaleDownAt()
	if at.IsZero() || !c.in.Now.Before(at) {
		return out
	}
	c.p.requeueAt(c.in.Now, at)
	order := make([]int, len(c.others))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool {
		return workload.Revision(c.others[order[a]]) > workload.Revision(c.others[order[b]])
	})
	limit := len(order)
	if l := c.bg.ScaleDownDelayRevisionLimit; l != nil {
		limit = min(limit, int(*l))
	}
	for _, i := range order[:limit] {
		out[i] = c.specReplicas(c.others[i])
	}
	return out
}

func (c *pass) scaleDownAt() time.Time {
	sw := c.st.BlueGreen.SwitchedAt
	if sw == nil {
		return time.Time{}
	}
	return sw.Add(c.bg.ScaleDownDelay())
}

// switchActive points the active Service at hash; it reports whether it had to (the switch is
// one selector patch and one timeline line).
func (c *pass) switchActive(hash string) bool {
	name := c.bg.ActiveService
	svc := c.in.Services[name]
	if svc == nil || svc.Spec.Selector[v1alpha1.PodTemplateHashLabel] == hash {
		c.st.BlueGreen.ActiveSelector = hash
		if svc == nil {
			return false
		}
		// Switched by a pass whose status write was lost: its time is on the Service, later
		// than what status says (nothing, or an earlier switch).
		if at := switchedAtOn(svc, hash); at != nil && (c.st.BlueGreen.SwitchedAt == nil || c.st.BlueGreen.SwitchedAt.Before(at)) {
			c.st.BlueGreen.SwitchedAt = at
		}
		return false
	}
	from := svc.Spec.Selector[v1alpha1.PodTemplateHashLabel]
	if from == "" {
		from = "all revisions"
	}
	c.p.Selectors[name] = hash
	c.st.BlueGreen.ActiveSelector = hash
	if hash != c.st.StableRS || from != "all revisions" {
		c.st.BlueGreen.SwitchedAt = ptr.To(metav1.NewTime(c.in.Now))
		c.p.ServiceAnnotations[name] = map[string]string{v1alpha1.ActiveSwitchedAnnotation: v1alpha1.ActiveSwitchedValue(hash, c.in.Now)}
	}
	c.p.note(v1alpha1.ReasonServiceSwitched, fmt.Sprintf("active Service %s: %s -> %s", name, from, hash))
	c.setPhase(v1alpha1.RolloutPhaseProgressing, fmt.Sprintf("active Service %s switching to revision %s", name, hash))
	return true
}

// switchedAtOn is when the Service was switched to hash, as its annotation records (nil when
// it records another revision, or nothing).
func switchedAtOn(svc *corev1.Service, hash string) *metav1.Time {
	at, ok := v1alpha1.ParseActiveSwitched(svc.Annotations[v1alpha1.ActiveSwitchedAnnotation], hash)
	if !ok {
		return nil
	}
	return ptr.To(metav1.NewTime(at))
}

// activeSelects is the revision the active Service selects now.
func (c *pass) activeSelects() string {
	if svc := c.in.Services[c.bg.ActiveService]; svc != nil {
		return svc.Spec.Selector[v1alpha1.PodTemplateHashLabel]
	}
	return ""
}

// othersServing keeps the earlier revision the active Service still selects at its size (it is
// being switched away from in this same plan), and scales the others to 0.
func (c *pass) othersServing() []int32 {
	out := make([]int32, len(c.others))
	for i, rs := range c.others {
		if workload.HashOf(rs) == c.activeSelects() {
			out[i] = c.specReplicas(rs)
		}
	}
	return out
}

// point sets a Service's selector to hash when it differs, recording it in field.
func (c *pass) point(name, hash string, field *string) {
	if name == "" || hash == "" {
		return
	}
	*field = hash
	if svc := c.in.Services[name]; svc != nil && svc.Spec.Selector[v1alpha1.PodTemplateHashLabel] != hash {
		c.p.Selectors[name] = hash
	}
}
