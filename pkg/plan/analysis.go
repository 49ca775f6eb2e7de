package plan

import (
	"fmt"
	"sort"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// Labels on the AnalysisRuns a Rollout starts.
const (
	// AnalysisKindLabel is "background" or the step index of the analysis step.
	AnalysisKindLabel = "rollouts.ramp.dev/analysis"
	backgroundKind    = "background"
	prePromotionKind  = "prepromotion"
	postPromotionKind = "postpromotion"
)

// RunRequest asks the controller to create an AnalysisRun from a Rollout's analysis.
type RunRequest struct {
	Name     string
	Analysis v1alpha1.RolloutAnalysis
	// Spec is the run's spec: the analysis's templates merged (Input.AnalysisSpecs), its
	// podTemplateHashValue and fieldRef args resolved.
	Spec v1alpha1.AnalysisRunSpec
	// Kind is "background" or the step index.
	Kind string
	// RolloutType is the run's value of v1alpha1.RolloutTypeLabel: Step, Background,
	// PrePromotion or PostPromotion.
	RolloutType string
	// StableHash and LatestHash fill podTemplateHashValue args.
	StableHash, LatestHash string
}

// rolloutType is Argo Rollouts' name for a kind of run.
func rolloutType(kind string) string {
	switch kind {
	case backgroundKind:
		return v1alpha1.RolloutTypeBackground
	case prePromotionKind:
		return v1alpha1.RolloutTypePrePromotion
	case postPromotionKind:
		return v1alpha1.RolloutTypePostPromotion
	}
	return v1alpha1.RolloutTypeStep
}

// runName is the deterministic name of the run of one kind for this revision and attempt,
// keyed by what the run measures (analysisKey): an edit of the steps or of an analysis never
// lets a run take the verdict of one that measured something else.
func (c *pass) runName(kind string) string {
	return fmt.Sprintf("%s-%s-%s-%s-%d", c.ro.Name, c.hash, kind, c.analysisKey(kind), c.st.Canary.Attempt)
}

// analysisKey identifies what a run of one kind measures: for an analysis step, the steps up
// to it (its analysis, and the weights and scales it runs under); for the others, their
// analysis.
func (c *pass) analysisKey(kind string) string {
	var what any
	bg := c.bg
	if bg == nil {
		bg = &v1alpha1.BlueGreenStrategy{}
	}
	switch kind {
	case backgroundKind:
		what = c.spec.Analysis
	case prePromotionKind:
		what = bg.PrePromotionAnalysis
	case postPromotionKind:
		what = bg.PostPromotionAnalysis
	default:
		idx, err := strconv.Atoi(kind)
		if err != nil || idx < 0 || idx >= len(c.spec.Steps) {
			return "x"
		}
		what = c.spec.Steps[:idx+1]
	}
	return contentHash(what)
}

func (c *pass) run(name string) *v1alpha1.AnalysisRun {
	for _, r := range c.in.Runs {
		if r.Name == name {
			return r
		}
	}
	return nil
}

func runStatus(name string, r *v1alpha1.AnalysisRun) *v1alpha1.RolloutAnalysisRunStatus {
	st := &v1alpha1.RolloutAnalysisRunStatus{Name: name, Status: v1alpha1.AnalysisPhasePending}
	if r != nil && r.Status.Phase != "" {
		st.Status, st.Message = r.Status.Phase, r.Status.Message
	}
	return st
}

// startRun asks for a run unless it exists; it returns the run, nil while it is being created.
func (c *pass) startRun(kind string, a v1alpha1.RolloutAnalysis, label string) *v1alpha1.AnalysisRun {
	name := c.runName(kind)
	if r := c.run(name); r != nil {
		return r
	}
	spec, err := resolveArgs(c.ro, c.in.AnalysisSpecs[kind], c.st.StableRS, c.hash)
	if err != nil { // CheckFieldRefs saw every fieldRef resolve while observing
		c.p.warn(v1alpha1.ReasonAnalysisInvalid, fmt.Sprintf("%s: AnalysisRun %s: %v", label, name, err))
	}
	c.p.StartRuns = append(c.p.StartRuns, RunRequest{Name: name, Analysis: a, Spec: spec, Kind: kind, RolloutType: rolloutType(kind), StableHash: c.st.StableRS, LatestHash: c.hash})
	c.p.note(v1alpha1.ReasonAnalysisStarted, fmt.Sprintf("%s: AnalysisRun %s started", label, name))
	return nil
}

// analysisOutcome is what a run the rollout waits on means for it.
type analysisOutcome int

const (
	analysisWaiting analysisOutcome = iota
	analysisPassed
	analysisFailed
	analysisInconclusive
)

func outcomeOf(r *v1alpha1.AnalysisRun) analysisOutcome {
	if r == nil {
		return analysisWaiting
	}
	switch r.Status.Phase {
	case v1alpha1.AnalysisPhaseSuccessful:
		return analysisPassed
	case v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseError:
		return analysisFailed
	case v1alpha1.AnalysisPhaseInconclusive:
		return analysisInconclusive
	}
	return analysisWaiting
}

// analysisStep runs the analysis step at idx; it reports whether the step is done.
func (c *pass) analysisStep(idx int32, a *v1alpha1.RolloutAnalysis) bool {
	label := fmt.Sprintf("step %s: analysis", c.spec.StepLabel(idx))
	r := c.startRun(fmt.Sprint(idx), *a, label)
	c.st.Canary.CurrentStepAnalysisRunStatus = runStatus(c.runName(fmt.Sprint(idx)), r)
	switch outcomeOf(r) {
	case analysisPassed:
		c.p.note(v1alpha1.ReasonAnalysisPassed, fmt.Sprintf("%s: AnalysisRun %s Successful", label, r.Name))
		return true
	case analysisFailed:
		c.abortForAnalysis(idx, r)
		return false
	case analysisInconclusive:
		return c.inconclusive(idx, r, label)
	}
	msg := "starting"
	if r != nil {
		msg = fmt.Sprintf("%s: %s", r.Status.Phase, r.Status.Message)
	}
	c.setPhase(v1alpha1.RolloutPhaseProgressing, fmt.Sprintf("%s: waiting for AnalysisRun %s (%s)", label, c.runName(fmt.Sprint(idx)), msg))
	return false
}

// backgroundAnalysis starts and watches spec.strategy.canary.analysis from its starting step
// on; it reports false when the rollout must not go on (aborted or paused by it).
func (c *pass) backgroundAnalysis(idx int32) bool {
	bg := c.spec.Analysis
	if bg == nil || idx < ptr.Deref(bg.StartingStep, 0) {
		return true
	}
	label := "background analysis"
	r := c.startRun(backgroundKind, bg.RolloutAnalysis, label)
	c.st.Canary.CurrentBackgroundAnalysisRunStatus = runStatus(c.runName(backgroundKind), r)
	switch outcomeOf(r) {
	case analysisFailed:
		c.abortForAnalysis(idx, r)
		return false
	case analysisInconclusive:
		return c.inconclusive(idx, r, label)
	}
	// The release completes on a verdict, not on silence: a background run still going
	// (or none yet) must have passed at least one measurement first. A full promotion skips it.
	if int(idx) >= len(c.spec.Steps) && !c.st.PromoteFull && outcomeOf(r) != analysisPassed && successfulMeasurements(r) == 0 {
		c.setPhase(v1alpha1.RolloutPhaseProgressing, fmt.Sprintf("%s: every step is done; waiting for a first successful measurement of AnalysisRun %s before completing",
			label, c.runName(backgroundKind)))
		return false
	}
	return true // running, or passed (a run with a count ends): the steps go on
}

// successfulMeasurements is how many measurements of a run passed, over its metrics.
func successfulMeasurements(r *v1alpha1.AnalysisRun) int32 {
	if r == nil {
		return 0
	}
	var n int32
	for _, m := range r.Status.MetricResults {
		n += m.Successful
	}
	return n
}

// abortForAnalysis aborts the rollout, of either strategy: the run failed.
func (c *pass) abortForAnalysis(idx int32, r *v1alpha1.AnalysisRun) {
	c.p.warn(v1alpha1.ReasonAnalysisFailed, fmt.Sprintf("AnalysisRun %s %s: %s", r.Name, r.Status.Phase, r.Status.Message))
	c.st.Abort = true
	if c.bg != nil {
		c.abortBlueGreen()
		return
	}
	c.planAbort(idx)
}

// inconclusive pauses the rollout on an Inconclusive run until a human promotes (go on) or
// aborts; it reports whether the rollout was promoted past it.
func (c *pass) inconclusive(idx int32, r *v1alpha1.AnalysisRun, label string) bool {
	st := c.st
	cond := pauseConditionOf(st, v1alpha1.PauseReasonInconclusiveAnalysis)
	switch {
	case st.Canary.InconclusiveRun == r.Name && st.Canary.InconclusiveAccepted:
		return true // promoted past it earlier
	case st.Canary.InconclusiveRun == r.Name && cond == nil && st.ControllerPause:
		st.ControllerPause, st.Canary.InconclusiveAccepted = false, true
		c.p.note(v1alpha1.ReasonPromoted, fmt.Sprintf("%s: promoted past the Inconclusive AnalysisRun %s", label, r.Name))
		return true
	}
	if cond == nil {
		st.PauseConditions = append(st.PauseConditions, v1alpha1.PauseCondition{Reason: v1alpha1.PauseReasonInconclusiveAnalysis, StartTime: metav1.NewTime(c.in.Now)})
		st.ControllerPause = true
		st.Canary.InconclusiveRun, st.Canary.InconclusiveAccepted = r.Name, false
		c.p.warn(v1alpha1.ReasonAnalysisInconclusive, fmt.Sprintf("%s: AnalysisRun %s Inconclusive: %s; promote to go on, or abort", label, r.Name, r.Status.Message))
	}
	c.setPhase(v1alpha1.RolloutPhasePaused, fmt.Sprintf("step %s: %s: AnalysisRun %s Inconclusive (%s): promote to go on (kubectl ramp promote %s), or abort", c.spec.StepLabel(idx), label, r.Name, r.Status.Message, c.ro.Name))
	return false
}

// planRuns stops the runs nothing waits on any more (another revision's or attempt's, or all
// once the revision is stable or aborted) and deletes finished runs beyond the history limits.
func (c *pass) planRuns() {
	keep := map[string]bool{}
	if c.hash != c.st.StableRS && !c.st.Abort {
		for i := range c.spec.Steps {
			keep[c.runName(fmt.Sprint(i))] = true
		}
		keep[c.runName(backgroundKind)] = true
		keep[c.runName(prePromotionKind)] = true
		keep[c.runName(postPromotionKind)] = true
	}
	var successful, unsuccessful []*v1alpha1.AnalysisRun
	for _, r := range c.in.Runs {
		switch {
		case !r.Status.Phase.Completed():
			if !keep[r.Name] && !r.Spec.Terminate {
				c.p.TerminateRuns = append(c.p.TerminateRuns, r.Name)
			}
		case r.Status.Phase == v1alpha1.AnalysisPhaseSuccessful:
			successful = append(successful, r)
		default:
			unsuccessful = append(unsuccessful, r)
		}
	}
	limits := c.ro.Spec.Analysis
	if limits == nil {
		limits = &v1alpha1.AnalysisRunStrategy{}
	}
	c.prune(successful, int(ptr.Deref(limits.SuccessfulRunHistoryLimit, 5)), keep)
	c.prune(unsuccessful, int(ptr.Deref(limits.UnsuccessfulRunHistoryLimit, 5)), keep)
}

func (c *pass) prune(runs []*v1alpha1.AnalysisRun, limit int, keep map[string]bool) {
	sort.Slice(runs, func(i, j int) bool { // newest first
		if !runs[i].CreationTimestamp.Equal(&runs[j].CreationTimestamp) {
			return runs[j].CreationTimestamp.Before(&runs[i].CreationTimestamp)
		}
		return runs[i].Name > runs[j].Name
	})
	for i, r := range runs {
		if i >= limit && !keep[r.Name] && r.Name != c.st.Canary.InconclusiveRun {
			c.p.DeleteRuns = append(c.p.DeleteRuns, r.Name)
		}
	}
}

// abortCause names what aborted the rollout: a failed AnalysisRun, or the manager of status.abort.
func (c *pass) abortCause() string {
	for _, s := range []*v1alpha1.RolloutAnalysisRunStatus{c.st.Canary.CurrentStepAnalysisRunStatus, c.st.Canary.CurrentBackgroundAnalysisRunStatus,
		c.st.BlueGreen.PrePromotionAnalysisRunStatus, c.st.BlueGreen.PostPromotionAnalysisRunStatus} {
		if s != nil && (s.Status == v1alpha1.AnalysisPhaseFailed || s.Status == v1alpha1.AnalysisPhaseError) {
			return fmt.Sprintf("AnalysisRun %s (%s)", s.Name, s.Message)
		}
	}
	return abortedBy(c.ro)
}

func pauseConditionOf(st *v1alpha1.RolloutStatus, reason v1alpha1.PauseReason) *v1alpha1.PauseCondition {
	for i := range st.PauseConditions {
		if st.PauseConditions[i].Reason.Is(reason) {
			return &st.PauseConditions[i]
		}
	}
	return nil
}
