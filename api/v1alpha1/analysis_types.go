package v1alpha1

import (
	"time"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// AnalysisTemplateSpec is what an analysis measures and how its results are judged.
type AnalysisTemplateSpec struct {
	// Metrics are measured side by side; the run fails when one fails.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	// +listType=map
	// +listMapKey=name
	Metrics []Metric `json:"metrics"`
	// Args are the placeholders ({{args.name}}) the metrics use, with defaults or sources.
	// +kubebuilder:validation:MaxItems=64
	// +listType=map
	// +listMapKey=name
	// +optional
	Args []Argument `json:"args,omitempty"`
	// DryRun lists metrics (or * for all) whose results are recorded but never fail the run.
	// +optional
	DryRun []DryRun `json:"dryRun,omitempty"`
	// MeasurementRetention bounds how many measurements each metric keeps (10 when unset).
	// +optional
	MeasurementRetention []MeasurementRetention `json:"measurementRetention,omitempty"`
}

// Argument is a named value for {{args.name}} placeholders.
// +kubebuilder:validation:XValidation:rule="!(has(self.value) && has(self.valueFrom))",message="an argument sets value or valueFrom, not both"
type Argument struct {
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// Value is the argument's value, or its default when a run gives none.
	// +optional
	Value *string `json:"value,omitempty"`
	// ValueFrom takes the value from a Secret or a field of the Rollout.
	// +optional
	ValueFrom *ValueFrom `json:"valueFrom,omitempty"`
}

// ValueFrom is where an argument's value comes from: exactly one source (a property count
// rather than a CEL rule: it costs nothing against the CRD's CEL budget).
// +kubebuilder:validation:MinProperties=1
// +kubebuilder:validation:MaxProperties=1
type ValueFrom struct {
	// SecretKeyRef is a key of a Secret in the run's namespace; its value never appears in
	// logs, events or status.
	// +optional
	SecretKeyRef *SecretKeyRef `json:"secretKeyRef,omitempty"`
	// FieldRef is a field of the Rollout, such as metadata.name or metadata.labels['app'].
	// +optional
	FieldRef *FieldRef `json:"fieldRef,omitempty"`
	// PodTemplateHashValue is Stable or Latest: the pod-template hash of that side.
	// +kubebuilder:validation:Enum=Stable;Latest
	// +optional
	PodTemplateHashValue *string `json:"podTemplateHashValue,omitempty"`
}

// SecretKeyRef names a key of a Secret.
type SecretKeyRef struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// MinMetricInterval is the shortest interval between measurements: a tenant's metric must not
// turn the controller into a load generator against its providers. Admission refuses the plain
// forms below it (500ms, 0.5s); a run refuses any other (an arg, 500ms0s) when it starts.
const MinMetricInterval = time.Second

// MaxProviderTimeoutSeconds bounds how long one measurement may wait on its provider.
const MaxProviderTimeoutSeconds = 60

// Metric is one measurement repeated over time and the conditions that judge it.
// +kubebuilder:validation:XValidation:rule="!has(self.interval) || !self.interval.matches('^(0*[1-9][0-9]{0,2}ms|0+[.][0-9]*[1-9][0-9]*s)$')",message="interval is below the floor of 1s: measure at most once a second"
type Metric struct {
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`
	// Interval between measurements, such as 30s or 5m; unset measures once (or count times at once).
	// +optional
	Interval DurationString `json:"interval,omitempty"`
	// InitialDelay before the first measurement.
	// +optional
	InitialDelay DurationString `json:"initialDelay,omitempty"`
	// Count is how many measurements to take; unset with an interval measures until the run ends.
	// Count and the limits below are numbers, or strings: a number, or an {{args.name}}
	// placeholder (checked when the run starts).
	// +optional
	Count *intstr.IntOrString `json:"count,omitempty"`
	// SuccessCondition is an expression over result: true is a Successful measurement.
	// +optional
	SuccessCondition string `json:"successCondition,omitempty"`
	// FailureCondition is an expression over result: true is a Failed measurement.
	// +optional
	FailureCondition string `json:"failureCondition,omitempty"`
	// FailureLimit is how many Failed measurements are tolerated (0 when unset).
	// +optional
	FailureLimit *intstr.IntOrString `json:"failureLimit,omitempty"`
	// InconclusiveLimit is how many Inconclusive measurements are tolerated (0 when unset).
	// +optional
	InconclusiveLimit *intstr.IntOrString `json:"inconclusiveLimit,omitempty"`
	// ConsecutiveErrorLimit is how many Error measurements in a row are tolerated (4 when unset).
	// +optional
	ConsecutiveErrorLimit *intstr.IntOrString `json:"consecutiveErrorLimit,omitempty"`
	// NoDataResult is what a measurement that found no data counts as: Inconclusive (the
	// default), Failed or Successful.
	// +kubebuilder:validation:Enum=Inconclusive;Failed;Successful
	// +optional
	NoDataResult AnalysisPhase `json:"noDataResult,omitempty"`
	// Provider is where the value comes from.
	Provider MetricProvider `json:"provider"`
}

// DurationString is a duration such as 30s, 5m or 1h, or an {{args.name}} placeholder that the
// run's args fill in (checked when the run starts).
// +kubebuilder:validation:Pattern=`^(([0-9]+(\.[0-9]+)?(ms|s|m|h))+|\{\{ *args\.[^{} ]+ *\}\})$`
// +kubebuilder:validation:MaxLength=64
type DurationString string

// MetricProvider names exactly one provider.
// +kubebuilder:validation:XValidation:rule="[has(self.prometheus), has(self.web), has(self.job)].filter(x, x).size() == 1",message="provider sets exactly one of prometheus, web, job"
type MetricProvider struct {
	// +optional
	Prometheus *PrometheusMetric `json:"prometheus,omitempty"`
	// +optional
	Web *WebMetric `json:"web,omitempty"`
	// +optional
	Job *JobMetric `json:"job,omitempty"`
}

// PrometheusMetric queries a Prometheus server.
type PrometheusMetric struct {
	// Address is the server's base URL, such as http://prometheus.monitoring:9090.
	Address string `json:"address"`
	// Query is the PromQL query.
	Query string `json:"query"`
	// Timeout of the query in seconds (30 when unset, 60 at most).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=60
	// +optional
	Timeout *int64 `json:"timeout,omitempty"`
	// Insecure skips TLS verification.
	// +optional
	Insecure bool `json:"insecure,omitempty"`
	// Headers are added to each request; values may use {{args.name}}.
	// +optional
	Headers []WebMetricHeader `json:"headers,omitempty"`
	// Authentication is a bearer token or basic auth, usually from args fed by Secrets.
	// +optional
	Authentication *PrometheusAuth `json:"authentication,omitempty"`
	// RangeQuery runs the query over a range instead of at one instant.
	// +optional
	RangeQuery *PrometheusRangeQuery `json:"rangeQuery,omitempty"`
}

// PrometheusAuth authenticates to Prometheus.
type PrometheusAuth struct {
	// +optional
	BearerToken string `json:"bearerToken,omitempty"`
	// +optional
	Basic *BasicAuth `json:"basic,omitempty"`
}

// BasicAuth is a user name and password.
type BasicAuth struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// PrometheusRangeQuery is a range: start and end as expressions of now (now() - duration("5m")),
// step as a duration.
type PrometheusRangeQuery struct {
	Start string `json:"start"`
	End   string `json:"end"`
	Step  string `json:"step"`
}

// WebMetricHeader is one HTTP header.
type WebMetricHeader struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// WebMetric calls an HTTP endpoint and picks a value from its JSON answer.
type WebMetric struct {
	URL string `json:"url"`
	// Method is GET (default), POST or PUT.
	// +kubebuilder:validation:Enum=GET;POST;PUT
	// +optional
	Method string `json:"method,omitempty"`
	// +optional
	Headers []WebMetricHeader `json:"headers,omitempty"`
	// Body is sent with POST and PUT.
	// +optional
	Body string `json:"body,omitempty"`
	// TimeoutSeconds bounds the call (10 when unset, 60 at most).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=60
	// +optional
	TimeoutSeconds int64 `json:"timeoutSeconds,omitempty"`
	// JSONPath picks the value, such as {$.data.ok}; the whole body when unset.
	// +optional
	JSONPath string `json:"jsonPath,omitempty"`
	// Insecure skips TLS verification.
	// +optional
	Insecure bool `json:"insecure,omitempty"`
}

// JobMetric runs a Job: it succeeds when the Job succeeds and fails when it fails.
type JobMetric struct {
	// Metadata holds labels and annotations for the Job.
	// +optional
	Metadata metav1.ObjectMeta `json:"metadata,omitempty"`
	// Spec is the Job's spec, as in a Job; the API server checks it when the Job is created
	// (a rejected Job is an Error measurement that says why).
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Type=object
	Spec batchv1.JobSpec `json:"spec"`
}

// AnalysisPhase is the state of a measurement, a metric or a run.
// +kubebuilder:validation:Enum=Pending;Running;Successful;Failed;Error;Inconclusive
type AnalysisPhase string

// The phases of measurements, metrics and runs.
const (
	AnalysisPhasePending      AnalysisPhase = "Pending"
	AnalysisPhaseRunning      AnalysisPhase = "Running"
	AnalysisPhaseSuccessful   AnalysisPhase = "Successful"
	AnalysisPhaseFailed       AnalysisPhase = "Failed"
	AnalysisPhaseError        AnalysisPhase = "Error"
	AnalysisPhaseInconclusive AnalysisPhase = "Inconclusive"
)

// Completed reports whether a phase is final.
func (p AnalysisPhase) Completed() bool {
	switch p {
	case AnalysisPhaseSuccessful, AnalysisPhaseFailed, AnalysisPhaseError, AnalysisPhaseInconclusive:
		return true
	}
	return false
}

// AnalysisTemplate is a reusable analysis in one namespace.
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=at,categories=all
type AnalysisTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              AnalysisTemplateSpec `json:"spec"`
}

// AnalysisTemplateList is a list of AnalysisTemplates.
// +kubebuilder:object:root=true
type AnalysisTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AnalysisTemplate `json:"items"`
}

// ClusterAnalysisTemplate is an AnalysisTemplate any namespace may use.
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=cat,categories=all
type ClusterAnalysisTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              AnalysisTemplateSpec `json:"spec"`
}

// ClusterAnalysisTemplateList is a list of ClusterAnalysisTemplates.
// +kubebuilder:object:root=true
type ClusterAnalysisTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterAnalysisTemplate `json:"items"`
}

// AnalysisRunSpec is a resolved analysis: the templates' metrics with the run's args.
type AnalysisRunSpec struct {
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	// +listType=map
	// +listMapKey=name
	Metrics []Metric `json:"metrics"`
	// +kubebuilder:validation:MaxItems=64
	// +optional
	// +listType=map
	// +listMapKey=name
	Args []Argument `json:"args,omitempty"`
	// Terminate stops the run: it ends with the phase its results so far give (Successful
	// when nothing failed).
	// +optional
	Terminate bool `json:"terminate,omitempty"`
	// +optional
	DryRun []DryRun `json:"dryRun,omitempty"`
	// +optional
	MeasurementRetention []MeasurementRetention `json:"measurementRetention,omitempty"`
}

// AnalysisRunStatus is the progress and results of a run.
type AnalysisRunStatus struct {
	// +optional
	Phase AnalysisPhase `json:"phase,omitempty"`
	// Message says why the run is in its phase: the failed metric and its last value.
	// +optional
	Message string `json:"message,omitempty"`
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`
	// +optional
	// +listType=map
	// +listMapKey=name
	MetricResults []MetricResult `json:"metricResults,omitempty"`
	// Conditions: ReconcileError while the controller's passes over the run keep failing.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// MetricResult is the measurements of one metric and their counts.
type MetricResult struct {
	Name string `json:"name"`
	// +optional
	Phase AnalysisPhase `json:"phase,omitempty"`
	// +optional
	Message string `json:"message,omitempty"`
	// DryRun: this metric's result never fails the run.
	// +optional
	DryRun bool `json:"dryRun,omitempty"`
	// Measurements are the latest measurements, oldest first (measurementRetention of them).
	// +optional
	Measurements []Measurement `json:"measurements,omitempty"`
	// +optional
	Count int32 `json:"count,omitempty"`
	// +optional
	Successful int32 `json:"successful,omitempty"`
	// +optional
	Failed int32 `json:"failed,omitempty"`
	// +optional
	Inconclusive int32 `json:"inconclusive,omitempty"`
	// +optional
	Error int32 `json:"error,omitempty"`
	// +optional
	ConsecutiveError int32 `json:"consecutiveError,omitempty"`
}

// Measurement is one value taken by a provider and how it was judged.
type Measurement struct {
	Phase AnalysisPhase `json:"phase"`
	// +optional
	Message string `json:"message,omitempty"`
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`
	// +optional
	FinishedAt *metav1.Time `json:"finishedAt,omitempty"`
	// Value is the provider's value as text.
	// +optional
	Value string `json:"value,omitempty"`
	// Metadata is what a provider keeps between looks at a measurement still running (a Job's name).
	// +optional
	Metadata map[string]string `json:"metadata,omitempty"`
}

// AnalysisRun is one analysis of one revision, created by the Rollout controller.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ar,categories=all
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.message`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type AnalysisRun struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              AnalysisRunSpec   `json:"spec"`
	Status            AnalysisRunStatus `json:"status,omitempty"`
}

// AnalysisRunList is a list of AnalysisRuns.
// +kubebuilder:object:root=true
type AnalysisRunList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AnalysisRun `json:"items"`
}

func init() {
	SchemeBuilder.Register(&AnalysisTemplate{}, &AnalysisTemplateList{}, &ClusterAnalysisTemplate{}, &ClusterAnalysisTemplateList{},
		&AnalysisRun{}, &AnalysisRunList{})
}
