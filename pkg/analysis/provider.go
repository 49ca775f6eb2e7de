// Package analysis judges a release by measurements: providers (prometheus, web, job) take
// values, conditions written in expr judge them, and a pure state machine turns measurements
// into the phases of metrics and runs.
package analysis

import (
	"context"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// Result is what a provider measured once.
type Result struct {
	// Value is what the conditions see as result: a float64 for a scalar or a single sample,
	// a []float64 for a vector or a range, or any JSON value (web).
	Value any
	// Text is Value as the measurement records it.
	Text string
	// NoData: the query ran and found nothing (counted as the metric's noDataResult).
	NoData bool
	// Running: the measurement goes on (a Job not finished); the provider is asked again with
	// Metadata.
	Running bool
	// Succeeded / Failed end a measurement without conditions (a Job's own outcome).
	Succeeded, Failed bool
	// Metadata is kept on the measurement between looks (a Job's name).
	Metadata map[string]string
	// Message explains the value or the error, in the provider's own words (Prometheus's error
	// text). Never a secret.
	Message string
	// Err makes the measurement an Error.
	Err error
}

// Provider takes one measurement of a metric whose {{args}} are already substituted. prev is
// the measurement still Running from the last call (nil for a new one). It never panics on
// user input.
type Provider interface {
	// Type names the provider: "prometheus", "web", "job".
	Type() string
	Measure(ctx context.Context, run *v1alpha1.AnalysisRun, metric v1alpha1.Metric, prev *v1alpha1.Measurement) Result
}

// Terminator is a Provider with something to stop when a run ends early (a Job to delete).
type Terminator interface {
	Terminate(ctx context.Context, run *v1alpha1.AnalysisRun, metric v1alpha1.Metric, m *v1alpha1.Measurement) error
}
