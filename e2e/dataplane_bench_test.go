//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/e2e/framework/load"
	"github.com/ramp-dev/ramp/pkg/testenv"
)

// The latency users feel: from the abort's status patch to the last request the canary served,
// measured with 500 requests/s through Traefik at weight 50 (a canary answer every 4 ms).
// Idle cluster; make bench-scale measures it while 100 Rollouts progress.
func BenchmarkDataPlaneAbortNginx(b *testing.B)      { benchDataPlaneAbort(b, "nginx") }
func BenchmarkDataPlaneAbortGatewayAPI(b *testing.B) { benchDataPlaneAbort(b, "gatewayapi") }

func benchDataPlaneAbort(b *testing.B, router string) {
	cluster.StartController(b, controllerBin)
	dp := cluster.DataPlane(b)
	ns, host := routedExample(b, router, dp)
	setImage(b, ns, "nginx:1.28")
	var took []time.Duration
	for range b.N {
		ro := waitRollout(b, ns, "paused at weight 10", and(atStep(2, v1alpha1.RolloutPhasePaused), statusWeight(10)))
		promote(b, ns)
		ro = waitRollout(b, ns, "paused at weight 50", and(atStep(4, v1alpha1.RolloutPhasePaused), statusWeight(50)))
		canary := ro.Status.CurrentPodHash
		run := load.Start(context.Background(), load.Config{URL: dp.WebURL, Host: host, Rate: 500})
		testenv.Eventually(b, rolloutTimeout, "the canary answers", func(context.Context) (bool, string, error) {
			return run.Snapshot().ByRevision()[canary] > 0, "", nil
		})
		abortAt := time.Now()
		patchStatus(b, ns, `{"status":{"abort":true}}`)
		waitRouteAtZero(b, ns, router)
		trafficUntil(b, run, time.Now().Add(routeApplyGrace), "traffic after the route change applied")
		sum := run.Stop()
		last, ok := sum.LastFrom(canary)
		if !ok {
			b.Fatal("the canary served nothing")
		}
		took = append(took, last.Sub(abortAt))
		waitRollout(b, ns, "Degraded by the abort", phaseIs(v1alpha1.RolloutPhaseDegraded))
		patchStatus(b, ns, `{"status":{"abort":false}}`)
	}
	reportPercentiles(b, "abort->last canary request", took)
}

// Requests lost while a release goes from the first canary pod to the old revision's scale-down,
// under 500 requests/s: it must be 0.
func BenchmarkDataPlanePromotionNginx(b *testing.B)      { benchDataPlanePromotion(b, "nginx") }
func BenchmarkDataPlanePromotionGatewayAPI(b *testing.B) { benchDataPlanePromotion(b, "gatewayapi") }

func benchDataPlanePromotion(b *testing.B, router string) {
	cluster.StartController(b, controllerBin)
	dp := cluster.DataPlane(b)
	ns, host := routedExample(b, router, dp)
	run := load.Start(context.Background(), load.Config{URL: dp.WebURL, Host: host, Rate: 500})
	releases := 0
	for range b.N {
		releases++
		image := fmt.Sprintf("nginx:1.%d", 27+releases)
		setImage(b, ns, image)
		for _, idx := range []int32{2, 4} {
			waitRollout(b, ns, fmt.Sprintf("paused at step %d", idx), atStep(idx, v1alpha1.RolloutPhasePaused))
			promote(b, ns)
		}
		waitRollout(b, ns, image+" Healthy, the old revision scaled down", healthyAt(ns, image))
	}
	sum := run.Stop()
	lost := len(sum.Failures())
	b.ReportMetric(float64(lost), "lost-requests")
	b.ReportMetric(float64(len(sum.Results)), "requests")
	fmt.Printf("%s: %d releases, %s requests through them, %d lost %v\n", b.Name(), releases, load.Thousands(len(sum.Results)), lost, sum.ByCode())
}

func reportPercentiles(b *testing.B, what string, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(p float64) time.Duration { return s[min(len(s)-1, int(p/100*float64(len(s))))] }
	b.ReportMetric(float64(at(50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(at(99).Microseconds())/1000, "p99-ms")
	fmt.Printf("%s: %s over %d samples: p50 %s  p99 %s  max %s\n", b.Name(), what, len(s), at(50).Round(time.Millisecond), at(99).Round(time.Millisecond), s[len(s)-1].Round(time.Millisecond))
}
