//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/testenv"
)

// A spec the API server accepts but ramp cannot honour is Degraded with a message naming the
// field; nothing that serves traffic moves, and fixing the spec recovers.
func TestInvalidSpecLosesNothing(t *testing.T) {
	ns := cluster.Namespace(t)
	cluster.StartController(t, controllerBin)
	applyRollout(t, ns, 3, "web:1", "setWeight: 50", "pause: {}")
	stable := waitRollout(t, ns, "Healthy", healthyAt(ns, "web:1")).Status.StableRS

	patchRollout(t, ns, types.MergePatchType, `{"spec":{"template":{"metadata":{"labels":{"app":"oops"}},"spec":{"containers":[{"name":"web","image":"web:2"}]}}}}`)
	ro := waitRollout(t, ns, "Degraded for the selector", phaseIs(v1alpha1.RolloutPhaseDegraded))
	if !strings.Contains(ro.Status.Message, "spec.selector") {
		t.Errorf("message %q does not name spec.selector", ro.Status.Message)
	}
	if got := replicaSetReplicas(t, ns); len(got) != 1 || got[stable] != 3 {
		t.Errorf("replicasets %v: want only the stable one, untouched at 3", got)
	}

	patchRollout(t, ns, types.MergePatchType, `{"spec":{"template":{"metadata":{"labels":{"app":"web"}}}}}`)
	waitRollout(t, ns, "paused at 50% of the fixed revision", phaseIs(v1alpha1.RolloutPhasePaused))
}

// A missing stableService is Degraded and nothing moves; creating the Service (a watched
// object) lets the Rollout continue without any other change.
func TestMissingServiceWaitsForIt(t *testing.T) {
	ns := cluster.Namespace(t)
	cluster.StartController(t, controllerBin)
	applyRollout(t, ns, 2, "web:1")
	waitRollout(t, ns, "Healthy", healthyAt(ns, "web:1"))

	patchRollout(t, ns, types.MergePatchType, `{"spec":{"strategy":{"canary":{"stableService":"web-stable"}}}}`)
	ro := waitRollout(t, ns, "Degraded for the Service", phaseIs(v1alpha1.RolloutPhaseDegraded))
	if !strings.Contains(ro.Status.Message, "Service "+ns+"/web-stable not found") {
		t.Errorf("message %q does not name the Service", ro.Status.Message)
	}

	cluster.Apply(t, ns, []byte(`
apiVersion: v1
kind: Service
metadata: {name: web-stable}
spec:
  selector: {app: web}
  ports: [{port: 80}]
`))
	ro = waitRollout(t, ns, "Healthy again", healthyAt(ns, "web:1"))
	waitServiceSelects(t, ns, "web-stable", ro.Status.StableRS)
}

func waitServiceSelects(t *testing.T, ns, name, hash string) {
	t.Helper()
	testenv.Eventually(t, rolloutTimeout, "service "+name+" selecting revision "+hash, func(ctx context.Context) (bool, string, error) {
		svc := &corev1.Service{}
		if err := cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, svc); err != nil {
			return false, "", err
		}
		return svc.Spec.Selector[v1alpha1.PodTemplateHashLabel] == hash, fmt.Sprint(svc.Spec.Selector), nil
	})
}
