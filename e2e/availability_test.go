//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// availabilityRollouts is how many Rollouts release at once; the first is Argo's rolling
// update (replicas 5, maxSurge 1, maxUnavailable 1, no steps), then one blue-green and one
// routed canary, the others drawn from the seed.
const availabilityRollouts = 12

// availabilityCase is one Rollout of the test and the fewest pods it must keep available.
type availabilityCase struct {
	name     string
	manifest string
	floor    int32
	about    string
}

// availabilityCases draws the Rollouts: canaries with and without steps (some routed by
// NGINX), with random replicas, maxSurge, maxUnavailable and minReadySeconds, and
// blue-greens. A canary's floor is replicas - maxUnavailable (rounded down, 1 when both bounds
// round to 0, as a Deployment's); a blue-green keeps all its replicas.
func availabilityCases(seed uint64) []availabilityCase {
	rng := rand.New(rand.NewPCG(seed, 23))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	cases := []availabilityCase{
		canaryCase("a-0", 5, "1", "1", 0, "", false),
		blueGreenCase("a-1", 4, 1),
		canaryCase("a-2", 5, "1", "1", 0, "      - setWeight: 40\n      - pause: {duration: 1s}\n", true),
	}
	for i := len(cases); i < availabilityRollouts; i++ {
		name := fmt.Sprintf("a-%d", i)
		replicas := int32(3 + rng.IntN(6))
		if rng.IntN(5) == 0 {
			cases = append(cases, blueGreenCase(name, replicas, rng.IntN(3)))
			continue
		}
		surge, unavailable := pick("0", "1", "2", "25%", "50%"), pick("0", "1", "2", "25%", "40%")
		if surge == "0" && unavailable == "0" {
			unavailable = "1"
		}
		steps := ""
		if rng.IntN(2) == 0 {
			weight := 0
			for weight < 90 {
				weight = min(99, weight+10+rng.IntN(40))
				steps += fmt.Sprintf("      - setWeight: %d\n      - pause: {duration: %ds}\n", weight, 1+rng.IntN(2))
			}
		}
		cases = append(cases, canaryCase(name, replicas, surge, unavailable, rng.IntN(3), steps, steps != "" && rng.IntN(2) == 0))
	}
	return cases
}

func canaryCase(name string, replicas int32, surge, unavailable string, minReady int, steps string, routed bool) availabilityCase {
	intOrPercent := func(s string) intstr.IntOrString {
		if n, err := strconv.Atoi(s); err == nil {
			return intstr.FromInt32(int32(n))
		}
		return intstr.FromString(s)
	}
	su, un := intOrPercent(surge), intOrPercent(unavailable)
	surge, unavailable = su.String(), un.String() // YAML: a number or a quoted percentage
	if su.Type == intstr.String {
		surge = strconv.Quote(surge)
	}
	if un.Type == intstr.String {
		unavailable = strconv.Quote(unavailable)
	}
	s, _ := intstr.GetScaledValueFromIntOrPercent(&su, int(replicas), true)
	u, _ := intstr.GetScaledValueFromIntOrPercent(&un, int(replicas), false)
	if s == 0 && u == 0 {
		u = 1
	}
	routing, ingress := "", ""
	if routed {
		routing = fmt.Sprintf("\n      trafficRouting: {nginx: {stableIngress: %s}}", name)
		ingress = fmt.Sprintf(`
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: %[1]s}
spec:
  ingressClassName: nginx
  rules:
  - host: %[1]s.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: %[1]s-stable, port: {number: 80}}}}]}`, name)
	}
	stepsYAML := "      steps: []\n"
	if steps != "" {
		stepsYAML = "      steps:\n" + steps
	}
	strategy := fmt.Sprintf(`    canary:
      maxSurge: %[2]s
      maxUnavailable: %[3]s
      scaleDownDelaySeconds: 1
      stableService: %[1]s-stable
      canaryService: %[1]s-canary%[4]s
%[5]s`, name, surge, unavailable, routing, stepsYAML)
	manifest := services(name, "stable", "canary") + ingress + rolloutManifest(name, replicas, minReady, strategy)
	about := fmt.Sprintf("canary replicas %d maxSurge %s maxUnavailable %s minReadySeconds %d routed %t steps %q", replicas, surge, unavailable, minReady, routed, strings.Join(strings.Fields(steps), " "))
	return availabilityCase{name: name, manifest: manifest, floor: replicas - int32(u), about: about}
}

func blueGreenCase(name string, replicas int32, minReady int) availabilityCase {
	strategy := fmt.Sprintf(`    blueGreen:
      activeService: %[1]s-active
      previewService: %[1]s-preview
      scaleDownDelaySeconds: 1
`, name)
	manifest := services(name, "active", "preview") + rolloutManifest(name, replicas, minReady, strategy)
	return availabilityCase{name: name, manifest: manifest, floor: replicas, about: fmt.Sprintf("blue-green replicas %d minReadySeconds %d", replicas, minReady)}
}

// rolloutManifest is Rollout name on web:1, its pods app=name, with strategy (YAML indented
// four spaces).
func rolloutManifest(name string, replicas int32, minReady int, strategy string) string {
	return fmt.Sprintf(`
---
apiVersion: rollouts.ramp.dev/v1alpha1
kind: Rollout
metadata: {name: %[1]s}
spec:
  replicas: %[2]d
  minReadySeconds: %[3]d
  selector: {matchLabels: {app: %[1]s}}
  template:
    metadata: {labels: {app: %[1]s}}
    spec: {containers: [{name: web, image: "web:1"}]}
  strategy:
%[4]s`, name, replicas, minReady, strategy)
}

func services(name string, roles ...string) string {
	var docs []string
	for _, role := range roles {
		docs = append(docs, fmt.Sprintf(`
apiVersion: v1
kind: Service
metadata: {name: %[1]s-%[2]s}
spec: {selector: {app: %[1]s}, ports: [{port: 80}]}`, name, role))
	}
	return strings.Join(docs, "\n---\n")
}

// availabilitySeed is RAMP_E2E_SEED when set (to replay a failure), else a fixed one.
func availabilitySeed(t *testing.T) uint64 {
	seed := uint64(2312)
	if s := os.Getenv("RAMP_E2E_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("RAMP_E2E_SEED=%q: %v", s, err)
		}
		seed = n
	}
	t.Logf("seed %d (RAMP_E2E_SEED replays it)", seed)
	return seed
}

// Twelve Rollouts, Argo's rolling update among them, release twice at once while every
// version of their ReplicaSets and Pods is recorded: at no point of either release does a
// Rollout have fewer pods available than replicas - maxUnavailable (all its replicas for a
// blue-green), counted both by its ReplicaSets' status and by its Pods.
func TestAvailabilityNeverDipsBelowTheBoundDuringARelease(t *testing.T) {
	ns := cluster.Namespace(t)
	cluster.StartController(t, controllerBin)
	cases := availabilityCases(availabilitySeed(t))
	floors := map[string]int32{}
	var docs []string
	for _, c := range cases {
		t.Logf("%s: %s, floor %d", c.name, c.about, c.floor)
		floors[c.name] = c.floor
		docs = append(docs, c.manifest)
	}
	cluster.Apply(t, ns, []byte(strings.Join(docs, "\n---\n")))
	waitAll(t, ns, "every Rollout Healthy on web:1", healthyAt(ns, "web:1"))

	rec := recordNamespace(t, ns)
	var from int64
	for _, image := range []string{"web:2", "web:3"} {
		for _, c := range cases {
			rv := setImageAt(t, ns, c.name, image)
			if from == 0 {
				from = rv
			}
		}
		waitAll(t, ns, "every Rollout Healthy on "+image+", its old pods gone", healthyAt(ns, image))
	}
	h, gaps := rec.history()
	checkAvailability(t, h, gaps, from, floors)
}

// setImageAt sets the Rollout's image and returns the resourceVersion of that write.
func setImageAt(t *testing.T, ns, name, image string) int64 {
	t.Helper()
	ro := &v1alpha1.Rollout{}
	ro.Namespace, ro.Name = ns, name
	patch := fmt.Sprintf(`[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":%q}]`, image)
	if err := cluster.Client.Patch(context.Background(), ro, client.RawPatch(types.JSONPatchType, []byte(patch))); err != nil {
		t.Fatal(err)
	}
	rv, err := strconv.ParseInt(ro.ResourceVersion, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return rv
}

// availabilityReplay is the ReplicaSets and Pods of a namespace as the replay has them so far.
type availabilityReplay struct {
	owner map[string]string                        // ReplicaSet name -> its Rollout
	rss   map[string]map[string]*appsv1.ReplicaSet // Rollout -> ReplicaSet name -> it
	pods  map[string]*corev1.Pod                   // by name
}

// checkAvailability replays the history and, from resourceVersion from on (outside its gaps),
// reports each Rollout of floors whose available pods fell below its floor: by its
// ReplicaSets' status.availableReplicas (what the controller reads) and by its Pods that are
// Ready and not being deleted (at least as many as are available: a count below the floor
// there is a dip the status may have hidden).
func checkAvailability(t *testing.T, h []recorded, gaps []gap, from int64, floors map[string]int32) {
	t.Helper()
	r := &availabilityReplay{owner: map[string]string{}, rss: map[string]map[string]*appsv1.ReplicaSet{}, pods: map[string]*corev1.Pod{}}
	broken := map[string][]string{}
	for _, rec := range h {
		name := r.apply(rec)
		floor, ok := floors[name]
		if !ok || rec.rv < from || within(gaps, rec.rv) {
			continue
		}
		byStatus, byPods, sides := r.available(name)
		if byStatus < floor || byPods < floor {
			broken[name] = append(broken[name], fmt.Sprintf("at rv %d: %d available by ReplicaSet status, %d Ready pods not being deleted, below %d: %s", rec.rv, byStatus, byPods, floor, sides))
		}
	}
	names := make([]string, 0, len(broken))
	for name := range broken {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		b := broken[name]
		more := ""
		if len(b) > 3 {
			b, more = b[:3], fmt.Sprintf(" (and %d more)", len(broken[name])-3)
		}
		t.Errorf("%s fell below its floor %d times%s:\n  %s", name, len(broken[name]), more, strings.Join(b, "\n  "))
	}
}

// apply takes in one recorded version and returns the Rollout it belongs to ("" if none).
func (r *availabilityReplay) apply(rec recorded) string {
	switch o := rec.obj.(type) {
	case *appsv1.ReplicaSet:
		owner := metav1.GetControllerOf(o)
		if owner == nil || owner.Kind != "Rollout" {
			return ""
		}
		r.owner[o.Name] = owner.Name
		if r.rss[owner.Name] == nil {
			r.rss[owner.Name] = map[string]*appsv1.ReplicaSet{}
		}
		if rec.deleted {
			delete(r.rss[owner.Name], o.Name)
		} else {
			r.rss[owner.Name][o.Name] = o
		}
		return owner.Name
	case *corev1.Pod:
		if rec.listed != nil {
			for name := range r.pods {
				if !rec.listed[name] {
					delete(r.pods, name)
				}
			}
			return ""
		}
		if rec.deleted {
			delete(r.pods, o.Name)
		} else {
			r.pods[o.Name] = o
		}
		if owner := metav1.GetControllerOf(o); owner != nil {
			return r.owner[owner.Name]
		}
	}
	return ""
}

// available is a Rollout's available pods by its ReplicaSets' status and by its Pods, and its
// ReplicaSets as "name spec/status.replicas/available ready-pods".
func (r *availabilityReplay) available(rollout string) (byStatus, byPods int32, sides string) {
	ready := map[string]int32{}
	for _, pod := range r.pods {
		owner := metav1.GetControllerOf(pod)
		if owner == nil || r.owner[owner.Name] != rollout || pod.DeletionTimestamp != nil {
			continue
		}
		for _, c := range pod.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				ready[owner.Name]++
			}
		}
	}
	var parts []string
	for name, rs := range r.rss[rollout] {
		byStatus += rs.Status.AvailableReplicas
		byPods += ready[name]
		if spec := ptr.Deref(rs.Spec.Replicas, 0); rs.Status.Replicas > 0 || spec > 0 {
			parts = append(parts, fmt.Sprintf("%s %d/%d/%d %d", name, spec, rs.Status.Replicas, rs.Status.AvailableReplicas, ready[name]))
		}
	}
	sort.Strings(parts)
	return byStatus, byPods, "ReplicaSets (spec/status/available ready): " + strings.Join(parts, ", ")
}
