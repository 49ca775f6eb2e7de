package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// RolloutSpec is the desired state of a Rollout. Field names and meanings follow Argo Rollouts'
// argoproj.io/v1alpha1 Rollout so that its manifests move over by changing apiVersion.
type RolloutSpec struct {
	// Replicas is the number of desired pods.
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// Selector is the label query over pods that belong to this Rollout. It must match the
	// template's labels. With workloadRef it may be left out: the Deployment's is used.
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`

	// Template describes the pods that will be created. Exactly one of template and
	// workloadRef is set.
	// +optional
	Template corev1.PodTemplateSpec `json:"template,omitzero"`

	// WorkloadRef names a Deployment whose pod template the Rollout releases, so a team keeps
	// its Deployment (in Git) and ramp releases each change to its template. Exactly one of
	// template and workloadRef is set.
	// +optional
	WorkloadRef *WorkloadRef `json:"workloadRef,omitempty"`

	// MinReadySeconds is how long a new pod must be ready, with none of its containers crashing,
	// before it counts as available.
	// +kubebuilder:validation:Minimum=0
	// +optional
	MinReadySeconds int32 `json:"minReadySeconds,omitempty"`

	// RevisionHistoryLimit is how many old, scaled-down ReplicaSets are kept for rollback.
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=0
	// +optional
	RevisionHistoryLimit *int32 `json:"revisionHistoryLimit,omitempty"`

	// Paused stops the rollout from progressing until it is set back to false.
	// +optional
	Paused bool `json:"paused,omitempty"`

	// ProgressDeadlineSeconds is how long a step may make no progress before the Rollout is
	// reported Degraded with reason ProgressDeadlineExceeded.
	// +kubebuilder:default=600
	// +kubebuilder:validation:Minimum=1
	// +optional
	ProgressDeadlineSeconds *int32 `json:"progressDeadlineSeconds,omitempty"`

	// ProgressDeadlineAbort aborts the rollout when the progress deadline is exceeded.
	// +optional
	ProgressDeadlineAbort bool `json:"progressDeadlineAbort,omitempty"`

	// Analysis bounds how many finished AnalysisRuns are kept.
	// +optional
	Analysis *AnalysisRunStrategy `json:"analysis,omitempty"`

	// RestartAt asks for every pod created before this time to be replaced, in a rolling way.
	// +optional
	RestartAt *metav1.Time `json:"restartAt,omitempty"`

	// RollbackWindow makes going back to one of the last N revisions a fast rollback that
	// skips the steps.
	// +optional
	RollbackWindow *RollbackWindowSpec `json:"rollbackWindow,omitempty"`

	// Strategy is how a new revision is released.
	Strategy RolloutStrategy `json:"strategy"`
}

// WorkloadRef names the Deployment a Rollout takes its pod template from (Argo Rollouts'
// workloadRef, for Deployments).
type WorkloadRef struct {
	// APIVersion of the referent: apps/v1.
	// +kubebuilder:validation:Enum=apps/v1
	APIVersion string `json:"apiVersion"`
	// Kind of the referent: Deployment.
	// +kubebuilder:validation:Enum=Deployment
	Kind string `json:"kind"`
	// Name of the Deployment, in the Rollout's namespace.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// ScaleDown is what happens to the Deployment's own pods: never (the default: they keep
	// running beside the Rollout's), onsuccess (scaled to 0 once the Rollout is Healthy),
	// progressively (scaled down as the Rollout's pods become available). Once scaled down, the
	// Deployment is kept at 0 (a GitOps sync that restores its replicas is undone) and gets its
	// replicas back when the Rollout is deleted.
	// +kubebuilder:validation:Enum=never;onsuccess;progressively
	// +optional
	ScaleDown string `json:"scaleDown,omitempty"`
}

// ScaleDown values of a WorkloadRef.
const (
	ScaleDownNever         = "never"
	ScaleDownOnSuccess     = "onsuccess"
	ScaleDownProgressively = "progressively"
)

// RollbackWindowSpec bounds which earlier revisions are rolled back to without steps.
type RollbackWindowSpec struct {
	// Revisions is how many of the most recent revisions count as within the window.
	// +kubebuilder:validation:Minimum=0
	// +optional
	Revisions int32 `json:"revisions,omitempty"`
}

// RolloutStrategy holds the release strategy. Exactly one strategy is set.
type RolloutStrategy struct {
	// Canary releases the new revision step by step beside the stable one.
	// +optional
	Canary *CanaryStrategy `json:"canary,omitempty"`
	// BlueGreen brings the new revision up behind a preview Service and switches at once.
	// +optional
	BlueGreen *BlueGreenStrategy `json:"blueGreen,omitempty"`
}

// CanaryStrategy releases a new revision beside the stable one, following Steps.
// +kubebuilder:validation:XValidation:rule="!(has(self.maxSurge) && has(self.maxUnavailable) && (type(self.maxSurge) == int ? self.maxSurge == 0 : self.maxSurge.matches('^0+%?$')) && (type(self.maxUnavailable) == int ? self.maxUnavailable == 0 : self.maxUnavailable.matches('^0+%?$')))",message="maxSurge and maxUnavailable are both 0: no pod could ever be replaced; set maxSurge (for example 1) or maxUnavailable above 0",fieldPath=".maxUnavailable"
// +kubebuilder:validation:XValidation:rule="!has(self.steps) || self.steps.all(s, !has(s.setWeight) || s.setWeight <= (has(self.trafficRouting) && has(self.trafficRouting.maxTrafficWeight) ? self.trafficRouting.maxTrafficWeight : 100))",message="a setWeight is at most 100, or at most trafficRouting.maxTrafficWeight when that is set",fieldPath=".steps"
type CanaryStrategy struct {
	// Steps are run in order for every new revision; none means straight to full.
	// +kubebuilder:validation:MaxItems=100
	// +optional
	Steps []CanaryStep `json:"steps,omitempty"`

	// MaxSurge is how many pods (or what percentage of replicas) may exist above replicas.
	// +kubebuilder:default="25%"
	// +kubebuilder:validation:XIntOrString
	// +optional
	MaxSurge *intstr.IntOrString `json:"maxSurge,omitempty"`

	// MaxUnavailable is how many pods (or what percentage of replicas) may be unavailable.
	// +kubebuilder:default="25%"
	// +kubebuilder:validation:XIntOrString
	// +optional
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`

	// CanaryService is a Service whose selector the controller points at the canary pods.
	// +optional
	CanaryService string `json:"canaryService,omitempty"`

	// StableService is a Service whose selector the controller points at the stable pods.
	// +optional
	StableService string `json:"stableService,omitempty"`

	// CanaryMetadata is added to the canary pods while they are the canary.
	// +optional
	CanaryMetadata *PodTemplateMetadata `json:"canaryMetadata,omitempty"`

	// StableMetadata is added to the stable pods while they are stable.
	// +optional
	StableMetadata *PodTemplateMetadata `json:"stableMetadata,omitempty"`

	// ScaleDownDelaySeconds is how long, with trafficRouting, the previous stable ReplicaSet
	// keeps its pods after a promotion has moved all traffic off it, so that a data plane that
	// switches late still finds pods: 30 when unset.
	// +kubebuilder:validation:Minimum=0
	// +optional
	ScaleDownDelaySeconds *int32 `json:"scaleDownDelaySeconds,omitempty"`

	// AbortScaleDownDelaySeconds is how long the canary keeps its pods after an abort has moved
	// all traffic off it: 30 when unset with trafficRouting, 0 (at once) without.
	// +kubebuilder:validation:Minimum=0
	// +optional
	AbortScaleDownDelaySeconds *int32 `json:"abortScaleDownDelaySeconds,omitempty"`

	// DynamicStableScale scales the stable ReplicaSet down as traffic moves to the canary.
	// +optional
	DynamicStableScale bool `json:"dynamicStableScale,omitempty"`

	// MinPodsPerReplicaSet is the fewest pods either side runs while it takes traffic.
	// +kubebuilder:validation:Minimum=1
	// +optional
	MinPodsPerReplicaSet *int32 `json:"minPodsPerReplicaSet,omitempty"`

	// TrafficRouting shifts traffic with a data plane (NGINX ingress or Istio) instead of
	// approximating the weight with pod counts.
	// +optional
	TrafficRouting *RolloutTrafficRouting `json:"trafficRouting,omitempty"`

	// Analysis runs in the background for the whole canary and aborts it on failure.
	// +optional
	Analysis *RolloutAnalysisBackground `json:"analysis,omitempty"`
}

// CanaryStep is one step of a canary. Exactly one action is set.
// +kubebuilder:validation:XValidation:rule="[has(self.setWeight), has(self.pause), has(self.setCanaryScale), has(self.analysis), has(self.setHeaderRoute), has(self.setMirrorRoute)].filter(x, x).size() == 1",message="a step sets exactly one of setWeight, pause, setCanaryScale, analysis, setHeaderRoute, setMirrorRoute"
type CanaryStep struct {
	// SetWeight sends this share of traffic to the canary: a percentage, or a share of
	// trafficRouting.maxTrafficWeight when that is set.
	// +kubebuilder:validation:Minimum=0
	// +optional
	SetWeight *int32 `json:"setWeight,omitempty"`

	// Pause stops the rollout: for Duration, or until promoted when Duration is unset.
	// +optional
	Pause *RolloutPause `json:"pause,omitempty"`

	// SetCanaryScale sets the canary's size independently of its traffic weight.
	// +optional
	SetCanaryScale *SetCanaryScale `json:"setCanaryScale,omitempty"`

	// Analysis runs an analysis and waits for its result before the next step.
	// +optional
	Analysis *RolloutAnalysis `json:"analysis,omitempty"`

	// SetHeaderRoute sends requests that match headers to the canary (needs trafficRouting).
	// +optional
	SetHeaderRoute *SetHeaderRoute `json:"setHeaderRoute,omitempty"`

	// SetMirrorRoute mirrors a share of matching requests to the canary (needs trafficRouting).
	// +optional
	SetMirrorRoute *SetMirrorRoute `json:"setMirrorRoute,omitempty"`
}

// RolloutPause is a pause step.
// +kubebuilder:validation:XValidation:rule="!has(self.duration) || type(self.duration) == int || self.duration.matches('^[0-9]+(s|m|h)?$')",message="duration is a whole number of seconds, or a number followed by s, m or h (30s, 5m, 1h)",fieldPath=".duration"
type RolloutPause struct {
	// Duration is how long to pause: seconds as a number, or a string such as 30s, 5m or 1h.
	// Unset means until promoted.
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:MaxLength=16
	// +optional
	Duration *intstr.IntOrString `json:"duration,omitempty"`
}

// SetCanaryScale sizes the canary. Exactly one of its fields is set.
// +kubebuilder:validation:XValidation:rule="[has(self.replicas), has(self.weight), has(self.matchTrafficWeight) && self.matchTrafficWeight].filter(x, x).size() == 1",message="setCanaryScale sets exactly one of replicas, weight, matchTrafficWeight"
type SetCanaryScale struct {
	// Replicas is an absolute number of canary pods.
	// +kubebuilder:validation:Minimum=0
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// Weight sizes the canary as a percentage of spec.replicas.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	Weight *int32 `json:"weight,omitempty"`

	// MatchTrafficWeight sizes the canary after the current traffic weight again.
	// +optional
	MatchTrafficWeight bool `json:"matchTrafficWeight,omitempty"`
}

// PodTemplateMetadata is extra metadata put on the pods of one side of a rollout.
type PodTemplateMetadata struct {
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// RolloutPhase is the summary state of a Rollout.
// +kubebuilder:validation:Enum=Healthy;Progressing;Paused;Degraded
type RolloutPhase string

// The phases of a Rollout.
const (
	RolloutPhaseHealthy     RolloutPhase = "Healthy"
	RolloutPhaseProgressing RolloutPhase = "Progressing"
	RolloutPhasePaused      RolloutPhase = "Paused"
	RolloutPhaseDegraded    RolloutPhase = "Degraded"
)

// PauseReason says why a rollout is paused.
type PauseReason string

// The reasons a rollout pauses.
const (
	PauseReasonCanaryPauseStep PauseReason = "CanaryPauseStep"
	// PauseReasonInconclusiveAnalysis: an analysis ended Inconclusive; promote or abort.
	PauseReasonInconclusiveAnalysis PauseReason = "InconclusiveAnalysisRun"
	// PauseReasonInconclusiveAnalysisBefore is what ramp wrote for an Inconclusive analysis
	// before it took Argo Rollouts' reason: read as PauseReasonInconclusiveAnalysis.
	PauseReasonInconclusiveAnalysisBefore PauseReason = "InconclusiveAnalysis"
	// PauseReasonBlueGreenPause: the preview is ready; promote to switch.
	PauseReasonBlueGreenPause PauseReason = "BlueGreenPause"
)

// Is reports whether a pause condition's reason is reason, reading the reasons ramp wrote
// before it took Argo Rollouts' as the ones that replaced them.
func (r PauseReason) Is(reason PauseReason) bool {
	if r == PauseReasonInconclusiveAnalysisBefore {
		r = PauseReasonInconclusiveAnalysis
	}
	return r == reason
}

// PauseCondition is one reason the rollout is paused and since when.
type PauseCondition struct {
	Reason    PauseReason `json:"reason"`
	StartTime metav1.Time `json:"startTime"`
}

// RolloutStatus is the observed state of a Rollout.
type RolloutStatus struct {
	// Phase summarises the rollout's state; Message says why.
	// +optional
	Phase RolloutPhase `json:"phase,omitempty"`
	// +optional
	Message string `json:"message,omitempty"`

	// ObservedGeneration is the spec generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// CurrentPodHash is the pod-template hash of the newest revision.
	// +optional
	CurrentPodHash string `json:"currentPodHash,omitempty"`
	// StableRS is the pod-template hash of the stable revision.
	// +optional
	StableRS string `json:"stableRS,omitempty"`
	// CurrentStepIndex is the index of the step being run; len(steps) when all are done.
	// +optional
	CurrentStepIndex *int32 `json:"currentStepIndex,omitempty"`
	// CurrentStepHash is a hash of the steps, so that a change of steps restarts them.
	// +optional
	CurrentStepHash string `json:"currentStepHash,omitempty"`

	// PauseConditions are the reasons the rollout is paused. Clearing them promotes.
	// +optional
	// +listType=map
	// +listMapKey=reason
	PauseConditions []PauseCondition `json:"pauseConditions,omitempty"`
	// ControllerPause is true while the controller itself has paused the rollout.
	// +optional
	ControllerPause bool `json:"controllerPause,omitempty"`
	// Abort, set by a user or the controller, aborts the rollout.
	// +optional
	Abort bool `json:"abort,omitempty"`
	// RestartedAt is the spec.restartAt whose restart has completed.
	// +optional
	RestartedAt *metav1.Time `json:"restartedAt,omitempty"`
	// LastProgressTime is when the rollout last made progress (a pod became available or went
	// away, a step completed, a pause ended); progressDeadlineSeconds counts from it.
	// +optional
	LastProgressTime *metav1.Time `json:"lastProgressTime,omitempty"`
	// AbortedAt is when the rollout was aborted.
	// +optional
	AbortedAt *metav1.Time `json:"abortedAt,omitempty"`
	// PromoteFull, set by a user, skips every remaining step.
	// +optional
	PromoteFull bool `json:"promoteFull,omitempty"`

	// Replicas is the number of pods of every revision.
	// +optional
	Replicas int32 `json:"replicas,omitempty"`
	// UpdatedReplicas is the number of pods of the newest revision.
	// +optional
	UpdatedReplicas int32 `json:"updatedReplicas,omitempty"`
	// ReadyReplicas is the number of ready pods.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas,omitempty"`
	// AvailableReplicas is the number of available pods.
	// +optional
	AvailableReplicas int32 `json:"availableReplicas,omitempty"`
	// HPAReplicas is what the scale subresource reports to an autoscaler (HPA, KEDA): the pods
	// spec.replicas sizes, without the extra ones a release adds. With a traffic router (and no
	// dynamicStableScale) that is the stable ReplicaSet's pods; with blue-green, the active
	// ReplicaSet's; otherwise every pod, as a Deployment reports.
	// +optional
	HPAReplicas int32 `json:"HPAReplicas,omitempty"`
	// Selector is the label query an autoscaler reads pod metrics with: spec.selector, narrowed
	// to the active revision under blue-green (the preview's pods serve no users).
	// +optional
	Selector string `json:"selector,omitempty"`
	// WorkloadObservedGeneration is the generation of the workloadRef Deployment whose
	// template this status was planned from (as Argo Rollouts reports it, a string).
	// +optional
	WorkloadObservedGeneration string `json:"workloadObservedGeneration,omitempty"`

	// CollisionCount is mixed into the pod-template hash when a ReplicaSet name is taken by an
	// object with another template.
	// +optional
	CollisionCount *int32 `json:"collisionCount,omitempty"`

	// Canary holds the state specific to the canary strategy.
	// +optional
	Canary CanaryStatus `json:"canary,omitempty"`

	// BlueGreen holds the state specific to the blue-green strategy.
	// +optional
	BlueGreen BlueGreenStatus `json:"blueGreen,omitempty"`

	// Managed is what the controller routes traffic with, recorded before it first routes with
	// it: when the spec stops naming it (trafficRouting removed or changed, a Service dropped,
	// the strategy switched), the controller returns it to the stable revision before it lets go.
	// +optional
	Managed *ManagedTraffic `json:"managed,omitempty"`

	// Conditions are the standard conditions: Available, Progressing, Paused, Healthy, InvalidSpec.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// CanaryStatus is the status of a canary rollout.
type CanaryStatus struct {
	// Weights is the traffic split now in force: with trafficRouting, the one the router
	// last confirmed.
	// +optional
	Weights *TrafficWeights `json:"weights,omitempty"`

	// Attempt counts the retries of the current revision after aborts (an edit of the steps
	// keeps it); AnalysisRun names carry it, so that a retry starts fresh runs.
	// +optional
	Attempt int32 `json:"attempt,omitempty"`

	// InconclusiveRun is the AnalysisRun whose Inconclusive result paused the rollout; once
	// promoted past, it pauses it no more.
	// +optional
	InconclusiveRun string `json:"inconclusiveRun,omitempty"`

	// InconclusiveAccepted: a human promoted past InconclusiveRun.
	// +optional
	InconclusiveAccepted bool `json:"inconclusiveAccepted,omitempty"`

	// CurrentStepAnalysisRunStatus is the AnalysisRun of the current analysis step.
	// +optional
	CurrentStepAnalysisRunStatus *RolloutAnalysisRunStatus `json:"currentStepAnalysisRunStatus,omitempty"`

	// CurrentBackgroundAnalysisRunStatus is the AnalysisRun of spec.strategy.canary.analysis.
	// +optional
	CurrentBackgroundAnalysisRunStatus *RolloutAnalysisRunStatus `json:"currentBackgroundAnalysisRunStatus,omitempty"`

	// ScaleDownAt is when, after a promotion with trafficRouting, the earlier revisions'
	// ReplicaSets are scaled down (scaleDownDelaySeconds after traffic left them).
	// +optional
	ScaleDownAt *metav1.Time `json:"scaleDownAt,omitempty"`
}

// AnalysisRunStrategy is how many finished AnalysisRuns of a Rollout are kept.
type AnalysisRunStrategy struct {
	// SuccessfulRunHistoryLimit is how many Successful runs are kept (5 when unset).
	// +kubebuilder:validation:Minimum=0
	// +optional
	SuccessfulRunHistoryLimit *int32 `json:"successfulRunHistoryLimit,omitempty"`
	// UnsuccessfulRunHistoryLimit is how many Failed, Error or Inconclusive runs are kept (5 when unset).
	// +kubebuilder:validation:Minimum=0
	// +optional
	UnsuccessfulRunHistoryLimit *int32 `json:"unsuccessfulRunHistoryLimit,omitempty"`
}

// RolloutAnalysisRunStatus is an AnalysisRun the rollout waits on, as last seen.
type RolloutAnalysisRunStatus struct {
	Name string `json:"name"`
	// +optional
	Status AnalysisPhase `json:"status,omitempty"`
	// +optional
	Message string `json:"message,omitempty"`
}

// TrafficWeights is the split of traffic between the two sides of a rollout.
type TrafficWeights struct {
	Canary WeightDestination `json:"canary"`
	Stable WeightDestination `json:"stable"`
}

// WeightDestination is the weight sent to one side and which revision that is.
type WeightDestination struct {
	// Weight is a percentage, or a share of trafficRouting.maxTrafficWeight when that is set.
	// +kubebuilder:validation:Minimum=0
	Weight int32 `json:"weight"`
	// +optional
	PodTemplateHash string `json:"podTemplateHash,omitempty"`
}

// Rollout replaces a Deployment: it releases new revisions of its pod template progressively.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:subresource:scale:specpath=.spec.replicas,statuspath=.status.HPAReplicas,selectorpath=.status.selector
// +kubebuilder:resource:shortName=ro,categories=all
// +kubebuilder:printcolumn:name="Desired",type=integer,JSONPath=`.spec.replicas`
// +kubebuilder:printcolumn:name="Current",type=integer,JSONPath=`.status.replicas`
// +kubebuilder:printcolumn:name="Up-to-date",type=integer,JSONPath=`.status.updatedReplicas`
// +kubebuilder:printcolumn:name="Available",type=integer,JSONPath=`.status.availableReplicas`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Step",type=integer,JSONPath=`.status.currentStepIndex`
// +kubebuilder:printcolumn:name="Set-weight",type=integer,JSONPath=`.status.canary.weights.canary.weight`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="has(self.spec.strategy.canary) != has(self.spec.strategy.blueGreen)",message="spec.strategy sets exactly one of canary, blueGreen",fieldPath=".spec.strategy"
// +kubebuilder:validation:XValidation:rule="has(self.spec.template) != has(self.spec.workloadRef)",message="spec sets exactly one of template (the pods) and workloadRef (a Deployment whose template ramp releases)",fieldPath=".spec.template"
// +kubebuilder:validation:XValidation:rule="has(self.spec.selector) || has(self.spec.workloadRef)",message="spec.selector is required (with workloadRef it may be left out: the Deployment's is used)",fieldPath=".spec.selector"
type Rollout struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   RolloutSpec   `json:"spec,omitempty"`
	Status RolloutStatus `json:"status,omitempty"`
}

// RolloutList is a list of Rollouts.
// +kubebuilder:object:root=true
type RolloutList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Rollout `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Rollout{}, &RolloutList{})
}

// ManagedTraffic is the part of a canary spec that routes traffic, as the controller last
// recorded it.
type ManagedTraffic struct {
	// +optional
	StableService string `json:"stableService,omitempty"`
	// +optional
	CanaryService string `json:"canaryService,omitempty"`
	// +optional
	TrafficRouting *RolloutTrafficRouting `json:"trafficRouting,omitempty"`
}
