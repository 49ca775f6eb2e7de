//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/e2e/framework"
	"github.com/ramp-dev/ramp/e2e/framework/load"
	"github.com/ramp-dev/ramp/pkg/testenv"
)

// Releases measured with real requests through Traefik (ingress-nginx's canary annotations and
// the Gateway API), answered by podserve as the pods.

const (
	// splitTolerance: a measured share may differ from the weight by this much (1,000
	// requests; Traefik's weighted round robin is exact over its own sequence, and the
	// background stream shares it).
	splitTolerance = 0.05
	// routeApplyGrace bounds, for these tests, when a route change ramp wrote has reached
	// Traefik (its provider throttle is 50 ms). The latency itself is measured by make bench.
	routeApplyGrace = time.Second
)

// routedExample applies the router's example with its own hostname (and, for the Gateway API,
// a Gateway "public" of class traefik on Traefik's web port); every pause waits for promotion
// and old revisions keep their pods 3 s after a promotion. It waits for the first revision and
// for Traefik to serve the host.
func routedExample(t testing.TB, router string, dp framework.DataPlane) (ns, host string) {
	t.Helper()
	ns = cluster.Namespace(t)
	host = ns + ".example.com"
	file := map[string]string{"nginx": "canary-nginx.yaml", "gatewayapi": "canary-gateway-api.yaml"}[router]
	manifest, err := os.ReadFile(filepath.Join(framework.RepoRoot(), "examples", file))
	if err != nil {
		t.Fatal(err)
	}
	manifest = []byte(strings.ReplaceAll(string(manifest), "web.example.com", host))
	if router == "gatewayapi" {
		cluster.Apply(t, ns, []byte(fmt.Sprintf(`apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: public
spec:
  gatewayClassName: traefik
  listeners:
  - name: web
    protocol: HTTP
    port: %d
`, dp.WebPort)))
	}
	cluster.Apply(t, ns, manifest)
	ro := getRollout(t, ns)
	var ops []string
	for i, s := range ro.Spec.Strategy.Canary.Steps {
		if s.Pause != nil && s.Pause.Duration != nil {
			ops = append(ops, fmt.Sprintf(`{"op":"remove","path":"/spec/strategy/canary/steps/%d/pause/duration"}`, i))
		}
	}
	ops = append(ops, `{"op":"add","path":"/spec/strategy/canary/scaleDownDelaySeconds","value":3}`)
	patchRollout(t, ns, types.JSONPatchType, "["+strings.Join(ops, ",")+"]")
	waitRollout(t, ns, "first revision Healthy", healthyAt(ns, "nginx:1.27"))
	testenv.Eventually(t, rolloutTimeout, "Traefik serves "+host, func(ctx context.Context) (bool, string, error) {
		sum := burst(ctx, dp, host, nil, 20)
		return len(sum.Results) == 20 && len(sum.Failures()) == 0, sum.String(), nil
	})
	return ns, host
}

// burst sends n requests to host and returns their results.
func burst(ctx context.Context, dp framework.DataPlane, host string, header http.Header, n int) load.Summary {
	run := load.Start(ctx, load.Config{URL: dp.WebURL, Host: host, Header: header, Rate: 1000, Max: n})
	deadline := time.Now().Add(30 * time.Second)
	for len(run.Snapshot().Results) < n && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	return run.Stop()
}

// checkSplit: once the route at weight w has reached Traefik, 1,000 requests split within
// splitTolerance of w, and requests with X-Canary: yes all reach the canary.
func checkSplit(t *testing.T, dp framework.DataPlane, host, canary string, w int32) {
	t.Helper()
	want := float64(w) / 100
	testenv.Eventually(t, routeApplyGrace*5, fmt.Sprintf("Traefik splits at weight %d", w), func(ctx context.Context) (bool, string, error) {
		sum := burst(ctx, dp, host, nil, 200)
		return math.Abs(sum.Share(canary)-want) <= splitTolerance, sum.String(), nil
	})
	sum := burst(context.Background(), dp, host, nil, 1000)
	if got := sum.Share(canary); len(sum.Results) != 1000 || math.Abs(got-want) > splitTolerance {
		t.Errorf("weight %d: %s: canary share %.3f, want %.2f±%.2f", w, sum, got, want, splitTolerance)
	}
	hdr := burst(context.Background(), dp, host, http.Header{"X-Canary": {"yes"}}, 200)
	if hdr.ByRevision()[canary] != 200 {
		t.Errorf("weight %d, X-Canary: yes: %s, want all 200 from the canary %s", w, hdr, canary)
	}
	t.Logf("weight %d: %s; with X-Canary: yes: %s", w, sum, hdr)
}

// A whole release under steady traffic: the split at each weight, the header rule, and not one
// failed request from the first canary pod to the old revision's scale-down.
func TestDataPlaneReleaseNginx(t *testing.T)      { dataPlaneRelease(t, "nginx") }
func TestDataPlaneReleaseGatewayAPI(t *testing.T) { dataPlaneRelease(t, "gatewayapi") }

func dataPlaneRelease(t *testing.T, router string) {
	cluster.StartController(t, controllerBin)
	dp := cluster.DataPlane(t)
	ns, host := routedExample(t, router, dp)
	stable := getRollout(t, ns).Status.StableRS

	steady := load.Start(context.Background(), load.Config{URL: dp.WebURL, Host: host, Rate: 200})
	setImage(t, ns, "nginx:1.28")
	for _, stop := range []struct{ idx, weight int32 }{{2, 10}, {4, 50}} {
		ro := waitRollout(t, ns, fmt.Sprintf("paused at weight %d", stop.weight), and(atStep(stop.idx, v1alpha1.RolloutPhasePaused), statusWeight(stop.weight)))
		checkSplit(t, dp, host, ro.Status.CurrentPodHash, stop.weight)
		promote(t, ns)
	}
	ro := waitRollout(t, ns, "nginx:1.28 Healthy, the old revision scaled down", healthyAt(ns, "nginx:1.28"))
	// Traffic goes on a while after the old pods are gone.
	mark := time.Now()
	testenv.Eventually(t, rolloutTimeout, "2 s of traffic after the scale-down", func(context.Context) (bool, string, error) {
		s := steady.Snapshot()
		n := len(s.Between(mark, time.Now()).Results)
		return n >= 400, fmt.Sprintf("%d requests since", n), nil
	})
	sum := steady.Stop()
	t.Logf("the whole release: %s", sum)
	if failed := sum.Failures(); len(failed) > 0 {
		t.Errorf("%d of %d requests failed during a healthy release (%v); first: %+v", len(failed), len(sum.Results), sum.ByCode(), failed[0])
	}
	if sum.ByRevision()[stable] == 0 || sum.ByRevision()[ro.Status.StableRS] == 0 {
		t.Errorf("answers by revision %v: want both %s (old) and %s (new)", sum.ByRevision(), stable, ro.Status.StableRS)
	}
	if after := sum.Between(mark, time.Now()).ByRevision(); after[ro.Status.StableRS] != len(sum.Between(mark, time.Now()).Results) {
		t.Errorf("after the release, answers by revision %v: want only %s", after, ro.Status.StableRS)
	}
}

// An abort at weight 10 with the header rule on: once the route change has reached Traefik, no
// request reaches the canary, with or without X-Canary: yes, and none fails.
func TestDataPlaneAbortNginx(t *testing.T)      { dataPlaneAbort(t, "nginx") }
func TestDataPlaneAbortGatewayAPI(t *testing.T) { dataPlaneAbort(t, "gatewayapi") }

func dataPlaneAbort(t *testing.T, router string) {
	cluster.StartController(t, controllerBin)
	dp := cluster.DataPlane(t)
	ns, host := routedExample(t, router, dp)
	setImage(t, ns, "nginx:1.28")
	ro := waitRollout(t, ns, "paused at weight 10", and(atStep(2, v1alpha1.RolloutPhasePaused), statusWeight(10)))
	canary := ro.Status.CurrentPodHash

	plain := load.Start(context.Background(), load.Config{URL: dp.WebURL, Host: host, Rate: 200})
	tester := load.Start(context.Background(), load.Config{URL: dp.WebURL, Host: host, Rate: 50, Header: http.Header{"X-Canary": {"yes"}}})
	testenv.Eventually(t, rolloutTimeout, "the canary answers both streams", func(context.Context) (bool, string, error) {
		a, b := plain.Snapshot().ByRevision()[canary], tester.Snapshot().ByRevision()[canary]
		return a > 0 && b > 0, fmt.Sprintf("plain %d, X-Canary %d", a, b), nil
	})

	abortAt := time.Now()
	patchStatus(t, ns, `{"status":{"abort":true}}`)
	waitRouteAtZero(t, ns, router)
	applied := time.Now().Add(routeApplyGrace)
	trafficUntil(t, plain, applied.Add(2*time.Second), "2 s of traffic after the route change applied")
	for name, run := range map[string]*load.Run{"plain": plain, "X-Canary: yes": tester} {
		sum := run.Stop()
		after := sum.Between(applied, time.Now())
		if n := after.ByRevision()[canary]; n > 0 || len(after.Results) == 0 {
			t.Errorf("%s: %d of %d requests sent after the route change applied reached the canary", name, n, len(after.Results))
		}
		if failed := sum.Failures(); len(failed) > 0 {
			t.Errorf("%s: %d requests failed around the abort: %v; first %+v", name, len(failed), sum.ByCode(), failed[0])
		}
		if last, ok := sum.LastFrom(canary); ok {
			t.Logf("%s: last request to the canary sent %v after the abort; %s", name, last.Sub(abortAt).Round(time.Millisecond), sum)
		}
	}
	waitRollout(t, ns, "Degraded by the abort", phaseIs(v1alpha1.RolloutPhaseDegraded))
}

// Traefik does not implement the Gateway API's RequestMirror (it answers a rule carrying one
// with 500, while reporting the route Accepted), and its GatewayClass says so: a mirror step
// goes Degraded naming the class and the feature, the route keeps no mirror rule, and not one
// request fails.
func TestDataPlaneMirrorOnAGatewayThatCannotMirror(t *testing.T) {
	cluster.StartController(t, controllerBin)
	dp := cluster.DataPlane(t)
	ns, host := routedExample(t, "gatewayapi", dp)
	patchRollout(t, ns, types.JSONPatchType, `[{"op":"replace","path":"/spec/strategy/canary/steps","value":[
		{"setWeight":10},
		{"setMirrorRoute":{"name":"beta-testers","match":[{"path":{"prefix":"/"}}]}},
		{"pause":{}}]}]`)
	steady := load.Start(context.Background(), load.Config{URL: dp.WebURL, Host: host, Rate: 200})
	setImage(t, ns, "nginx:1.28")
	ro := waitRollout(t, ns, "Degraded by the mirror step", func(ro *v1alpha1.Rollout) bool {
		return phaseIs(v1alpha1.RolloutPhaseDegraded)(ro) && strings.Contains(ro.Status.Message, "HTTPRouteRequestMirror")
	})
	if !strings.Contains(ro.Status.Message, "class traefik") {
		t.Errorf("message %q does not name the Gateway's class", ro.Status.Message)
	}
	s, err := readRoute(context.Background(), ns)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(s.rules, "beta-testers") {
		t.Errorf("route rules %v: the mirror rule was written", s.rules)
	}
	trafficUntil(t, steady, time.Now().Add(time.Second), "traffic after the refusal")
	sum := steady.Stop()
	if failed := sum.Failures(); len(failed) > 0 {
		t.Errorf("%d of %d requests failed around the refused mirror step: %v", len(failed), len(sum.Results), sum.ByCode())
	}
	t.Logf("%s; status: %s", sum, ro.Status.Message)
}

// waitRouteAtZero waits for the router's objects to route nothing to the canary: weight 0 and
// no header rule.
func waitRouteAtZero(t testing.TB, ns, router string) {
	t.Helper()
	switch router {
	case "nginx":
		testenv.Eventually(t, abortReaction, "canary Ingress at weight 0 without the header", func(ctx context.Context) (bool, string, error) {
			ing := canaryIngressWeight(t, ns, 0, abortReaction)
			_, header := ing.Annotations["nginx.ingress.kubernetes.io/canary-by-header"]
			return !header, fmt.Sprint(ing.Annotations), nil
		})
	case "gatewayapi":
		testenv.Eventually(t, abortReaction, "route at weight 0 without the header rule", func(ctx context.Context) (bool, string, error) {
			s, err := readRoute(ctx, ns)
			return err == nil && s.canary == 0 && !slices.Contains(s.rules, "beta-testers"), s.String(), err
		})
	}
}

// trafficUntil waits until run has sent a request after until.
func trafficUntil(t testing.TB, run *load.Run, until time.Time, what string) {
	t.Helper()
	testenv.Eventually(t, rolloutTimeout, what, func(context.Context) (bool, string, error) {
		res := run.Snapshot().Results
		return len(res) > 0 && res[len(res)-1].Sent.After(until), fmt.Sprintf("%d requests", len(res)), nil
	})
}
