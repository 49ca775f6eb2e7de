// Package metrics exposes ramp's Prometheus metrics: per-Rollout gauges, collected from the
// informer cache at scrape time (no API calls, nothing kept per Rollout between scrapes), and
// a counter of timeline transitions by reason.
package metrics

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

var (
	infoDesc = prometheus.NewDesc("ramp_rollout_info",
		"A Rollout, with its strategy and phase as labels (always 1).", []string{"namespace", "name", "strategy", "phase"}, nil)
	replicasDesc = prometheus.NewDesc("ramp_rollout_replicas",
		"Pods of a Rollout, by state: desired, current, updated, ready, available.", []string{"namespace", "name", "state"}, nil)
	stepDesc = prometheus.NewDesc("ramp_rollout_step",
		"The step a Rollout is at (0-based; the number of steps when done).", []string{"namespace", "name"}, nil)
	weightDesc = prometheus.NewDesc("ramp_rollout_canary_weight_percent",
		"The canary weight in force, in percent.", []string{"namespace", "name"}, nil)

	// Transitions counts timeline transitions by reason (a bounded set of constants).
	Transitions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ramp_rollout_transitions_total",
		Help: "Rollout state transitions written to the timeline, by reason.",
	}, []string{"reason"})
)

// RolloutLister lists Rollouts, from a cache.
type RolloutLister func(ctx context.Context) ([]v1alpha1.Rollout, error)

// RolloutCollector is a prometheus.Collector of per-Rollout gauges.
type RolloutCollector struct {
	List RolloutLister
}

// Describe implements prometheus.Collector.
func (c RolloutCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{infoDesc, replicasDesc, stepDesc, weightDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c RolloutCollector) Collect(ch chan<- prometheus.Metric) {
	rollouts, err := c.List(context.Background())
	if err != nil {
		ch <- prometheus.NewInvalidMetric(infoDesc, err)
		return
	}
	for i := range rollouts {
		ro := &rollouts[i]
		ns, name, st := ro.Namespace, ro.Name, ro.Status
		strategy := "unknown"
		switch {
		case ro.Spec.Strategy.Canary != nil:
			strategy = "canary"
		case ro.Spec.Strategy.BlueGreen != nil:
			strategy = "blueGreen"
		}
		gauge := func(d *prometheus.Desc, v float64, labels ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append([]string{ns, name}, labels...)...)
		}
		gauge(infoDesc, 1, strategy, string(st.Phase))
		gauge(replicasDesc, float64(ro.DesiredReplicas()), "desired")
		gauge(replicasDesc, float64(st.Replicas), "current")
		gauge(replicasDesc, float64(st.UpdatedReplicas), "updated")
		gauge(replicasDesc, float64(st.ReadyReplicas), "ready")
		gauge(replicasDesc, float64(st.AvailableReplicas), "available")
		gauge(stepDesc, float64(ptr.Deref(st.CurrentStepIndex, 0)))
		var weight float64
		if w := st.Canary.Weights; w != nil && w.Canary.Weight+w.Stable.Weight > 0 {
			weight = 100 * float64(w.Canary.Weight) / float64(w.Canary.Weight+w.Stable.Weight) // of maxTrafficWeight
		}
		gauge(weightDesc, weight)
	}
}

// Notifications counts webhook notifications by result: sent, failed (after its retries, or
// a configuration that cannot work) or dropped (too many waiting).
var Notifications = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "ramp_notifications_total",
	Help: "Webhook notifications of Rollout transitions, by result: sent, failed or dropped.",
}, []string{"result"})
