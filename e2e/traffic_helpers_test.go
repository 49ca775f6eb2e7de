//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/testenv"
)

// abortReaction is how long an abort may take to return the weight to 0 in these tests: the
// controller's own reaction is measured by a benchmark; this bounds only the test's wait.
const abortReaction = 10 * time.Second

// waitObject polls a namespaced object until ok says so, and returns it.
func waitObject[T client.Object](t testing.TB, obj T, name, what string, timeout time.Duration, ok func(T) (bool, string)) T {
	t.Helper()
	key := client.ObjectKey{Namespace: obj.GetNamespace(), Name: name}
	testenv.Eventually(t, timeout, what, func(ctx context.Context) (bool, string, error) {
		err := cluster.Client.Get(ctx, key, obj)
		if apierrors.IsNotFound(err) {
			return false, "not found", nil
		}
		if err != nil {
			return false, "", err
		}
		done, saw := ok(obj)
		return done, saw, nil
	})
	return obj
}

// canaryIngressWeight waits for the canary Ingress web-web-canary to carry weight w.
func canaryIngressWeight(t testing.TB, ns string, w int, timeout time.Duration) *networkingv1.Ingress {
	t.Helper()
	ing := &networkingv1.Ingress{}
	ing.Namespace = ns
	return waitObject(t, ing, "web-web-canary", fmt.Sprintf("canary ingress at weight %d", w), timeout, func(ing *networkingv1.Ingress) (bool, string) {
		got := ing.Annotations["nginx.ingress.kubernetes.io/canary-weight"]
		return got == fmt.Sprint(w), "weight " + got
	})
}

// atStep: the status is for the current spec, at step index idx, in phase.
func atStep(idx int32, phase v1alpha1.RolloutPhase) func(*v1alpha1.Rollout) bool {
	return func(ro *v1alpha1.Rollout) bool {
		return phaseIs(phase)(ro) && ptr.Deref(ro.Status.CurrentStepIndex, -1) == idx
	}
}

// statusWeight: the status reports canary weight w as confirmed.
func statusWeight(w int32) func(*v1alpha1.Rollout) bool {
	return func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Canary.Weights != nil && ro.Status.Canary.Weights.Canary.Weight == w && ro.Status.Canary.Weights.Stable.Weight == 100-w
	}
}

func and(fs ...func(*v1alpha1.Rollout) bool) func(*v1alpha1.Rollout) bool {
	return func(ro *v1alpha1.Rollout) bool {
		for _, f := range fs {
			if !f(ro) {
				return false
			}
		}
		return true
	}
}
