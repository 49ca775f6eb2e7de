package v1alpha1

// Annotations ramp writes on a workloadRef Deployment it scales down, each in the same patch as
// the replicas it sets, so a restarted controller reads from the Deployment what it did.
const (
	// ScaledDownFromAnnotation is the Deployment's replicas before ramp first scaled it down.
	ScaledDownFromAnnotation = "rollouts.ramp.dev/scaled-down-from"
	// ScaledDownAtAnnotation is when the Deployment reached 0 with the Rollout Healthy: from
	// then on it is kept at 0, whatever restores its replicas (a GitOps sync).
	ScaledDownAtAnnotation = "rollouts.ramp.dev/scaled-down-at"
	// ScaledDownByAnnotation names the Rollout that scaled the Deployment down: deleted, it
	// gives it its replicas back even if it names another Deployment by then.
	ScaledDownByAnnotation = "rollouts.ramp.dev/scaled-down-by"
	// WorkloadFinalizer holds a deleted Rollout until the Deployment it scaled down has its
	// replicas back and available.
	WorkloadFinalizer = "rollouts.ramp.dev/workload"
)

// Timeline reasons of a workloadRef Deployment.
const (
	ReasonWorkloadNotFound   = "WorkloadNotFound"
	ReasonWorkloadScaledDown = "WorkloadScaledDown"
	ReasonWorkloadRestored   = "WorkloadRestored"
)

// ScalesDownWorkload reports whether ramp scales the workloadRef Deployment down (onsuccess or
// progressively): the Rollout then carries WorkloadFinalizer.
func (ro *Rollout) ScalesDownWorkload() bool {
	ref := ro.Spec.WorkloadRef
	return ref != nil && (ref.ScaleDown == ScaleDownOnSuccess || ref.ScaleDown == ScaleDownProgressively)
}
