package plan

import (
	"fmt"
	"maps"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/workload"
)

// Assumptions are what a prediction takes for granted about the cluster.
type Assumptions struct {
	// ReadyAfter is how long a new pod takes to become available (10s when 0).
	ReadyAfter time.Duration
	// Analysis is each analysis's outcome, by run kind (a step index, "background",
	// "prepromotion", "postpromotion"); Successful when not given. AnalysisTakes is how long a
	// run takes to end (ReadyAfter when 0).
	Analysis      map[string]v1alpha1.AnalysisPhase
	AnalysisTakes time.Duration
	// Start is when the simulated release starts (a fixed date when zero).
	Start time.Time
}

// Prediction is what the controller will do to release a Rollout's new template, from the
// planner itself on a Simulation of the cluster.
type Prediction struct {
	// From and To are the stable revision's hash and the new one's.
	From string `json:"from"`
	To   string `json:"to"`
	// Steps is what each canary step does, in order (none for a blue-green).
	Steps []PredictedStep `json:"steps,omitempty"`
	// Ticks is every reconcile of the release, one line each, as the golden sequences show them.
	Ticks []string `json:"ticks"`
	// Outcome is the phase the release ends in (Healthy, or Degraded when it aborts), Message
	// its message. Earlier revisions may keep pods for scaleDownDelaySeconds after it (the
	// message says so).
	Outcome v1alpha1.RolloutPhase `json:"outcome"`
	Message string                `json:"message"`
	// MinDuration is how long the release takes at least, not counting the time people take to
	// promote at the ManualGates.
	MinDuration time.Duration `json:"minDuration"`
	ManualGates int           `json:"manualGates"`
	// PeakPods is the most pods the release runs at once, PeakSurge how many of them are over
	// spec.replicas: the capacity it needs.
	PeakPods  int32 `json:"peakPods"`
	PeakSurge int32 `json:"peakSurge"`
	// Problems are what stops the release (the spec's validation, a router the spec cannot
	// use); the prediction ends at the first.
	Problems []string `json:"problems,omitempty"`
}

// PredictedStep is one canary step as the release runs it.
type PredictedStep struct {
	Step   string `json:"step"`   // "2/5"
	Action string `json:"action"` // "setWeight 20", "pause 1m", "pause (until promoted)", "analysis"
	// Weight is the canary's traffic weight once the step is done: the router's with
	// trafficRouting, else the canary's share of the pods.
	Weight int32 `json:"weight"`
	// CanaryPods and StablePods are each side's replicas once the step is done.
	CanaryPods int32 `json:"canaryPods"`
	StablePods int32 `json:"stablePods"`
	// After is when the step is done, from the start of the release (manual waits not counted).
	After time.Duration `json:"after"`
	// Note says what the step waited on: a pause, a promotion, an analysis's outcome.
	Note string `json:"note,omitempty"`
}

// Predict simulates releasing next, a change of current's template (current as it runs now,
// settled on its stable revision), and says what the controller will do.
func Predict(current, next *v1alpha1.Rollout, a Assumptions) Prediction {
	if a.ReadyAfter <= 0 {
		a.ReadyAfter = 10 * time.Second
	}
	if a.AnalysisTakes <= 0 {
		a.AnalysisTakes = a.ReadyAfter
	}
	start := a.Start
	if start.IsZero() {
		start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	var out Prediction
	if msg := Validate(next); msg != "" {
		out.Problems = append(out.Problems, msg)
		out.Outcome = v1alpha1.RolloutPhaseDegraded
		return out
	}
	base := current.DeepCopy()
	base.Status = v1alpha1.RolloutStatus{}
	s := NewSimulation(base, start)
	for _, name := range next.ServiceNames() {
		s.services[name] = &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.ServiceSpec{Selector: maps.Clone(next.Spec.Selector.MatchLabels)}}
	}
	if msg := Validate(base); msg == "" {
		s.settle(50)
	}
	out.From = s.ro.Status.StableRS
	s.ro.Spec = *next.Spec.DeepCopy()
	s.ro.Generation++
	s.ro.Status.PauseConditions, s.ro.Status.Abort = nil, false
	startedAt := s.now
	runStarted := map[string]time.Time{}
	for range 500 {
		p := Compute(s.input())
		before := s.sides() // what the steps this pass completes ran with
		for _, write := range s.writesOf(p) {
			write()
		}
		st := s.ro.Status
		out.To = st.CurrentPodHash
		s.recordTick(&out, startedAt, p)
		out.PeakPods = max(out.PeakPods, s.totalPods())
		s.recordSteps(&out, startedAt, before)
		switch {
		case st.Phase == v1alpha1.RolloutPhaseDegraded:
			out.Outcome, out.Message = st.Phase, st.Message
			if st.AbortedAt == nil && st.Message != "" && !st.Abort {
				out.Problems = append(out.Problems, st.Message)
			}
			out.MinDuration = s.now.Sub(startedAt)
			out.PeakSurge = max(0, out.PeakPods-s.ro.DesiredReplicas())
			return out
		case st.Phase == v1alpha1.RolloutPhaseHealthy && st.StableRS == st.CurrentPodHash:
			out.Outcome, out.Message = st.Phase, st.Message
			out.MinDuration = s.now.Sub(startedAt)
			out.PeakSurge = max(0, out.PeakPods-s.ro.DesiredReplicas())
			return out
		case st.Phase == v1alpha1.RolloutPhasePaused && p.RequeueAfter == 0:
			out.ManualGates++ // someone promotes (or resumes); their time is not counted
			s.ro.Status.PauseConditions, s.ro.Spec.Paused = nil, false
			continue
		}
		for name, r := range s.runs {
			if _, ok := runStarted[name]; !ok {
				runStarted[name] = s.now
			}
			if !r.Status.Phase.Completed() && s.now.Sub(runStarted[name]) >= a.AnalysisTakes {
				r.Status.Phase = a.Analysis[r.Labels[AnalysisKindLabel]]
				if r.Status.Phase == "" {
					r.Status.Phase = v1alpha1.AnalysisPhaseSuccessful
				}
			}
		}
		step := a.ReadyAfter
		if p.RequeueAfter > 0 && p.RequeueAfter < step {
			step = p.RequeueAfter
		}
		s.now = s.now.Add(step)
		s.ready()
	}
	out.Problems = append(out.Problems, "the simulation did not end within 500 reconciles")
	return out
}

// serviceNames are the Services the Rollout's strategy names.

// settle reconciles and makes pods ready until nothing changes (at most n rounds).
func (w *Simulation) settle(n int) {
	for range n {
		p := Compute(w.input())
		for _, write := range w.writesOf(p) {
			write()
		}
		w.ready()
		if p.Create == nil && len(p.Scale) == 0 && p.Status.Phase == v1alpha1.RolloutPhaseHealthy {
			return
		}
	}
}

func (w *Simulation) totalPods() int32 {
	var n int32
	for _, rs := range w.rss {
		n += ptr.Deref(rs.Spec.Replicas, 1)
	}
	return n
}

func (w *Simulation) podsOf(hash string) int32 {
	if rs := w.rss[workload.ReplicaSetName(w.ro.Name, hash)]; rs != nil {
		return ptr.Deref(rs.Spec.Replicas, 1)
	}
	return 0
}

// recordTick adds the tick's line.
func (w *Simulation) recordTick(out *Prediction, start time.Time, p Plan) {
	st := w.ro.Status
	line := fmt.Sprintf("%6s  ", w.now.Sub(start).Round(time.Second))
	if c := w.ro.Spec.Strategy.Canary; c != nil {
		line += "step " + w.ro.StepLabel() + "  "
		if ws := st.Canary.Weights; ws != nil && c.TrafficRouting != nil {
			line += fmt.Sprintf("weight %d/%d  ", ws.Canary.Weight, ws.Stable.Weight)
		}
	}
	if st.CurrentPodHash == st.StableRS {
		line += fmt.Sprintf("stable %d  %s", w.podsOf(st.StableRS), st.Phase)
	} else {
		line += fmt.Sprintf("canary %d  stable %d  %s", w.podsOf(st.CurrentPodHash), w.podsOf(st.StableRS), st.Phase)
	}
	for i, n := range p.Notes {
		if i == 0 {
			line += "  |"
		}
		line += " " + n.Reason
	}
	out.Ticks = append(out.Ticks, line)
}

// recordSteps adds the canary steps this tick completed.
func (w *Simulation) recordSteps(out *Prediction, start time.Time, before sides) {
	c := w.ro.Spec.Strategy.Canary
	if c == nil || w.ro.Spec.Strategy.BlueGreen != nil {
		return
	}
	done := int(ptr.Deref(w.ro.Status.CurrentStepIndex, 0))
	if w.ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && w.ro.Status.StableRS == w.ro.Status.CurrentPodHash {
		done = len(c.Steps)
	}
	for i := len(out.Steps); i < done && i < len(c.Steps); i++ {
		step := c.Steps[i]
		ps := PredictedStep{Step: c.StepLabel(int32(i)), Action: step.Describe(), CanaryPods: before.canary, StablePods: before.stable, Weight: before.weight, After: w.now.Sub(start)}
		switch {
		case step.Pause != nil && step.Pause.Duration == nil:
			ps.Note = "waits for a promotion"
		case step.Pause != nil:
			d, _ := step.Pause.Length()
			ps.Note = "pauses for " + d.String()
		case step.Analysis != nil:
			ps.Note = "analysis: " + string(w.runPhase(fmt.Sprint(i)))
		}
		out.Steps = append(out.Steps, ps)
	}
}

// sides is the canary's and the stable revision's replicas and the canary's weight: the
// router's, or the canary's share of the pods.
type sides struct{ canary, stable, weight int32 }

func (w *Simulation) sides() sides {
	st := w.ro.Status
	s := sides{canary: w.podsOf(st.CurrentPodHash), stable: w.podsOf(st.StableRS)}
	switch c := w.ro.Spec.Strategy.Canary; {
	case st.StableRS == st.CurrentPodHash:
		s.stable, s.weight = 0, 100
	case c != nil && c.TrafficRouting != nil && st.Canary.Weights != nil:
		s.weight = st.Canary.Weights.Canary.Weight
	case s.canary+s.stable > 0:
		s.weight = s.canary * 100 / (s.canary + s.stable)
	}
	return s
}

func (w *Simulation) runPhase(kind string) v1alpha1.AnalysisPhase {
	var phase v1alpha1.AnalysisPhase
	for _, name := range w.runOrder {
		if r := w.runs[name]; r != nil && r.Labels[AnalysisKindLabel] == kind {
			phase = r.Status.Phase
		}
	}
	return phase
}
