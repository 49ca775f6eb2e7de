package controllers

import (
	"context"
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/metrics"
	"github.com/ramp-dev/ramp/pkg/timeline"
)

// SetupWithManager registers every ramp reconciler, and ramp's metrics, with the manager.
func SetupWithManager(mgr ctrl.Manager) error {
	rollouts := &RolloutReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Clock:     clock.RealClock{},
		Timeline: timeline.Recorder{
			Log:    ctrl.Log.WithName("timeline"),
			Events: mgr.GetEventRecorder("ramp-controller"),
		},
	}
	if err := rollouts.SetupWithManager(mgr); err != nil {
		return err
	}
	listRollouts := func(ctx context.Context) ([]v1alpha1.Rollout, error) {
		list := &v1alpha1.RolloutList{}
		err := mgr.GetClient().List(ctx, list) // served by the informer cache
		return list.Items, err
	}
	for _, c := range []prometheus.Collector{metrics.Transitions, metrics.RolloutCollector{List: listRollouts}} {
		if err := ctrlmetrics.Registry.Register(c); err != nil && !errors.As(err, &prometheus.AlreadyRegisteredError{}) {
			return fmt.Errorf("register metrics: %w", err)
		}
	}
	return nil
}
