//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// How long a GitOps resync that puts a handed-over Deployment's replicas back (Argo #4935)
// keeps it above 0, and how many pods its ReplicaSet creates meanwhile: from the apply's
// return to the Deployment's replicas at 0 again, then to its pods gone.
func BenchmarkWorkloadResyncUndone(b *testing.B) {
	cluster.StartController(b, controllerBin)
	ns := cluster.Namespace(b)
	cluster.Apply(b, ns, []byte(gitDeployment("nginx:1.27")))
	cluster.Apply(b, ns, workloadRollout(4, "web", v1alpha1.ScaleDownOnSuccess, "{canary: {}}"))
	handedOver(b, ns, "web")
	cs, err := kubernetes.NewForConfig(cluster.Config)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var undone, drained []time.Duration
	created := 0
	for range b.N {
		dep, err := cs.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			b.Fatal(err)
		}
		deps, err := cs.AppsV1().Deployments(ns).Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=web", ResourceVersion: dep.ResourceVersion})
		if err != nil {
			b.Fatal(err)
		}
		var pods atomic.Int32
		podWatch, err := cs.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{LabelSelector: "pod-template-hash", ResourceVersion: dep.ResourceVersion})
		if err != nil {
			b.Fatal(err)
		}
		go func() {
			for ev := range podWatch.ResultChan() {
				if ev.Type == watch.Added {
					pods.Add(1)
				}
			}
		}()
		start := time.Now()
		if _, err := cluster.ApplyAs(ctx, ns, "argocd-controller", []byte(gitDeployment("nginx:1.27"))); err != nil {
			b.Fatal(err)
		}
		applied := time.Now()
		var upSeen, zeroAt time.Time
		deadline := time.After(time.Minute)
	events:
		for {
			select {
			case ev := <-deps.ResultChan():
				d, ok := ev.Object.(*appsv1.Deployment)
				if !ok {
					continue
				}
				replicas := ptr.Deref(d.Spec.Replicas, 1)
				switch {
				case replicas > 0 && upSeen.IsZero():
					upSeen = time.Now()
				case replicas == 0 && !upSeen.IsZero() && zeroAt.IsZero():
					zeroAt = time.Now()
				}
				if !zeroAt.IsZero() && d.Status.ObservedGeneration >= d.Generation && d.Status.Replicas == 0 {
					break events
				}
			case <-deadline:
				b.Fatalf("the resync at %s was not undone within a minute", start.Format(time.RFC3339Nano))
			}
		}
		undone = append(undone, zeroAt.Sub(applied))
		drained = append(drained, time.Since(applied))
		deps.Stop()
		podWatch.Stop()
		created += int(pods.Load())
	}
	reportPercentiles(b, "resync applied->replicas 0", undone)
	reportPercentiles(b, "resync applied->Deployment has no pods", drained)
	b.ReportMetric(float64(created)/float64(b.N), "pods/resync")
	fmt.Printf("%s: %.1f pods created per resync, over %d resyncs\n", b.Name(), float64(created)/float64(b.N), b.N)
}
