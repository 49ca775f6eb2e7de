//go:build integration

package controllers_test

import (
	"context"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// BenchmarkAbortRestoresStableTraffic measures what users feel on an abort: from the status
// patch that `kubectl ramp abort` makes to the canary Ingress at weight 0 on the API server,
// through the real reconciler, cache and watches (envtest). Our target is well under a second.
//
//	make bench
func BenchmarkAbortRestoresStableTraffic(b *testing.B) {
	ctx := context.Background()
	ns := namespace(b)
	playReplicaSetController(b, ns)
	for _, o := range []client.Object{service(ns, "web-stable"), service(ns, "web-canary"), ingress(ns, "web", "web-stable")} {
		if err := env.Client.Create(ctx, o); err != nil {
			b.Fatal(err)
		}
	}
	ro := nginxRollout(ns, 4, v1alpha1.CanaryStep{SetWeight: ptr.To[int32](50)}, v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{}})
	if err := env.Client.Create(ctx, ro); err != nil {
		b.Fatal(err)
	}
	waitWeight := func(want string, deadline time.Duration) {
		end := time.Now().Add(deadline)
		ing := &networkingv1.Ingress{}
		for time.Now().Before(end) {
			if env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web-web-canary"}, ing) == nil &&
				ing.Annotations["nginx.ingress.kubernetes.io/canary-weight"] == want {
				return
			}
			time.Sleep(time.Millisecond) // the poll interval bounds the measurement's resolution
		}
		b.Fatalf("canary weight never reached %s", want)
	}
	abort := func(on bool) { setAbort(b, ro, on) }
	waitPhase(b, ro, v1alpha1.RolloutPhaseHealthy)
	waitWeight("0", timeout)
	setImage(b, ro, "web:2")
	waitWeight("50", timeout)

	b.ResetTimer()
	for range b.N {
		abort(true)
		waitWeight("0", timeout)
		b.StopTimer()
		abort(false)
		waitWeight("50", timeout)
		b.StartTimer()
	}
}

// BenchmarkAbortRestoresStableTrafficGatewayAPI is BenchmarkAbortRestoresStableTraffic with the
// Gateway API router: from the abort's status patch to the HTTPRoute's canary backendRef at
// weight 0 with the managed header rule gone.
func BenchmarkAbortRestoresStableTrafficGatewayAPI(b *testing.B) {
	ctx := context.Background()
	ns := namespace(b)
	playReplicaSetController(b, ns)
	for _, o := range []client.Object{service(ns, "web-stable"), service(ns, "web-canary")} {
		if err := env.Client.Create(ctx, o); err != nil {
			b.Fatal(err)
		}
	}
	env.CreateYAML(b, ns, gwHTTPRoute)
	ro := gwRollout(ns, 4, v1alpha1.CanaryStep{SetWeight: ptr.To[int32](50)}, betaHeaderStep, v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{}})
	if err := env.Client.Create(ctx, ro); err != nil {
		b.Fatal(err)
	}
	// waitRoute: the rule "primary" gives the canary want, with (or without) the header rule above it.
	waitRoute := func(want int32, header bool, deadline time.Duration) {
		end := time.Now().Add(deadline)
		rt := &gatewayv1.HTTPRoute{}
		for time.Now().Before(end) {
			if env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, rt) == nil {
				primary := rt.Spec.Rules[len(rt.Spec.Rules)-2]
				if ptr.Deref(primary.BackendRefs[1].Weight, 1) == want && (len(rt.Spec.Rules) == 3) == header {
					return
				}
			}
			time.Sleep(time.Millisecond)
		}
		b.Fatalf("canary weight never reached %d (header rule %v)", want, header)
	}
	abort := func(on bool) { setAbort(b, ro, on) }
	waitPhase(b, ro, v1alpha1.RolloutPhaseHealthy)
	setImage(b, ro, "web:2")
	waitRoute(50, true, timeout)

	b.ResetTimer()
	for range b.N {
		abort(true)
		waitRoute(0, false, timeout)
		b.StopTimer()
		abort(false)
		waitRoute(50, true, timeout)
		b.StartTimer()
	}
}

// setAbort sets status.abort as kubectl ramp abort (on) and retry (off) do.
func setAbort(b *testing.B, ro *v1alpha1.Rollout, on bool) {
	ctx := context.Background()
	got := &v1alpha1.Rollout{}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(ro), got); err != nil {
		b.Fatal(err)
	}
	patched := got.DeepCopy()
	patched.Status.Abort = on
	if err := env.Client.Status().Patch(ctx, patched, client.MergeFrom(got)); err != nil {
		b.Fatal(err)
	}
}
