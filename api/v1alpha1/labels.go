package v1alpha1

// Labels and annotations ramp puts on the objects it manages. The label key is Argo Rollouts'
// own, so that Services, DestinationRules and dashboards written for it keep working.
const (
	// PodTemplateHashLabel tells the pods (and ReplicaSets) of one revision apart.
	PodTemplateHashLabel = "rollouts-pod-template-hash"
	// RevisionAnnotation is the revision number of a ReplicaSet, counting from 1.
	RevisionAnnotation = "rollout.ramp.dev/revision"
	// TemplateAnnotation is, on a ReplicaSet, the Rollout's pod template (JSON) as the user wrote
	// it, before the API server defaulted the ReplicaSet's copy: putting it back into the Rollout
	// (kubectl ramp undo) yields the same revision hash, so the controller finds that revision.
	TemplateAnnotation = "rollout.ramp.dev/pod-template"
)

// RolloutTypeLabel is Argo Rollouts' label on the AnalysisRuns a Rollout starts, saying which
// of its analyses a run is, so that runbooks and dashboards that filter by it keep working.
const (
	RolloutTypeLabel         = "rollout-type"
	RolloutTypeStep          = "Step"
	RolloutTypeBackground    = "Background"
	RolloutTypePrePromotion  = "PrePromotion"
	RolloutTypePostPromotion = "PostPromotion"
)

// Annotations on each timeline Event of a Rollout: the state the transition led to, so that
// `kubectl ramp timeline` can show revision, step, phase and weight without parsing messages.
const (
	// TimelineRevisionAnnotation is the pod-template hash of the newest revision.
	TimelineRevisionAnnotation = "timeline.ramp.dev/revision"
	// TimelineStepAnnotation is the canary step as "3/5"; absent for blue-green.
	TimelineStepAnnotation = "timeline.ramp.dev/step"
	// TimelineFromPhaseAnnotation and TimelineToPhaseAnnotation are the Rollout's phase before
	// and after the transition (equal when it did not change).
	TimelineFromPhaseAnnotation = "timeline.ramp.dev/from-phase"
	TimelineToPhaseAnnotation   = "timeline.ramp.dev/to-phase"
	// TimelineWeightAnnotation is the canary's traffic weight after the transition.
	TimelineWeightAnnotation = "timeline.ramp.dev/weight"
	// TimelineAnalysisRunAnnotation names the AnalysisRun of an analysis transition.
	TimelineAnalysisRunAnnotation = "timeline.ramp.dev/analysisrun"
)
