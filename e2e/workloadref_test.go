//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/testenv"
)

// gitDeployment is the Deployment "web" as a team keeps it in Git: 4 replicas of image.
func gitDeployment(image string) string { return gitDeploymentNamed("web", image) }

func gitDeploymentNamed(name, image string) string {
	return fmt.Sprintf(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: %s}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: %s
`, name, image)
}

// workloadRollout is the Rollout "web" of replicas pods releasing Deployment name.
func workloadRollout(replicas int, name, scaleDown, strategy string) []byte {
	return fmt.Appendf(nil, `
apiVersion: rollouts.ramp.dev/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  replicas: %d
  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: %s, scaleDown: %s}
  strategy: %s
`, replicas, name, scaleDown, strategy)
}

// handedOver polls until ramp has scaled Deployment name to 0.
func handedOver(t testing.TB, ns, name string) {
	t.Helper()
	testenv.Eventually(t, time.Minute, "Deployment "+name+" handed over", func(ctx context.Context) (bool, string, error) {
		dep, err := deploymentOf(ctx, ns, name)
		if err != nil {
			return false, "", err
		}
		return ptr.Deref(dep.Spec.Replicas, 1) == 0, fmt.Sprintf("%d replicas", ptr.Deref(dep.Spec.Replicas, 1)), nil
	})
}

// resyncLoop re-applies the Deployment's manifest from "Git" every interval until the test
// ends, as Argo CD's self-heal does (server-side apply, forced): its replicas come back to 4
// each time. It counts the syncs.
type resyncLoop struct {
	image atomic.Value // string: what Git has
	syncs atomic.Int32
}

func startResyncLoop(t *testing.T, ns, image string, interval time.Duration) *resyncLoop {
	l := &resyncLoop{}
	l.image.Store(image)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for {
			_, err := cluster.ApplyAs(ctx, ns, "argocd-controller", []byte(gitDeployment(l.image.Load().(string))))
			if err != nil && ctx.Err() == nil {
				t.Errorf("resync: %v", err)
			}
			l.syncs.Add(1)
			select {
			case <-ctx.Done():
				return
			case <-time.After(interval):
			}
		}
	}()
	return l
}

func deploymentOf(ctx context.Context, ns, name string) (*appsv1.Deployment, error) {
	dep := &appsv1.Deployment{}
	return dep, cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, dep)
}

// A team keeps its Deployment in Git and an Argo-CD-like loop re-applies it every 2 s, replicas
// included, through a whole release. The Deployment is handed over once the Rollout is
// Healthy and every resync that gives it its 4 replicas back is undone, during the next
// release too (Argo #4935); deleting the Rollout gives the Deployment its replicas back, and
// the Rollout's pods stay until the Deployment's are available (#3855).
func TestWorkloadRefUnderAGitOpsResyncLoop(t *testing.T) {
	cluster.StartController(t, controllerBin)
	ns := cluster.Namespace(t)
	loop := startResyncLoop(t, ns, "nginx:1.27", 2*time.Second)
	cluster.Apply(t, ns, workloadRollout(4, "web", v1alpha1.ScaleDownOnSuccess, "{canary: {steps: [{setWeight: 50}, {pause: {}}]}}"))
	isAt := func(image string) func(*v1alpha1.Rollout) bool {
		return func(ro *v1alpha1.Rollout) bool {
			return phaseIs(v1alpha1.RolloutPhaseHealthy)(ro) && ro.Status.StableRS == ro.Status.CurrentPodHash && ro.Status.AvailableReplicas == 4 &&
				replicaSetImage(t, ns, ro.Status.StableRS) == image
		}
	}
	waitRollout(t, ns, "Healthy on the Deployment's template", isAt("nginx:1.27"))
	keptDown := func(what string) {
		t.Helper()
		since := loop.syncs.Load()
		testenv.Eventually(t, time.Minute, what, func(ctx context.Context) (bool, string, error) {
			dep, err := deploymentOf(ctx, ns, "web")
			if err != nil {
				return false, "", err
			}
			got := ptr.Deref(dep.Spec.Replicas, 1)
			return got == 0 && dep.Status.Replicas == 0 && loop.syncs.Load() >= since+3, fmt.Sprintf("%d replicas (%d pods), %d resyncs since", got, dep.Status.Replicas, loop.syncs.Load()-since), nil
		})
	}
	keptDown("the Deployment at 0 after three more resyncs")
	if out := rampOK(t, ns, "get", "rollout", "web"); !strings.Contains(out, "Workload:        Deployment web (scaleDown: onsuccess): 0 replicas") ||
		!strings.Contains(out, "(had 4)") || !strings.Contains(out, "revision:1") {
		t.Errorf("kubectl ramp get rollout: want the Deployment's state and the Rollout's revision:\n%s", out)
	}

	// Git releases nginx:1.28: the Rollout pauses at 50% and the Deployment stays down.
	loop.image.Store("nginx:1.28")
	ro := waitRollout(t, ns, "paused at 50% on the new template", atStep(1, v1alpha1.RolloutPhasePaused))
	if ro.Status.WorkloadObservedGeneration == "" {
		t.Errorf("status.workloadObservedGeneration is empty")
	}
	keptDown("the Deployment at 0 through the release")
	promote(t, ns)
	waitRollout(t, ns, "Healthy on nginx:1.28", isAt("nginx:1.28"))

	// Deleted, the Rollout hands back: the Deployment at 4 and available before the Rollout's
	// ReplicaSets go.
	if err := cluster.Client.Delete(context.Background(), getRollout(t, ns)); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 2*time.Minute, "the Deployment serving again, then the Rollout gone", func(ctx context.Context) (bool, string, error) {
		dep, err := deploymentOf(ctx, ns, "web")
		if err != nil {
			return false, "", err
		}
		err = cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, &v1alpha1.Rollout{})
		gone := apierrors.IsNotFound(err)
		if gone && dep.Status.AvailableReplicas < 4 {
			return false, "", fmt.Errorf("the Rollout went with the Deployment at %d available pods", dep.Status.AvailableReplicas)
		}
		return gone, fmt.Sprintf("Deployment %d/%d available, annotations %v", dep.Status.AvailableReplicas, ptr.Deref(dep.Spec.Replicas, 1), dep.Annotations), nil
	})
}

// replicaSetImage is the image of the Rollout's ReplicaSet of revision hash.
func replicaSetImage(t *testing.T, ns, hash string) string {
	t.Helper()
	list := &appsv1.ReplicaSetList{}
	if err := cluster.Client.List(context.Background(), list, client.InNamespace(ns), client.MatchingLabels{v1alpha1.PodTemplateHashLabel: hash}); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 {
		return ""
	}
	return list.Items[0].Spec.Template.Spec.Containers[0].Image
}

// A workloadRef to a Deployment that does not exist yet degrades the Rollout with the field and
// the fix; creating the Deployment releases it.
func TestWorkloadRefToAMissingDeployment(t *testing.T) {
	cluster.StartController(t, controllerBin)
	ns := cluster.Namespace(t)
	cluster.Apply(t, ns, workloadRollout(2, "web", v1alpha1.ScaleDownProgressively, "{canary: {}}"))
	ro := waitRollout(t, ns, "Degraded: the Deployment is missing", phaseIs(v1alpha1.RolloutPhaseDegraded))
	if !strings.Contains(ro.Status.Message, "spec.workloadRef: Deployment "+ns+"/web not found") {
		t.Errorf("message %q: want the field and the Deployment named", ro.Status.Message)
	}
	cluster.Apply(t, ns, []byte(gitDeployment("nginx:1.27")))
	waitRollout(t, ns, "Healthy once the Deployment exists", func(ro *v1alpha1.Rollout) bool {
		return phaseIs(v1alpha1.RolloutPhaseHealthy)(ro) && ro.Status.AvailableReplicas == 2
	})
	handedOver(t, ns, "web")
}

// A Rollout that moved from one Deployment to another gives each its replicas back when it
// is deleted: the one it names the Rollout's, the one it named before what it had.
func TestWorkloadRefDeletionRestoresEveryDeploymentItScaledDown(t *testing.T) {
	cluster.StartController(t, controllerBin)
	ns := cluster.Namespace(t)
	for _, name := range []string{"web", "web-v2"} {
		cluster.Apply(t, ns, []byte(gitDeploymentNamed(name, "nginx:1.27")))
	}
	cluster.Apply(t, ns, workloadRollout(3, "web", v1alpha1.ScaleDownOnSuccess, "{canary: {}}"))
	handedOver(t, ns, "web")
	patchRollout(t, ns, types.MergePatchType, `{"spec":{"workloadRef":{"name":"web-v2"}}}`)
	handedOver(t, ns, "web-v2")

	if err := cluster.Client.Delete(context.Background(), getRollout(t, ns)); err != nil {
		t.Fatal(err)
	}
	want := map[string]int32{"web": 4, "web-v2": 3}
	testenv.Eventually(t, 2*time.Minute, "both Deployments back, then the Rollout gone", func(ctx context.Context) (bool, string, error) {
		got := map[string]int32{}
		for name := range want {
			dep, err := deploymentOf(ctx, ns, name)
			if err != nil {
				return false, "", err
			}
			got[name] = dep.Status.AvailableReplicas
			if _, annotated := dep.Annotations[v1alpha1.ScaledDownFromAnnotation]; annotated {
				got[name] = -1 // not handed back yet
			}
		}
		err := cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, &v1alpha1.Rollout{})
		return apierrors.IsNotFound(err) && got["web"] == want["web"] && got["web-v2"] == want["web-v2"], fmt.Sprintf("available %v, rollout: %v", got, err), nil
	})
}
