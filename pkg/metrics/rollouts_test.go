package metrics

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

func TestRolloutCollector(t *testing.T) {
	ro := v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"},
		Spec:       v1alpha1.RolloutSpec{Replicas: ptr.To[int32](5), Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{}}},
		Status: v1alpha1.RolloutStatus{
			Phase: v1alpha1.RolloutPhasePaused, Replicas: 5, UpdatedReplicas: 1, ReadyReplicas: 5, AvailableReplicas: 4,
			CurrentStepIndex: ptr.To[int32](1),
			Canary:           v1alpha1.CanaryStatus{Weights: &v1alpha1.TrafficWeights{Canary: v1alpha1.WeightDestination{Weight: 200}, Stable: v1alpha1.WeightDestination{Weight: 800}}},
		},
	}
	c := RolloutCollector{List: func(context.Context) ([]v1alpha1.Rollout, error) { return []v1alpha1.Rollout{ro}, nil }}
	want := `
# HELP ramp_rollout_canary_weight_percent The canary weight in force, in percent.
# TYPE ramp_rollout_canary_weight_percent gauge
ramp_rollout_canary_weight_percent{name="web",namespace="shop"} 20
# HELP ramp_rollout_info A Rollout, with its strategy and phase as labels (always 1).
# TYPE ramp_rollout_info gauge
ramp_rollout_info{name="web",namespace="shop",phase="Paused",strategy="canary"} 1
# HELP ramp_rollout_replicas Pods of a Rollout, by state: desired, current, updated, ready, available.
# TYPE ramp_rollout_replicas gauge
ramp_rollout_replicas{name="web",namespace="shop",state="available"} 4
ramp_rollout_replicas{name="web",namespace="shop",state="current"} 5
ramp_rollout_replicas{name="web",namespace="shop",state="desired"} 5
ramp_rollout_replicas{name="web",namespace="shop",state="ready"} 5
ramp_rollout_replicas{name="web",namespace="shop",state="updated"} 1
# HELP ramp_rollout_step The step a Rollout is at (0-based; the number of steps when done).
# TYPE ramp_rollout_step gauge
ramp_rollout_step{name="web",namespace="shop"} 1
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

func TestRolloutCollectorReportsListErrors(t *testing.T) {
	c := RolloutCollector{List: func(context.Context) ([]v1alpha1.Rollout, error) { return nil, errors.New("cache not synced") }}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	if _, err := reg.Gather(); err == nil || !strings.Contains(err.Error(), "cache not synced") {
		t.Errorf("gather error %v, want the list error", err)
	}
}
