package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// BlueGreenStrategy brings the new revision fully up behind a preview Service, checks it, then
// switches the active Service to it at once.
type BlueGreenStrategy struct {
	// ActiveService is the Service that carries production traffic: its selector is switched.
	// +kubebuilder:validation:MinLength=1
	ActiveService string `json:"activeService"`
	// PreviewService selects the new revision before it is promoted.
	// +optional
	PreviewService string `json:"previewService,omitempty"`
	// AutoPromotionEnabled promotes as soon as the preview is ready (and its analysis passed);
	// true when unset. False pauses until promoted.
	// +optional
	AutoPromotionEnabled *bool `json:"autoPromotionEnabled,omitempty"`
	// AutoPromotionSeconds promotes this long after the pause began.
	// +kubebuilder:validation:Minimum=1
	// +optional
	AutoPromotionSeconds int32 `json:"autoPromotionSeconds,omitempty"`
	// PreviewReplicaCount runs the new revision at this size until promoted (full size when unset).
	// +kubebuilder:validation:Minimum=1
	// +optional
	PreviewReplicaCount *int32 `json:"previewReplicaCount,omitempty"`
	// ScaleDownDelaySeconds keeps the previous revision after the switch, for an instant
	// rollback: 30 when unset.
	// +kubebuilder:validation:Minimum=0
	// +optional
	ScaleDownDelaySeconds *int32 `json:"scaleDownDelaySeconds,omitempty"`
	// ScaleDownDelayRevisionLimit is how many earlier revisions may wait out their delay at once
	// (the oldest are scaled down first); unset means no limit.
	// +kubebuilder:validation:Minimum=0
	// +optional
	ScaleDownDelayRevisionLimit *int32 `json:"scaleDownDelayRevisionLimit,omitempty"`
	// AbortScaleDownDelaySeconds keeps an aborted preview this long: 30 when unset.
	// +kubebuilder:validation:Minimum=0
	// +optional
	AbortScaleDownDelaySeconds *int32 `json:"abortScaleDownDelaySeconds,omitempty"`
	// PrePromotionAnalysis runs against the preview before the switch; failure aborts.
	// +optional
	PrePromotionAnalysis *RolloutAnalysis `json:"prePromotionAnalysis,omitempty"`
	// PostPromotionAnalysis runs after the switch; failure switches back to the previous revision.
	// +optional
	PostPromotionAnalysis *RolloutAnalysis `json:"postPromotionAnalysis,omitempty"`
	// ActiveMetadata is added to the pods the active Service selects.
	// +optional
	ActiveMetadata *PodTemplateMetadata `json:"activeMetadata,omitempty"`
	// PreviewMetadata is added to the preview's pods.
	// +optional
	PreviewMetadata *PodTemplateMetadata `json:"previewMetadata,omitempty"`
}

// BlueGreenStatus is the state of a blue-green rollout.
type BlueGreenStatus struct {
	// ActiveSelector is the pod-template hash the active Service selects.
	// +optional
	ActiveSelector string `json:"activeSelector,omitempty"`
	// PreviewSelector is the pod-template hash the preview Service selects.
	// +optional
	PreviewSelector string `json:"previewSelector,omitempty"`
	// Promoted: the new revision was promoted (by hand or automatically) and scales to full.
	// +optional
	Promoted bool `json:"promoted,omitempty"`
	// SwitchedAt is when the active Service was switched to the new revision.
	// +optional
	SwitchedAt *metav1.Time `json:"switchedAt,omitempty"`
	// +optional
	PrePromotionAnalysisRunStatus *RolloutAnalysisRunStatus `json:"prePromotionAnalysisRunStatus,omitempty"`
	// +optional
	PostPromotionAnalysisRunStatus *RolloutAnalysisRunStatus `json:"postPromotionAnalysisRunStatus,omitempty"`
}
