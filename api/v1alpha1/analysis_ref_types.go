package v1alpha1

// RolloutAnalysis names the analysis templates to run and the arguments to give them.
type RolloutAnalysis struct {
	// Templates are merged into one AnalysisRun.
	// +kubebuilder:validation:MinItems=1
	Templates []AnalysisTemplateRef `json:"templates"`
	// Args fill the templates' args.
	// +optional
	Args []AnalysisRunArgument `json:"args,omitempty"`
	// DryRun lists metrics whose failure is reported but does not fail the run.
	// +optional
	DryRun []DryRun `json:"dryRun,omitempty"`
	// MeasurementRetention bounds how many measurements each metric keeps.
	// +optional
	MeasurementRetention []MeasurementRetention `json:"measurementRetention,omitempty"`
}

// RolloutAnalysisBackground is analysis that runs alongside the whole canary.
type RolloutAnalysisBackground struct {
	RolloutAnalysis `json:",inline"`
	// StartingStep is the step index from which the analysis runs.
	// +kubebuilder:validation:Minimum=0
	// +optional
	StartingStep *int32 `json:"startingStep,omitempty"`
}

// AnalysisTemplateRef names an AnalysisTemplate, or a ClusterAnalysisTemplate with clusterScope.
type AnalysisTemplateRef struct {
	TemplateName string `json:"templateName"`
	// +optional
	ClusterScope bool `json:"clusterScope,omitempty"`
}

// AnalysisRunArgument is a value for an analysis template argument.
type AnalysisRunArgument struct {
	Name string `json:"name"`
	// +optional
	Value string `json:"value,omitempty"`
	// +optional
	ValueFrom *ArgumentValueFrom `json:"valueFrom,omitempty"`
}

// ArgumentValueFrom takes an argument's value from the rollout.
type ArgumentValueFrom struct {
	// PodTemplateHashValue is Stable or Latest: the pod-template hash of that side.
	// +kubebuilder:validation:Enum=Stable;Latest
	// +optional
	PodTemplateHashValue *string `json:"podTemplateHashValue,omitempty"`
	// FieldRef takes the value from a field of the Rollout.
	// +optional
	FieldRef *FieldRef `json:"fieldRef,omitempty"`
}

// FieldRef is a path to a field of the Rollout, such as metadata.labels['app'].
type FieldRef struct {
	FieldPath string `json:"fieldPath"`
}

// DryRun names a metric (or * for all) run in dry-run mode.
type DryRun struct {
	MetricName string `json:"metricName"`
}

// MeasurementRetention is how many measurements a metric (or * for all) keeps.
type MeasurementRetention struct {
	MetricName string `json:"metricName"`
	// +kubebuilder:validation:Minimum=1
	Limit int32 `json:"limit"`
}
