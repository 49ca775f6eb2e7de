//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/pkg/testenv"
)

// readyEndpoints watches the EndpointSlices of a Service and records the number of ready
// endpoints after every change, until the test ends.
type readyEndpoints struct {
	mu     sync.Mutex
	counts []int
}

func watchReadyEndpoints(t *testing.T, ns, service string) *readyEndpoints {
	t.Helper()
	cs := kubernetes.NewForConfigOrDie(cluster.Config)
	ctx, cancel := context.WithCancel(context.Background())
	w, err := cs.DiscoveryV1().EndpointSlices(ns).Watch(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + service})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	r := &readyEndpoints{}
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); w.Stop(); <-done })
	go func() {
		defer close(done)
		bySlice := map[string]int{}
		for ev := range w.ResultChan() {
			slice, ok := ev.Object.(*discoveryv1.EndpointSlice)
			if !ok {
				continue
			}
			n := 0
			for _, e := range slice.Endpoints {
				if ptr.Deref(e.Conditions.Ready, false) {
					n++
				}
			}
			if ev.Type == watch.Deleted {
				n = 0
			}
			bySlice[slice.Name] = n
			total := 0
			for _, c := range bySlice {
				total += c
			}
			r.mu.Lock()
			r.counts = append(r.counts, total)
			r.mu.Unlock()
		}
	}()
	return r
}

// droppedToZero reports the counts once the Service had ready endpoints, and whether they
// ever fell to 0 after that.
func (r *readyEndpoints) droppedToZero() (bool, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	served := false
	for _, n := range r.counts {
		if n > 0 {
			served = true
		} else if served {
			return true, fmt.Sprint(r.counts)
		}
	}
	return false, fmt.Sprint(r.counts)
}

// Without traffic routing, a release moves stableService to the new revision before the old
// pods go: the Service's EndpointSlices never have 0 ready endpoints on the way.
func TestStableServiceNeverLosesItsLastEndpoint(t *testing.T) {
	ns := cluster.Namespace(t)
	cluster.StartController(t, controllerBin)
	cluster.Apply(t, ns, []byte(`
apiVersion: v1
kind: Service
metadata: {name: web-stable}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: web-canary}
spec:
  selector: {app: web}
  ports: [{port: 80}]
`))
	applyRolloutWith(t, ns, 3, "web:1", "      stableService: web-stable\n      canaryService: web-canary\n", "setWeight: 34", "pause: {duration: 1s}")
	waitRollout(t, ns, "first revision Healthy", healthyAt(ns, "web:1"))
	ready := watchReadyEndpoints(t, ns, "web-stable")
	for i, image := range []string{"web:2", "web:3", "web:2"} {
		setImage(t, ns, image)
		waitRollout(t, ns, fmt.Sprintf("release %d (%s) Healthy", i+1, image), healthyAt(ns, image))
	}
	waitReadyCount(t, ready, 3)
	if dropped, counts := ready.droppedToZero(); dropped {
		t.Errorf("web-stable had 0 ready endpoints during a release; ready endpoints after each change: %s", counts)
	}
}

// waitReadyCount waits for the last recorded count to be n.
func waitReadyCount(t *testing.T, r *readyEndpoints, n int) {
	t.Helper()
	testenv.Eventually(t, rolloutTimeout, fmt.Sprintf("%d ready endpoints", n), func(context.Context) (bool, string, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.counts) > 0 && r.counts[len(r.counts)-1] == n, fmt.Sprint(r.counts), nil
	})
}
