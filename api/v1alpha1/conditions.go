package v1alpha1

// Condition types of a Rollout's status.conditions.
const (
	// ConditionAvailable: at least replicas - maxUnavailable pods are available.
	ConditionAvailable = "Available"
	// ConditionProgressing: a revision is being released (False when aborted or stuck).
	ConditionProgressing = "Progressing"
	// ConditionPaused: a pause step, spec.paused or the controller holds the rollout.
	ConditionPaused = "Paused"
	// ConditionHealthy: the stable revision runs at full scale and nothing is in flight.
	ConditionHealthy = "Healthy"
	// ConditionInvalidSpec: the spec cannot be honoured; the message names the field.
	ConditionInvalidSpec = "InvalidSpec"
	// ConditionReconcileError: the controller's last passes failed (a write refused, a right
	// missing, a webhook down); the message is the error, the rest of the status is the last
	// state the controller wrote. Removed by the first pass that succeeds.
	ConditionReconcileError = "ReconcileError"
)

// ReconcileFailureThreshold is how many passes over a Rollout or an AnalysisRun must fail in a
// row before its status says so (ReconcileError): one or two are the ordinary conflicts and
// races the next pass fixes.
const ReconcileFailureThreshold = 3

// MaxReconcileErrorBytes bounds the ReconcileError condition's message: an error may quote a
// webhook's answer.
const MaxReconcileErrorBytes = 1024

// Reasons, used both in conditions and as the reason of the timeline's log lines and Events.
const (
	ReasonRevisionDetected  = "RevisionDetected"
	ReasonStepCompleted     = "StepCompleted"
	ReasonPaused            = "RolloutPaused"
	ReasonResumed           = "RolloutResumed"
	ReasonPromoted          = "RolloutPromoted"
	ReasonPromotedFull      = "RolloutPromotedFull"
	ReasonAborted           = "RolloutAborted"
	ReasonRetried           = "RolloutRetried"
	ReasonRolledBack        = "RolloutRolledBack"
	ReasonCompleted         = "RolloutCompleted"
	ReasonHealthy           = "RolloutHealthy"
	ReasonProgressing       = "RolloutProgressing"
	ReasonInvalidSpec       = "InvalidSpec"
	ReasonServiceNotFound   = "ServiceNotFound"
	ReasonHashCollision     = "HashCollision"
	ReasonAvailable         = "AvailableReplicas"
	ReasonUnavailable       = "NotEnoughAvailableReplicas"
	ReasonManuallyPaused    = "ManuallyPaused"
	ReasonCanaryPauseStep   = "CanaryPauseStep"
	ReasonStepsNotCompleted = "StepsNotCompleted"
	ReasonDeadlineExceeded  = "ProgressDeadlineExceeded"
	ReasonRestarting        = "RolloutRestarting"
	ReasonRestarted         = "RolloutRestarted"
	// ReasonAnalysisInvalid: an analysis names a template or argument that does not exist.
	ReasonAnalysisInvalid = "AnalysisInvalid"
	// ReasonAnalysisStarted: the controller created an AnalysisRun.
	ReasonAnalysisStarted = "AnalysisRunStarted"
	// ReasonAnalysisPassed, ReasonAnalysisFailed, ReasonAnalysisInconclusive: a run the
	// rollout waits on ended.
	ReasonAnalysisPassed       = "AnalysisRunSuccessful"
	ReasonAnalysisFailed       = "AnalysisRunFailed"
	ReasonAnalysisInconclusive = "AnalysisRunInconclusive"
	// ReasonMeasurement: an AnalysisRun took a measurement (one timeline line each).
	ReasonMeasurement = "AnalysisMeasurement"
	// ReasonRunPhase: an AnalysisRun changed phase.
	ReasonRunPhase = "AnalysisRunPhase"
	// ReasonServiceSwitched: a blue-green Service now selects another revision.
	ReasonServiceSwitched = "ServiceSwitched"
	// ReasonTrafficInvalid: an object trafficRouting references is missing or does not match.
	ReasonTrafficInvalid = "TrafficRoutingInvalid"
	// ReasonWeightChanged: the router moved the canary weight (one timeline line per change).
	ReasonWeightChanged = "TrafficWeightChanged"
	// ReasonRouteChanged: the router added or removed a managed header or mirror route.
	ReasonRouteChanged = "ManagedRouteChanged"
	// ReasonReconcileFailed: the controller failed to reconcile the Rollout several times in a row.
	ReasonReconcileFailed = "ReconcileFailed"
	// ReasonReconcileRecovered: a pass succeeded after the Rollout said ReconcileFailed.
	ReasonReconcileRecovered = "ReconcileRecovered"
)
