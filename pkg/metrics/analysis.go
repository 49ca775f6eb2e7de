package metrics

import "github.com/prometheus/client_golang/prometheus"

var (
	// Measurements counts analysis measurements by provider and phase (bounded sets).
	Measurements = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ramp_analysis_measurements_total",
		Help: "Analysis measurements taken, by provider and phase (Successful, Failed, Inconclusive, Error).",
	}, []string{"provider", "phase"})
	// MeasurementSeconds is how long providers take to answer.
	MeasurementSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "ramp_analysis_measurement_duration_seconds",
		Help:    "Time a provider took for one measurement.",
		Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
	}, []string{"provider"})
	// Runs counts AnalysisRuns that ended, by phase.
	Runs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ramp_analysis_runs_total",
		Help: "AnalysisRuns that ended, by phase.",
	}, []string{"phase"})
)
