//go:build scale

package scale

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/e2e/framework"
	"github.com/ramp-dev/ramp/e2e/framework/load"
	"github.com/ramp-dev/ramp/pkg/testenv"
)

const canaryWeightAnnotation = "nginx.ingress.kubernetes.io/canary-weight"

// report collects the table printed at the end.
type report struct {
	mu   sync.Mutex
	rows []string
}

func (r *report) add(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rows = append(r.rows, fmt.Sprintf(format, args...))
}

func sizes(t *testing.T) []int {
	var out []int
	for _, f := range strings.Split(envOr("RAMP_SCALE_N", "100,500"), ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			t.Fatalf("RAMP_SCALE_N: %v", err)
		}
		if n > 0 {
			out = append(out, n)
		}
	}
	return out
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func create(t *testing.T, objs ...client.Object) {
	t.Helper()
	for _, o := range objs {
		if err := cluster.Client.Create(context.Background(), o); err != nil {
			t.Fatalf("create %T %s: %v", o, o.GetName(), err)
		}
	}
}

func setImage(ctx context.Context, obj client.Object, image string) error {
	patch := fmt.Sprintf(`[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":%q}]`, image)
	return cluster.Client.Patch(ctx, obj, client.RawPatch(types.JSONPatchType, []byte(patch)))
}

func released(ro *v1alpha1.Rollout, image string) bool {
	return ro.Status.ObservedGeneration == ro.Generation && ro.Status.Phase == v1alpha1.RolloutPhaseHealthy &&
		ro.Spec.Template.Spec.Containers[0].Image == image && ro.Status.StableRS == ro.Status.CurrentPodHash
}

func deployed(d *appsv1.Deployment, image string) bool {
	s := d.Status
	return s.ObservedGeneration == d.Generation && d.Spec.Template.Spec.Containers[0].Image == image &&
		s.UpdatedReplicas == *d.Spec.Replicas && s.AvailableReplicas == *d.Spec.Replicas && s.Replicas == *d.Spec.Replicas
}

// churn releases image after image on every Rollout (or Deployment) of ns until stop is
// closed or want releases are done (want 0: no such end), and returns how long each took.
func churn(t *testing.T, ns string, deployments bool, want int, stop <-chan struct{}) []time.Duration {
	ctx := context.Background()
	started, gen := map[string]time.Time{}, map[string]int{}
	var took []time.Duration
	for want == 0 || len(took) < want {
		select {
		case <-stop:
			return took
		case <-time.After(time.Second): // the resolution of release times; listing less often loads the API server less
		}
		ready, err := releasedObjects(ctx, ns, deployments, gen)
		if err != nil {
			t.Logf("list: %v", err)
			continue
		}
		for _, o := range ready {
			if at, ok := started[o.GetName()]; ok {
				took = append(took, time.Since(at))
			}
			gen[o.GetName()]++
			started[o.GetName()] = time.Now()
			_ = setImage(ctx, o, fmt.Sprintf("web:%d", gen[o.GetName()]))
		}
	}
	return took
}

// releasedObjects are the Deployments (or Rollouts, the abort target aside) of ns whose release
// of image web:<gen[name]> is done.
func releasedObjects(ctx context.Context, ns string, deployments bool, gen map[string]int) ([]client.Object, error) {
	var out []client.Object
	if deployments {
		list := &appsv1.DeploymentList{}
		if err := cluster.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
			return nil, err
		}
		for i := range list.Items {
			if d := &list.Items[i]; deployed(d, fmt.Sprintf("web:%d", gen[d.Name])) {
				out = append(out, d)
			}
		}
		return out, nil
	}
	list := &v1alpha1.RolloutList{}
	if err := cluster.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	for i := range list.Items {
		if ro := &list.Items[i]; ro.Name != "target" && released(ro, fmt.Sprintf("web:%d", gen[ro.Name])) {
			out = append(out, ro)
		}
	}
	return out, nil
}

func waitAll(t *testing.T, ns, what string, n int, ok func(*v1alpha1.Rollout) bool) {
	t.Helper()
	testenv.Eventually(t, 15*time.Minute, what, func(ctx context.Context) (bool, string, error) {
		list := &v1alpha1.RolloutList{}
		if err := cluster.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
			return false, "", err
		}
		done := 0
		for i := range list.Items {
			if ok(&list.Items[i]) {
				done++
			}
		}
		return done >= n, fmt.Sprintf("%d of %d", done, n), nil
	})
}

func getRollout(t *testing.T, ns, name string) *v1alpha1.Rollout {
	ro := &v1alpha1.Rollout{}
	if err := cluster.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, ro); err != nil {
		t.Fatal(err)
	}
	return ro
}

func patchStatus(t *testing.T, ns, name, patch string) {
	ro := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	if err := cluster.Client.Status().Patch(context.Background(), ro, client.RawPatch(types.MergePatchType, []byte(patch)), client.FieldOwner("kubectl-ramp")); err != nil {
		t.Fatal(err)
	}
}

// abortLatency aborts the target (paused at weight 50) and measures, through a watch on its
// canary Ingress, how long until the API server holds weight 0, and, with 500 requests/s
// through Traefik, until the last request the canary served (what users feel); then retries it
// back to its pause at weight 50.
func abortLatency(t *testing.T, ns string, dp framework.DataPlane) (toWeight0, toLastCanary time.Duration) {
	ctx := context.Background()
	canary := "target-target-canary"
	testenv.Eventually(t, 5*time.Minute, "target paused at weight 50", func(ctx context.Context) (bool, string, error) {
		ro, ing := getRollout(t, ns, "target"), &networkingv1.Ingress{}
		if err := cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: canary}, ing); err != nil {
			return false, "", client.IgnoreNotFound(err)
		}
		return ro.Status.Phase == v1alpha1.RolloutPhasePaused && ing.Annotations[canaryWeightAnnotation] == "50", ro.Status.Message, nil
	})
	ing := &networkingv1.Ingress{}
	if err := cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: canary}, ing); err != nil {
		t.Fatal(err)
	}
	w, err := cluster.Clientset.NetworkingV1().Ingresses(ns).Watch(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("metadata.name", canary).String(), ResourceVersion: ing.ResourceVersion,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	canaryHash := getRollout(t, ns, "target").Status.CurrentPodHash
	run := load.Start(ctx, load.Config{URL: dp.WebURL, Host: "target.example.com", Rate: 500})
	defer run.Stop()
	testenv.Eventually(t, time.Minute, "the target's canary answers requests", func(context.Context) (bool, string, error) {
		s := run.Snapshot()
		return s.ByRevision()[canaryHash] > 0, s.String(), nil
	})
	start := time.Now()
	patchStatus(t, ns, "target", `{"status":{"abort":true}}`)
	timeout := time.After(time.Minute)
	var took time.Duration
	for took == 0 {
		select {
		case ev := <-w.ResultChan():
			if i, ok := ev.Object.(*networkingv1.Ingress); ok && ev.Type == watch.Modified && i.Annotations[canaryWeightAnnotation] == "0" {
				took = time.Since(start)
			}
		case <-timeout:
			t.Fatal("the canary Ingress never reached weight 0 after the abort")
		}
	}
	// Traffic for a second beyond the Ingress change (Traefik's throttle is 50 ms).
	settled := time.Now().Add(time.Second)
	testenv.Eventually(t, time.Minute, "traffic after the route change", func(context.Context) (bool, string, error) {
		res := run.Snapshot().Results
		return len(res) > 0 && res[len(res)-1].Sent.After(settled), "", nil
	})
	last, ok := run.Stop().LastFrom(canaryHash)
	if !ok {
		t.Fatal("the target's canary served no request")
	}
	testenv.Eventually(t, time.Minute, "abort recorded", func(ctx context.Context) (bool, string, error) {
		ro := getRollout(t, ns, "target")
		return ro.Status.AbortedAt != nil, ro.Status.Message, nil
	})
	patchStatus(t, ns, "target", `{"status":{"abort":false}}`)
	return took, last.Sub(start)
}

// TestScale prints the figures of the README's performance section.
func TestScale(t *testing.T) {
	r := &report{}
	for _, n := range sizes(t) {
		t.Run(fmt.Sprintf("N=%d", n), func(t *testing.T) { progressing(t, r, n) })
	}
	if n, err := strconv.Atoi(envOr("RAMP_SCALE_IDLE", "10000")); err == nil && n > 0 {
		t.Run(fmt.Sprintf("idle=%d", n), func(t *testing.T) { idle(t, r, n) })
	}
	t.Log("\n" + strings.Join(r.rows, "\n"))
	fmt.Println(strings.Join(r.rows, "\n"))
}

func progressing(t *testing.T, r *report, n int) {
	pprofAddr := framework.FreeAddr(t)
	ctrl := cluster.StartController(t, controllerBin, "--pprof-bind-address="+pprofAddr)
	ns := cluster.Namespace(t)
	target, others := abortTarget(ns)
	for _, o := range others {
		create(t, o.(client.Object))
	}
	create(t, target)
	for i := range n {
		create(t, rollout(ns, fmt.Sprintf("r-%d", i), 2, progressingSteps))
	}
	waitAll(t, ns, "every Rollout Healthy", n+1, func(ro *v1alpha1.Rollout) bool { return released(ro, "web:0") })
	if err := setImage(context.Background(), target, "web:1"); err != nil {
		t.Fatal(err)
	}

	stop := make(chan struct{})
	var took []time.Duration
	done := make(chan struct{})
	go func() { took = churn(t, ns, false, 0, stop); close(done) }()
	profiled := profile(t, pprofAddr, fmt.Sprintf("progressing-%d", n))
	dp := cluster.DataPlane(t)
	var aborts, felt, hops []time.Duration
	for range 20 {
		toZero, toLast := abortLatency(t, ns, dp)
		aborts, felt = append(aborts, toZero), append(felt, toLast)
		hops = append(hops, apiHop(t, ns))
	}
	<-profiled
	close(stop)
	<-done
	overhead := make([]time.Duration, len(took))
	for i, d := range took {
		overhead[i] = d - pausesPerRelease*time.Second
	}
	waitAll(t, ns, "the releases under way done", n+1, func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy || ro.Name == "target"
	})
	writes := writesPerUpdate(t, ns)
	if err := cluster.Client.Delete(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Logf("delete namespace %s: %v", ns, err)
	}

	// The floor: the same pod churn by plain Deployments, for as many releases.
	dns := cluster.Namespace(t)
	for i := range n {
		create(t, deployment(dns, fmt.Sprintf("d-%d", i), 2))
	}
	floor := churn(t, dns, true, max(len(took), 1), nil)

	r.add("N=%d  aborts=%d  abort->weight 0: p50 %s  p99 %s  max %s", n, len(aborts), ms(percentile(aborts, 50)), ms(percentile(aborts, 99)), ms(percentile(aborts, 100)))
	r.add("N=%d  aborts=%d  abort->last request served by the canary (500 req/s through Traefik): p50 %s  p99 %s  max %s", n, len(felt), ms(percentile(felt, 50)), ms(percentile(felt, 99)), ms(percentile(felt, 100)))
	r.add("N=%d  API floor, one write seen through a watch (an abort needs two): p50 %s  p99 %s  max %s", n, ms(percentile(hops, 50)), ms(percentile(hops, 99)), ms(percentile(hops, 100)))
	r.add("N=%d  releases=%d  step overhead beyond pauses: p50 %s  p95 %s;  Deployment floor (%d releases): p50 %s  p95 %s",
		n, len(overhead), ms(percentile(overhead, 50)), ms(percentile(overhead, 95)), len(floor), ms(percentile(floor, 50)), ms(percentile(floor, 95)))
	r.add("N=%d  API writes by ramp per rollout update (API server's count): %s", n, writes)
	_ = ctrl
}

// apiHop is the API server's own share of an abort under the same load: how long a patch takes to
// reach a watcher. An abort is two such hops (the user's patch to the controller, the
// controller's Ingress patch to the observer) plus the controller's reconcile.
func apiHop(t *testing.T, ns string) time.Duration {
	ctx := context.Background()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "api-hop"}}
	if err := cluster.Client.Get(ctx, client.ObjectKeyFromObject(cm), cm); apierrors.IsNotFound(err) {
		create(t, cm)
	} else if err != nil {
		t.Fatal(err)
	}
	w, err := cluster.Clientset.CoreV1().ConfigMaps(ns).Watch(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("metadata.name", cm.Name).String(), ResourceVersion: cm.ResourceVersion,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	stamp := strconv.FormatInt(time.Now().UnixNano(), 10)
	start := time.Now()
	patch := fmt.Sprintf(`{"data":{"stamp":%q}}`, stamp)
	if err := cluster.Client.Patch(ctx, cm, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(time.Minute)
	for {
		select {
		case ev := <-w.ResultChan():
			if c, ok := ev.Object.(*corev1.ConfigMap); ok && c.Data["stamp"] == stamp {
				return time.Since(start)
			}
		case <-timeout:
			t.Fatal("the probe ConfigMap's patch never reached the watch")
		}
	}
}

// heapProfile writes the controller's live heap into $RAMP_SCALE_PROFILE_DIR (when set).
func heapProfile(t *testing.T, addr, name string) {
	if dir := os.Getenv("RAMP_SCALE_PROFILE_DIR"); dir != "" {
		savePprof(t, "http://"+addr+"/debug/pprof/heap?gc=1", filepath.Join(dir, name+".heap.pprof"))
	}
}

// profile takes a 30 s CPU profile of the controller into $RAMP_SCALE_PROFILE_DIR (when set),
// in the background; the channel closes when it is written.
func profile(t *testing.T, addr, name string) <-chan struct{} {
	done := make(chan struct{})
	dir := os.Getenv("RAMP_SCALE_PROFILE_DIR")
	if dir == "" {
		close(done)
		return done
	}
	go func() {
		defer close(done)
		savePprof(t, "http://"+addr+"/debug/pprof/profile?seconds=30", filepath.Join(dir, name+".pprof"))
	}()
	return done
}

// savePprof writes what a pprof URL answers into file; a failure is only logged.
func savePprof(t *testing.T, url, file string) {
	resp, err := http.Get(url)
	if err != nil {
		t.Logf("profile %s: %v", url, err)
		return
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err == nil {
		err = os.WriteFile(file, data, 0o644)
	}
	if err != nil {
		t.Logf("profile %s: %v", url, err)
	}
}

// writesPerUpdate releases one more Rollout five times on a quiet namespace and counts, on the
// API server, the writes of the resources only ramp writes, plus ramp's Events.
func writesPerUpdate(t *testing.T, ns string) string {
	ctx := context.Background()
	const releases = 5
	ro := rollout(ns, "counted", 2, progressingSteps)
	create(t, ro)
	waitAll(t, ns, "counted Healthy", 1, func(r *v1alpha1.Rollout) bool { return r.Name == "counted" && released(r, "web:0") })
	events := func() int {
		list := &eventsv1.EventList{}
		if err := cluster.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range list.Items {
			if e.ReportingController == "ramp-controller" && e.Regarding.Name == "counted" {
				n++
			}
		}
		return n
	}
	before, err := apiWrites(ctx)
	if err != nil {
		t.Fatal(err)
	}
	eventsBefore := events()
	for i := 1; i <= releases; i++ {
		image := fmt.Sprintf("web:%d", i)
		if err := setImage(ctx, ro, image); err != nil {
			t.Fatal(err)
		}
		waitAll(t, ns, "counted released "+image, 1, func(r *v1alpha1.Rollout) bool {
			return r.Name == "counted" && released(r, image) && r.Status.Replicas == 2
		})
	}
	after, err := apiWrites(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	total := 0.0
	for _, res := range rampResources {
		if d := (after[res] - before[res]) / releases; d > 0 {
			parts = append(parts, fmt.Sprintf("%s %.1f", strings.TrimPrefix(res, "/"), d))
			total += d
		}
	}
	ev := float64(events()-eventsBefore) / releases
	parts = append(parts, fmt.Sprintf("events %.1f", ev))
	return fmt.Sprintf("%.1f in all (%s)", total+ev, strings.Join(parts, ", "))
}

// idle measures the controller with n Rollouts (replicas 0) that are Healthy and unchanged,
// then with as many unrelated ReplicaSets in other namespaces.
func idle(t *testing.T, r *report, n int) {
	pprofAddr := framework.FreeAddr(t)
	ctrl := cluster.StartController(t, controllerBin, "--pprof-bind-address="+pprofAddr)
	const spread = 10
	createAll := func(build func(ns string, i int) client.Object) {
		var nss []string
		for range spread {
			nss = append(nss, cluster.Namespace(t))
		}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < n; i += 8 {
					if err := cluster.Client.Create(context.Background(), build(nss[i%spread], i)); err != nil {
						select {
						case errs <- err:
						default:
						}
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	createAll(func(ns string, i int) client.Object {
		ro := rollout(ns, fmt.Sprintf("idle-%d", i), 0, nil)
		ro.Labels = map[string]string{"scale": "idle"}
		return ro
	})
	testenv.Eventually(t, 30*time.Minute, "every idle Rollout Healthy", func(ctx context.Context) (bool, string, error) {
		list := &v1alpha1.RolloutList{}
		if err := cluster.Client.List(ctx, list, client.MatchingLabels{"scale": "idle"}); err != nil {
			return false, "", err
		}
		healthy := 0
		for i := range list.Items {
			if released(&list.Items[i], "web:0") {
				healthy++
			}
		}
		return healthy == n, fmt.Sprintf("%d of %d", healthy, n), nil
	})
	measure := func(what string) {
		// The window starts once the controller has settled: two 10 s samples in a row under 2%
		// of a core (bounded: what a controller that never settles does is the figure then).
		settled := time.Now()
		for prev, calm := (procSample{}), 0; calm < 2 && time.Since(settled) < 10*time.Minute; {
			cur, err := sampleProc(ctrl.Pid())
			if err != nil {
				t.Fatal(err)
			}
			if !prev.at.IsZero() && cpuShare(prev, cur) < 0.02 {
				calm++
			} else if !prev.at.IsZero() {
				calm = 0
			}
			prev = cur
			time.Sleep(10 * time.Second) // a sampling period, not synchronisation
		}
		settleTook := time.Since(settled).Round(time.Second)
		a, err := sampleProc(ctrl.Pid())
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(60 * time.Second) // the measured idle window
		b, err := sampleProc(ctrl.Pid())
		if err != nil {
			t.Fatal(err)
		}
		heapProfile(t, pprofAddr, fmt.Sprintf("idle-%d%s", n, strings.ReplaceAll(what, " ", "-")))
		r.add("idle: %d Rollouts%s: RSS %d MiB, CPU %.2f%% of a core (60 s, after settling %s)", n, what, b.rssBytes>>20, 100*cpuShare(a, b), settleTook)
	}
	measure("")
	createAll(func(ns string, i int) client.Object { return unrelatedReplicaSet(ns, i) })
	measure(fmt.Sprintf(" and %d unrelated ReplicaSets", n))
}
