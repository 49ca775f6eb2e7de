package controllers

import (
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/ramp-dev/ramp/pkg/timeline"
)

// SetupWithManager registers every ramp reconciler with the manager.
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
	return rollouts.SetupWithManager(mgr)
}
