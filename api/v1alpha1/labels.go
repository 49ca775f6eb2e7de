package v1alpha1

// Labels and annotations ramp puts on the objects it manages. The label key is Argo Rollouts'
// own, so that Services, DestinationRules and dashboards written for it keep working.
const (
	// PodTemplateHashLabel tells the pods (and ReplicaSets) of one revision apart.
	PodTemplateHashLabel = "rollouts-pod-template-hash"
	// RevisionAnnotation is the revision number of a ReplicaSet, counting from 1.
	RevisionAnnotation = "rollout.ramp.dev/revision"
)
