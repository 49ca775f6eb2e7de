package controllers

import (
	"context"
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/analysis"
	"github.com/ramp-dev/ramp/pkg/analysis/job"
	promprovider "github.com/ramp-dev/ramp/pkg/analysis/prometheus"
	"github.com/ramp-dev/ramp/pkg/analysis/web"
	"github.com/ramp-dev/ramp/pkg/metrics"
	"github.com/ramp-dev/ramp/pkg/notify"
	"github.com/ramp-dev/ramp/pkg/timeline"
)

// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get

// SetupWithManager registers every ramp reconciler, and ramp's metrics, with the manager. Use
// CacheOptions with the same options for the manager's cache.
func SetupWithManager(mgr ctrl.Manager, opts Options) error {
	rollouts := &RolloutReconciler{
		Options:   opts,
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Clock:     clock.RealClock{},
		Timeline: timeline.Recorder{
			Log:    ctrl.Log.WithName("timeline"),
			Events: mgr.GetEventRecorder("ramp-controller"),
		},
	}
	policy := opts.egressPolicy(context.Background(), mgr.GetConfig())
	// Notifications read the ConfigMaps and Secrets they name straight from the API server
	// (rarely, once per message): no cache of every Secret of the cluster.
	notifier := notify.New(mgr.GetAPIReader(), policy, rollouts.Timeline.Events, ctrl.Log.WithName("notify"))
	if err := mgr.Add(notifier); err != nil {
		return fmt.Errorf("add the notifier: %w", err)
	}
	rollouts.Timeline.Notifier = notifier
	if err := rollouts.SetupWithManager(mgr); err != nil {
		return err
	}
	runs := &AnalysisRunReconciler{
		Workers:   opts.analysisWorkers(),
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Clock:     clock.RealClock{},
		Providers: map[string]analysis.Provider{},
		Timeline:  rollouts.Timeline,
	}
	// Jobs are read straight from the API server: one created a moment ago must not look gone.
	uncached, err := client.New(mgr.GetConfig(), client.Options{Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper()})
	if err != nil {
		return fmt.Errorf("client for analysis jobs: %w", err)
	}
	for _, p := range []analysis.Provider{promprovider.New(promprovider.WithEgress(policy)), web.New(web.WithEgress(policy)), job.New(uncached)} {
		runs.Providers[p.Type()] = p
	}
	if err := runs.SetupWithManager(mgr); err != nil {
		return err
	}
	listRollouts := func(ctx context.Context) ([]v1alpha1.Rollout, error) {
		list := &v1alpha1.RolloutList{}
		err := mgr.GetClient().List(ctx, list) // served by the informer cache
		return list.Items, err
	}
	for _, c := range []prometheus.Collector{metrics.Transitions, metrics.RolloutCollector{List: listRollouts},
		metrics.Measurements, metrics.MeasurementSeconds, metrics.Runs, metrics.Notifications} {
		if err := ctrlmetrics.Registry.Register(c); err != nil && !errors.As(err, &prometheus.AlreadyRegisteredError{}) {
			return fmt.Errorf("register metrics: %w", err)
		}
	}
	return nil
}
