package plan

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/workload"
)

// evictionRetry is how soon a restart looks again after a disruption budget refused an eviction.
const evictionRetry = 5 * time.Second

// markShrinks names the scales that take pods away.
func (c *pass) markShrinks() {
	for _, rs := range c.in.ReplicaSets {
		if n, ok := c.p.Scale[rs.Name]; ok && n < c.specReplicas(rs) {
			if c.p.Shrink == nil {
				c.p.Shrink = map[string]bool{}
			}
			c.p.Shrink[rs.Name] = true
		}
	}
}

// revisionHash is the revision the template is: the one whose ReplicaSet carries its hash, else
// the one whose ReplicaSet's template equals the template once defaulted (the stable revision
// first, then the newest), else a new revision with the template's own hash.
func revisionHash(in Input, hash string) string {
	var match *appsv1.ReplicaSet
	for _, rs := range in.ReplicaSets {
		if workload.HashOf(rs) == hash {
			return hash
		}
	}
	if in.DefaultedTemplate == nil {
		return hash
	}
	for _, rs := range in.ReplicaSets {
		if !workload.IsRevisionOf(in.DefaultedTemplate, rs) {
			continue
		}
		if workload.HashOf(rs) == in.Rollout.Status.StableRS {
			return workload.HashOf(rs)
		}
		if match == nil || workload.Revision(rs) > workload.Revision(match) {
			match = rs
		}
	}
	if match != nil {
		return workload.HashOf(match)
	}
	return hash
}

func (c *pass) missingService() string {
	fields := map[string]string{"canary.canaryService": c.spec.CanaryService, "canary.stableService": c.spec.StableService}
	if c.bg != nil {
		fields = map[string]string{"blueGreen.activeService": c.bg.ActiveService, "blueGreen.previewService": c.bg.PreviewService}
	}
	for _, field := range []string{"canary.canaryService", "canary.stableService", "blueGreen.activeService", "blueGreen.previewService"} {
		if name := fields[field]; name != "" && c.in.Services[name] == nil {
			return fmt.Sprintf("spec.strategy.%s: Service %s/%s not found: create it, or fix the name", field, c.ro.Namespace, name)
		}
	}
	return ""
}

func (c *pass) sortReplicaSets() {
	for _, rs := range c.in.ReplicaSets {
		switch workload.HashOf(rs) {
		case c.hash:
			c.current = rs
		case c.st.StableRS:
			c.stable = rs
		default:
			c.others = append(c.others, rs)
		}
	}
	if c.hash == c.st.StableRS {
		c.stable = c.current
	}
}

func (c *pass) nextRevision() int64 {
	var n int64
	for _, rs := range c.in.ReplicaSets {
		n = max(n, workload.Revision(rs))
	}
	return n + 1
}

func (c *pass) adoptAsStable() {
	if c.stable != nil && c.stable != c.current {
		c.others = append(c.others, c.stable)
	}
	c.st.StableRS, c.stable = c.hash, c.current
	c.st.CurrentPodHash = c.hash
	c.st.CurrentStepHash = stepsHash(c.spec.Steps)
	c.st.CurrentStepIndex = ptr.To(int32(len(c.spec.Steps)))
}

// planStable runs the stable revision at full scale and scales every other revision away:
// the steady state, and the fast rollback when the template returns to the stable one.
func (c *pass) planStable() {
	st := c.st
	if backToStable(st, c.hash) {
		c.p.note(v1alpha1.ReasonRolledBack, fmt.Sprintf("template is back to the stable revision %s: fast rollback, steps skipped", c.hash))
	}
	st.CurrentPodHash, st.CurrentStepHash = c.hash, stepsHash(c.spec.Steps)
	st.CurrentStepIndex = ptr.To(int32(len(c.spec.Steps)))
	st.Abort, st.AbortedAt, st.PromoteFull, st.ControllerPause, st.PauseConditions = false, nil, false, false, nil

	clear(c.p.Scale) // this plan replaces any made for the canary before the promotion
	waiting, cleanup := "", ""
	if c.routed() {
		waiting, cleanup = c.planStableRouted()
	} else {
		c.apply(BoundedStep(c.bounds, Side{}, c.side(c.current), c.sides(c.others), 0, c.replicas))
		c.setWeights(0)
	}
	switch {
	case waiting != "":
		c.setStablePhase(v1alpha1.RolloutPhaseProgressing, waiting)
	case c.settled(c.current, c.replicas) && (c.othersGone() || cleanup != ""):
		// Released: the earlier revisions take no traffic and only wait to be scaled down,
		// which the message says (Healthy answers "is my release done?", as in Argo).
		if c.othersGone() {
			st.Canary.ScaleDownAt = nil
		}
		c.setStablePhase(v1alpha1.RolloutPhaseHealthy, fmt.Sprintf("revision %s runs at full scale", c.hash)+cleanup)
	default:
		c.setStablePhase(v1alpha1.RolloutPhaseProgressing, fmt.Sprintf("scaling revision %s to %d available pods (%d now) and older revisions to zero", c.hash, c.replicas, c.available(c.current)))
	}
}

// setStablePhase sets the phase of a rollout with nothing to release; spec.paused makes it
// Paused, as in Argo, with how to resume, and its setting and clearing are timeline lines.
func (c *pass) setStablePhase(phase v1alpha1.RolloutPhase, message string) {
	wasHeld := manuallyPaused(c.st)
	switch {
	case c.ro.Spec.Paused:
		if !wasHeld {
			c.p.note(v1alpha1.ReasonPaused, fmt.Sprintf("spec.paused set: revision %s held", c.hash))
		}
		phase, message = v1alpha1.RolloutPhasePaused, fmt.Sprintf("%s; spec.paused is true: a new template waits until it is false (kubectl ramp resume %s)", message, c.ro.Name)
	case wasHeld:
		c.p.note(v1alpha1.ReasonResumed, fmt.Sprintf("spec.paused cleared: revision %s no longer held", c.hash))
	}
	c.setPhase(phase, message)
}

// stillServing: the revision is the one the last release replaced, waiting out its
// scaleDownDelaySeconds at full size with every pod available (blue-green, or a canary with
// trafficRouting): going back to it is an instant rollback, as in Argo.
func (c *pass) stillServing(rs *appsv1.ReplicaSet) bool {
	if rs == nil || c.st.CurrentPodHash != c.st.StableRS || !c.settled(rs, c.replicas) || c.replicas == 0 {
		return false
	}
	at := c.ro.ScaleDownAt() // of the status planned from: set only where a delay applies
	return !at.IsZero() && c.in.Now.Before(at)
}

// planCanary walks the steps for a revision that is not stable yet.
func (c *pass) planCanary() {
	st, steps, now := c.st, c.spec.Steps, c.in.Now
	if st.CurrentPodHash != c.hash || st.CurrentStepHash != stepsHash(steps) {
		c.startRevision()
	}
	idx := min(max(ptr.Deref(st.CurrentStepIndex, 0), 0), int32(len(steps))) // status is writable by users: clamp
	defer func() {
		if st.Abort {
			idx = 0 // as Argo: an aborted revision is back before its first step; the timeline says where it stopped
		}
		st.CurrentStepIndex = &idx
	}()

	if st.Abort {
		c.planAbort(idx)
		return
	}
	if st.AbortedAt != nil {
		// abort was cleared: retry the revision from the first step, with fresh AnalysisRuns.
		st.AbortedAt, idx = nil, 0
		st.Canary.Attempt++
		st.Canary.InconclusiveRun, st.Canary.InconclusiveAccepted = "", false
		st.Canary.CurrentStepAnalysisRunStatus, st.Canary.CurrentBackgroundAnalysisRunStatus = nil, nil
		c.p.note(v1alpha1.ReasonRetried, fmt.Sprintf("retrying revision %s from step %s", c.hash, c.spec.StepLabel(0)))
	}
	if st.PromoteFull && int(idx) < len(steps) {
		c.p.note(v1alpha1.ReasonPromotedFull, fmt.Sprintf("promoted to full at step %s: remaining steps skipped", c.spec.StepLabel(idx)))
		idx = int32(len(steps))
		st.PauseConditions, st.ControllerPause = nil, false
	}
	wasHeld := manuallyPaused(st)
	if wasHeld && !c.ro.Spec.Paused {
		c.p.note(v1alpha1.ReasonResumed, fmt.Sprintf("spec.paused cleared: continuing at step %s", c.spec.StepLabel(idx)))
	}
	for {
		if !c.backgroundAnalysis(idx) {
			return
		}
		t := c.targetAt(idx)
		if c.ro.Spec.Paused && c.specReplicas(c.current) == 0 {
			t = target{stable: c.replicas} // held before its first pod: the new revision waits at 0
		}
		reached := c.reached(t, idx)
		c.scaleTo(t)
		c.route(t, idx)
		if c.ro.Spec.Paused {
			// Held: the current step's pods and traffic are kept where it wants them.
			if !wasHeld {
				c.p.note(v1alpha1.ReasonPaused, fmt.Sprintf("spec.paused set: holding at step %s", c.spec.StepLabel(idx)))
			}
			c.setPhase(v1alpha1.RolloutPhasePaused, fmt.Sprintf("step %s: spec.paused is true: set it to false to continue", c.spec.StepLabel(idx)))
			return
		}
		if int(idx) == len(steps) {
			if reached {
				c.p.note(v1alpha1.ReasonCompleted, fmt.Sprintf("revision %s is fully available and becomes stable", c.hash))
				c.others = append(c.others, c.stable)
				c.st.StableRS, c.stable = c.hash, c.current
				c.planStable()
				return
			}
			c.setPhase(v1alpha1.RolloutPhaseProgressing, fmt.Sprintf("all steps done: waiting for revision %s to be fully available (%d/%d)%s", c.hash, c.available(c.current), c.replicas, c.trafficWait(t)))
			return
		}
		s := steps[idx]
		if s.Analysis != nil {
			if !c.analysisStep(idx, s.Analysis) {
				return
			}
			idx++
			continue
		}
		if s.Pause != nil {
			if !c.pauseStep(idx, s.Pause, now) {
				return
			}
			idx++
			continue
		}
		if !reached {
			c.setPhase(v1alpha1.RolloutPhaseProgressing, fmt.Sprintf("step %s: %s: waiting for %d canary and %d stable pods (%d and %d available)%s",
				c.spec.StepLabel(idx), s.Describe(), t.canary, t.stable, c.available(c.current), c.available(c.stable), c.trafficWait(t)))
			return
		}
		c.p.note(v1alpha1.ReasonStepCompleted, fmt.Sprintf("step %s: %s reached with %d canary pods available", c.spec.StepLabel(idx), s.Describe(), c.available(c.current)))
		idx++
	}
}

func (c *pass) startRevision() {
	st, steps := c.st, c.spec.Steps
	reason, msg := v1alpha1.ReasonRevisionDetected, fmt.Sprintf("new revision %s: starting %d steps", c.hash, len(steps))
	if c.bg != nil {
		msg = fmt.Sprintf("new revision %s: bringing it up behind the preview", c.hash)
	}
	sameRevision := st.CurrentPodHash == c.hash
	abort, abortedAt, attempt := st.Abort, st.AbortedAt, st.Canary.Attempt
	st.CurrentPodHash, st.CurrentStepHash = c.hash, stepsHash(steps)
	st.CurrentStepIndex = ptr.To(int32(0))
	st.Abort, st.AbortedAt, st.PromoteFull, st.ControllerPause, st.PauseConditions = false, nil, false, false, nil
	st.Canary.ScaleDownAt = nil
	st.Canary.Attempt, st.Canary.InconclusiveRun, st.Canary.InconclusiveAccepted = 0, "", false
	st.Canary.CurrentStepAnalysisRunStatus, st.Canary.CurrentBackgroundAnalysisRunStatus = nil, nil
	if sameRevision {
		// Only the steps changed: an abort was about the revision and stands until retried, and
		// attempts keep counting so that no earlier attempt's run is taken for a new one.
		st.Abort, st.AbortedAt, st.Canary.Attempt = abort, abortedAt, attempt
		msg = fmt.Sprintf("steps of revision %s changed: restarting them", c.hash)
		if abort {
			msg = fmt.Sprintf("steps of revision %s changed while it is aborted: a retry runs them from step %s", c.hash, c.spec.StepLabel(0))
		}
	}
	if c.withinRollbackWindow() {
		reason, msg = v1alpha1.ReasonRolledBack, fmt.Sprintf("revision %s is within spec.rollbackWindow: fast rollback, steps skipped", c.hash)
		st.CurrentStepIndex = ptr.To(int32(len(steps)))
	}
	c.p.note(reason, msg)
}

// withinRollbackWindow: the template went back to one of the last rollbackWindow.revisions
// revisions before the stable one.
func (c *pass) withinRollbackWindow() bool {
	w := c.ro.Spec.RollbackWindow
	if w == nil || w.Revisions == 0 || c.current == nil || c.stable == nil {
		return false
	}
	rev, stableRev := workload.Revision(c.current), workload.Revision(c.stable)
	if rev == 0 || rev >= stableRev {
		return false
	}
	newer := 0
	for _, rs := range c.in.ReplicaSets {
		if r := workload.Revision(rs); r > rev && r < stableRev {
			newer++
		}
	}
	return newer < int(w.Revisions)
}

// pauseStep handles a pause step; it reports whether the pause is over.
func (c *pass) pauseStep(idx int32, pause *v1alpha1.RolloutPause, now time.Time) bool {
	st := c.st
	d, _ := pause.Length() // validated
	cond := pauseCondition(st)
	if cond == nil && st.ControllerPause {
		// The controller paused and someone cleared the pause: promoted.
		st.ControllerPause = false
		c.p.note(v1alpha1.ReasonPromoted, fmt.Sprintf("promoted past the pause at step %s", c.spec.StepLabel(idx)))
		return true
	}
	if cond == nil {
		st.PauseConditions = append(st.PauseConditions, v1alpha1.PauseCondition{Reason: v1alpha1.PauseReasonCanaryPauseStep, StartTime: metav1.NewTime(now)})
		st.ControllerPause = true
		cond = pauseCondition(st)
		until := "until promoted (kubectl ramp promote " + c.ro.Name + ")"
		if d > 0 {
			until = "for " + d.String()
		}
		c.p.note(v1alpha1.ReasonPaused, fmt.Sprintf("paused at step %s %s", c.spec.StepLabel(idx), until))
	}
	if d > 0 {
		end := cond.StartTime.Add(d)
		if !now.Before(end) {
			st.PauseConditions, st.ControllerPause = nil, false
			c.p.note(v1alpha1.ReasonResumed, fmt.Sprintf("pause of %s at step %s ended", d, c.spec.StepLabel(idx)))
			return true
		}
		c.p.requeueAt(now, end)
		c.setPhase(v1alpha1.RolloutPhasePaused, fmt.Sprintf("step %s: paused for %s, until %s", c.spec.StepLabel(idx), d, end.UTC().Format(time.RFC3339)))
		return false
	}
	c.setPhase(v1alpha1.RolloutPhasePaused, fmt.Sprintf("step %s: paused until promoted", c.spec.StepLabel(idx)))
	return false
}

// planAbort returns the stable revision to full scale and, after
// abortScaleDownDelaySeconds, scales the canary to zero. As Argo, an aborted rollout has no
// pause conditions (planCanary puts its step index back to 0).
func (c *pass) planAbort(idx int32) {
	st, now := c.st, c.in.Now
	st.PauseConditions, st.ControllerPause = nil, false
	if st.AbortedAt == nil {
		st.AbortedAt = ptr.To(metav1.NewTime(now))
		c.p.warn(v1alpha1.ReasonAborted, fmt.Sprintf("update to revision %s aborted by %s at step %s: stable revision %s back to full scale", c.hash, c.abortCause(), c.spec.StepLabel(idx), st.StableRS))
	}
	canaryTarget := int32(0)
	if c.routed() && c.seen().MaxCanaryWeight > 0 {
		canaryTarget = c.specReplicas(c.current) // until the router confirms traffic left it
	} else if d := c.spec.AbortScaleDownDelay(); d > 0 {
		if end := st.AbortedAt.Add(d); now.Before(end) {
			canaryTarget = c.specReplicas(c.current)
			c.p.requeueAt(now, end)
		}
	}
	if c.routed() {
		c.scaleTo(target{canary: canaryTarget, stable: c.replicas})
		c.p.Traffic = ptr.To(c.desired(c.weightFor(target{stable: c.replicas})))
		c.setWeights(c.seen().CanaryWeight)
	} else {
		c.apply(BoundedStep(c.bounds, c.side(c.current), c.side(c.stable), c.sides(c.others), canaryTarget, c.replicas))
		c.setWeights(0)
	}
	c.setPhase(v1alpha1.RolloutPhaseDegraded, fmt.Sprintf("update to revision %s aborted by %s: stable revision %s serves; retry with kubectl ramp retry %s, or change the template", c.hash, c.abortCause(), st.StableRS, c.ro.Name))
}

// manuallyPaused: the status says spec.paused held the rollout.
func manuallyPaused(st *v1alpha1.RolloutStatus) bool {
	c := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionPaused)
	return c != nil && c.Status == metav1.ConditionTrue && c.Reason == v1alpha1.ReasonManuallyPaused
}

func pauseCondition(st *v1alpha1.RolloutStatus) *v1alpha1.PauseCondition {
	return pauseConditionOf(st, v1alpha1.PauseReasonCanaryPauseStep)
}

// collided is the plan of a pass whose new ReplicaSet's name is taken by another object: the
// status's collisionCount moves on (the revision's hash with it) and nothing else is written.
func collided(p Plan) Plan {
	name := p.Create.Name
	out := Plan{Status: p.Status}
	out.Status.CollisionCount = ptr.To(ptr.Deref(out.Status.CollisionCount, 0) + 1)
	out.warn(v1alpha1.ReasonHashCollision, fmt.Sprintf("replicaset name %s is taken by another object: retrying with collisionCount %d", name, *out.Status.CollisionCount))
	return out
}
