package v1alpha1

// Webhook notifications of a Rollout's timeline transitions. A Rollout configures them with
// annotations; a namespace, for every Rollout in it without its own, with a ConfigMap named
// NotificationConfigMap holding the same keys (without the prefix) in its data.
const (
	// NotificationSecretAnnotation names the Secret, in the Rollout's namespace, whose key
	// "url" (or the key after a slash: "name/key") holds the webhook's URL; "none" turns the
	// namespace's notifications off for this Rollout.
	NotificationSecretAnnotation = "notifications.ramp.dev/webhook-secret"
	// NotificationFormatAnnotation is "json" (the default: one JSON object per transition) or
	// "slack" (a Slack-compatible incoming-webhook message).
	NotificationFormatAnnotation = "notifications.ramp.dev/format"
	// NotificationOnAnnotation lists, comma-separated, the transition reasons to send; by
	// default NotificationDefaultReasons.
	NotificationOnAnnotation = "notifications.ramp.dev/on"

	// NotificationConfigMap is the per-namespace configuration's ConfigMap, whose data keys
	// are webhook-secret, format and on.
	NotificationConfigMap = "ramp-notifications"
	// NotificationsOff is the webhook-secret value that turns notifications off.
	NotificationsOff = "none"
)

// NotificationDefaultReasons: a release pauses, aborts or completes.
var NotificationDefaultReasons = []string{ReasonPaused, ReasonAborted, ReasonCompleted}

// NotificationReasons are the transitions one may be notified of: the Rollout's timeline
// reasons, without the per-measurement analysis lines.
var NotificationReasons = []string{
	ReasonRevisionDetected, ReasonStepCompleted, ReasonPaused, ReasonResumed, ReasonPromoted,
	ReasonPromotedFull, ReasonAborted, ReasonRetried, ReasonRolledBack, ReasonCompleted,
	ReasonHealthy, ReasonProgressing, ReasonInvalidSpec, ReasonServiceNotFound, ReasonDeadlineExceeded,
	ReasonRestarting, ReasonRestarted, ReasonAnalysisInvalid, ReasonAnalysisStarted, ReasonAnalysisPassed,
	ReasonAnalysisFailed, ReasonAnalysisInconclusive, ReasonServiceSwitched, ReasonTrafficInvalid,
	ReasonWeightChanged, ReasonRouteChanged, ReasonReconcileFailed, ReasonReconcileRecovered,
	ReasonWorkloadNotFound, ReasonWorkloadScaledDown, ReasonWorkloadRestored,
}
