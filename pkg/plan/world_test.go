package plan

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/workload"
)

// world is a toy cluster for planner tests: it applies plans to ReplicaSets the way the
// controller and the ReplicaSet controller would, with pods becoming available on demand.
type world struct {
	*Simulation
	t    testing.TB
	last Plan
	// crash, when set, makes the next reconcile that writes more than the status apply only
	// the first crash(n) of its plan's n writes (never the status, the last): a SIGKILL mid-pass.
	crash func(n int) int
	// afterWrite, when set, is called after each write a reconcile makes: the states between
	// two writes are states the cluster is in too.
	afterWrite func()
}

func newWorld(t testing.TB, replicas int32, steps ...v1alpha1.CanaryStep) *world {
	labels := map[string]string{"app": "web"}
	ro := &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", UID: "uid", Generation: 1},
		Spec: v1alpha1.RolloutSpec{
			Replicas:             ptr.To(replicas),
			RevisionHistoryLimit: ptr.To[int32](10),
			Selector:             &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "web:1"}}},
			},
			Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{
				Steps:          steps,
				MaxSurge:       ptr.To(intstr.FromString("25%")),
				MaxUnavailable: ptr.To(intstr.FromInt32(0)),
			}},
		},
	}
	w := &world{t: t, Simulation: NewSimulation(ro, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))}
	w.violation = t.Fatalf
	w.ro = ro // the tests change the Rollout in place
	return w
}

// reconcile plans once and applies the plan: creates, scales (pods beyond the new size go
// first among the unavailable), selectors, deletes and status.
func (w *world) reconcile() Plan {
	w.t.Helper()
	p := Compute(w.input())
	writes := w.writesOf(p)
	n := len(writes)
	if w.crash != nil && len(writes) > 1 {
		// SIGKILL after the first writes: the rest, the status (and the timeline) never land.
		// It waits for a pass that writes more than its status.
		n, w.crash = min(w.crash(len(writes)), len(writes)-1), nil
	}
	for _, write := range writes[:n] {
		write()
		if w.afterWrite != nil {
			w.afterWrite()
		}
	}
	w.checkServicesKeepPods()
	w.last = p
	return p
}

// checkServicesKeepPods: neither canary Service is left selecting a revision scaled to 0
// while another revision has available pods to serve (the controller writes selectors before
// scale-downs, so a Service moved in the same plan never selects pods that all go away).
func (w *world) checkServicesKeepPods() {
	w.t.Helper()
	c := w.ro.Spec.Strategy.Canary
	if c == nil {
		return
	}
	var serving string
	for _, rs := range w.replicaSets() {
		if ptr.Deref(rs.Spec.Replicas, 1) > 0 && rs.Status.AvailableReplicas > 0 {
			serving = rs.Name
		}
	}
	for _, name := range []string{c.StableService, c.CanaryService} {
		if w.services[name] == nil {
			continue
		}
		hash := w.services[name].Spec.Selector[v1alpha1.PodTemplateHashLabel]
		rs := w.rss[workload.ReplicaSetName(w.ro.Name, hash)]
		if hash == "" || rs == nil || serving == "" {
			continue
		}
		if ptr.Deref(rs.Spec.Replicas, 1) == 0 {
			w.t.Fatalf("service %s selects %s, scaled to 0, while %s serves: %s", name, rs.Name, serving, w.describe())
		}
	}
}

// crashBeforeStatus makes the next reconcile apply every write of its plan but the status.
func (w *world) crashBeforeStatus() { w.crash = func(n int) int { return n - 1 } }

// runOf names the newest run the planner asked for of one kind ("background", a step index)
// for the revision of image and an attempt; "" when there is none.
func (w *world) runOf(image, kind string, attempt int) string {
	prefix, suffix := fmt.Sprintf("web-%s-%s-", w.hashOf(image), kind), fmt.Sprintf("-%d", attempt)
	for i := len(w.runOrder) - 1; i >= 0; i-- {
		name := w.runOrder[i]
		if rest, ok := strings.CutPrefix(name, prefix); ok && strings.HasSuffix(rest, suffix) && strings.Count(rest, "-") == 1 && w.runs[name] != nil {
			return name
		}
	}
	return ""
}

// settle reconciles and makes pods ready until a plan changes nothing, at most n rounds.
func (w *world) settle() {
	w.t.Helper()
	for i := 0; i < 50; i++ {
		status, rss, routed := w.ro.Status.DeepCopy(), w.replicaSets(), w.router.state
		p := w.reconcile()
		w.ready()
		if reflect.DeepEqual(status, &w.ro.Status) && reflect.DeepEqual(rss, w.replicaSets()) && reflect.DeepEqual(routed, w.router.state) && p.Create == nil && len(p.Scale) == 0 {
			return
		}
	}
	w.t.Fatalf("no fixed point after 50 rounds: %s", w.describe())
}

func (w *world) setImage(image string) {
	w.ro.Spec.Template.Spec.Containers[0].Image = image
	w.ro.Generation++
}

func (w *world) hashOf(image string) string {
	tpl := w.ro.Spec.Template.DeepCopy()
	if w.ro.Spec.WorkloadRef != nil && w.workload != nil {
		tpl = w.workload.Spec.Template.DeepCopy()
	}
	tpl.Spec.Containers[0].Image = image
	h, err := workload.TemplateHash(tpl, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	return h
}

// pods is the replicas of the revision running image (0 when it has no ReplicaSet).
func (w *world) pods(image string) int32 {
	rs := w.rss[workload.ReplicaSetName("web", w.hashOf(image))]
	if rs == nil {
		return 0
	}
	return ptr.Deref(rs.Spec.Replicas, 1)
}

func (w *world) expect(phase v1alpha1.RolloutPhase, step int32, podsByImage map[string]int32) {
	w.t.Helper()
	if w.ro.Status.Phase != phase {
		w.t.Errorf("phase %s, want %s: %s", w.ro.Status.Phase, phase, w.describe())
	}
	if got := ptr.Deref(w.ro.Status.CurrentStepIndex, -1); got != step {
		w.t.Errorf("step index %d, want %d: %s", got, step, w.describe())
	}
	for image, want := range podsByImage {
		if got := w.pods(image); got != want {
			w.t.Errorf("%s runs %d pods, want %d: %s", image, got, want, w.describe())
		}
	}
}

func (w *world) reasons() []string {
	out := make([]string, len(w.notes))
	for i, n := range w.notes {
		out[i] = n.Reason
	}
	return out
}
