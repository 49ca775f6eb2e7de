package plan

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/traffic"
	"github.com/ramp-dev/ramp/pkg/workload"
)

// world is a toy cluster for planner tests: it applies plans to ReplicaSets the way the
// controller and the ReplicaSet controller would, with pods becoming available on demand.
type world struct {
	t        testing.TB
	ro       *v1alpha1.Rollout
	rss      map[string]*appsv1.ReplicaSet
	services map[string]*corev1.Service
	now      time.Time
	notes    []Note
	last     Plan
	router   fakeRouter
	runs     map[string]*v1alpha1.AnalysisRun
	runOrder []string // run names in the order they were created
	released []Release
	// activeLeft is when the active Service (blue-green) last switched away from each revision,
	// other than by an abort.
	activeLeft map[string]time.Time
	// crash, when set, makes the next reconcile that writes more than the status apply only
	// the first crash(n) of its plan's n writes (never the status, the last): a SIGKILL mid-pass.
	crash func(n int) int
}

// fakeRouter is the data plane as the planner sees it: what it routes now. Frozen, it keeps
// its state whatever the plan asks (a router that lags or fails).
type fakeRouter struct {
	state   traffic.State
	invalid string
	frozen  bool
	// waiting is what the data plane reports it does not serve yet.
	waiting string
}

func (r *fakeRouter) apply(d *traffic.Desired) {
	if d == nil || r.frozen {
		return
	}
	r.state = traffic.State{CanaryWeight: d.CanaryWeight, MaxCanaryWeight: d.CanaryWeight, StableHash: d.StableHash, CanaryHash: d.CanaryHash}
	for _, h := range d.HeaderRoutes {
		r.state.Routes = append(r.state.Routes, h.Name)
	}
	for _, m := range d.MirrorRoutes {
		r.state.Routes = append(r.state.Routes, m.Name)
	}
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
	return &world{t: t, ro: ro, rss: map[string]*appsv1.ReplicaSet{}, services: map[string]*corev1.Service{}, activeLeft: map[string]time.Time{},
		now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
}

func (w *world) replicaSets() []*appsv1.ReplicaSet {
	out := make([]*appsv1.ReplicaSet, 0, len(w.rss))
	for _, rs := range w.rss {
		out = append(out, rs.DeepCopy())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// reconcile plans once and applies the plan: creates, scales (pods beyond the new size go
// first among the unavailable), selectors, deletes and status.
func (w *world) reconcile() Plan {
	w.t.Helper()
	services := map[string]*corev1.Service{}
	for k, v := range w.services {
		services[k] = v.DeepCopy()
	}
	in := Input{Rollout: w.ro.DeepCopy(), ReplicaSets: w.replicaSets(), Services: services, Now: w.now}
	for _, name := range sortedKeys(w.runs) {
		in.Runs = append(in.Runs, w.runs[name].DeepCopy())
	}
	if c := w.ro.Spec.Strategy.Canary; c != nil && c.TrafficRouting != nil {
		st := w.router.state
		st.Waiting = w.router.waiting
		in.Traffic = &Traffic{State: st, Invalid: w.router.invalid}
	}
	p := Compute(in)
	writes := w.writesOf(p)
	n := len(writes)
	if w.crash != nil && len(writes) > 1 {
		// SIGKILL after the first writes: the rest, the status (and the timeline) never land.
		// It waits for a pass that writes more than its status.
		n, w.crash = min(w.crash(len(writes)), len(writes)-1), nil
	}
	for _, write := range writes[:n] {
		write()
	}
	w.checkServicesKeepPods()
	w.last = p
	return p
}

// writesOf is the plan's writes, one per API call, in the order the controller makes them;
// the status is the last.
func (w *world) writesOf(p Plan) []func() {
	var writes []func()
	add := func(f func()) { writes = append(writes, f) }
	if p.Release != nil {
		add(func() {
			if !w.router.frozen { // the router the record names, set to stable with no managed routes
				w.router.state = traffic.State{StableHash: p.Release.Traffic.StableHash, CanaryHash: p.Release.Traffic.CanaryHash}
			}
			w.released = append(w.released, *p.Release)
		})
	}
	routed := false
	if p.Traffic != nil {
		add(func() { routed = !w.router.frozen; w.router.apply(p.Traffic) })
	}
	if p.Create != nil {
		add(func() {
			if _, exists := w.rss[p.Create.Name]; exists {
				w.t.Fatalf("plan creates %s, which exists", p.Create.Name)
			}
			w.rss[p.Create.Name] = p.Create.DeepCopy()
		})
	}
	for _, name := range sortedKeys(p.Renumber) {
		add(func() { w.rss[name].Annotations[v1alpha1.RevisionAnnotation] = strconv.FormatInt(p.Renumber[name], 10) })
	}
	for _, name := range sortedKeys(p.Metadata) {
		add(func() {
			rs := w.rss[name]
			if rs.Annotations == nil {
				rs.Annotations = map[string]string{}
			}
			rs.Annotations[workload.EphemeralMetadataAnnotation] = workload.RecordMetadata(p.Metadata[name])
		})
	}
	for _, name := range sortedKeys(p.Selectors) {
		add(func() {
			svc := w.services[name]
			if svc.Spec.Selector == nil {
				svc.Spec.Selector = map[string]string{}
			}
			if bg := w.ro.Spec.Strategy.BlueGreen; bg != nil && name == bg.ActiveService && !p.Status.Abort {
				if from := svc.Spec.Selector[v1alpha1.PodTemplateHashLabel]; from != "" && from != p.Selectors[name] {
					w.activeLeft[from] = w.now
				}
			}
			svc.Spec.Selector[v1alpha1.PodTemplateHashLabel] = p.Selectors[name]
			for k, v := range p.ServiceAnnotations[name] {
				if svc.Annotations == nil {
					svc.Annotations = map[string]string{}
				}
				svc.Annotations[k] = v
			}
		})
	}
	for _, shrinking := range []bool{true, false} {
		for _, name := range sortedKeys(p.Scale) {
			if p.Shrink[name] == shrinking {
				add(func() { w.scale(p, name) })
			}
		}
	}
	for _, name := range p.Delete {
		add(func() { delete(w.rss, name) })
	}
	for _, req := range p.StartRuns {
		add(func() {
			if w.runs == nil {
				w.runs = map[string]*v1alpha1.AnalysisRun{}
			}
			w.runs[req.Name] = &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Name: req.Name, CreationTimestamp: metav1.NewTime(w.now)}}
			w.runOrder = append(w.runOrder, req.Name)
		})
	}
	for _, name := range p.TerminateRuns {
		add(func() { w.runs[name].Spec.Terminate = true })
	}
	for _, name := range p.DeleteRuns {
		add(func() { delete(w.runs, name) })
	}
	add(func() {
		w.ro.Status = p.Status
		if routed { // the controller reports the weight once the router took it
			w.ro.Status.Canary.Weights = p.ConfirmedWeights.DeepCopy()
		}
		w.notes = append(w.notes, p.Notes...)
	})
	return writes
}

// scale applies one ReplicaSet's scale: pods beyond the new size go first among the unavailable.
func (w *world) scale(p Plan, name string) {
	n := p.Scale[name]
	rs := w.rss[name]
	if rs == nil {
		w.t.Fatalf("plan scales %s, which does not exist", name)
	}
	if shrinks := n < ptr.Deref(rs.Spec.Replicas, 1); p.Shrink[name] != shrinks {
		w.t.Fatalf("plan scales %s from %d to %d with Shrink %v: scale-downs must be marked to follow the Service selectors", name, ptr.Deref(rs.Spec.Replicas, 1), n, p.Shrink[name])
	}
	// Blue-green keeps the revision the active Service left for scaleDownDelaySeconds (a new
	// release, or a revision limit, may end that sooner).
	if bg := w.ro.Spec.Strategy.BlueGreen; bg != nil && n == 0 && bg.ScaleDownDelayRevisionLimit == nil && p.Status.CurrentPodHash == w.selects(bg.ActiveService) {
		if left, ok := w.activeLeft[workload.HashOf(rs)]; ok && w.now.Before(left.Add(bg.ScaleDownDelay())) {
			w.t.Fatalf("%s scaled to 0 at %s, within scaleDownDelaySeconds of the active Service leaving it at %s: the rollback window is gone: %s", name, w.now.Format(time.TimeOnly), left.Format(time.TimeOnly), w.describe())
		}
	}
	rs.Spec.Replicas = ptr.To(n)
	rs.Status.Replicas = min(rs.Status.Replicas, n)
	rs.Status.ReadyReplicas = min(rs.Status.ReadyReplicas, n)
	rs.Status.AvailableReplicas = min(rs.Status.AvailableReplicas, n)
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

// ready makes every pod of every ReplicaSet exist and be available.
func (w *world) ready() {
	for _, rs := range w.rss {
		n := ptr.Deref(rs.Spec.Replicas, 1)
		rs.Status.Replicas, rs.Status.ReadyReplicas, rs.Status.AvailableReplicas = n, n, n
	}
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

func (w *world) describe() string {
	s := fmt.Sprintf("phase=%s message=%q step=%d stable=%s", w.ro.Status.Phase, w.ro.Status.Message, ptr.Deref(w.ro.Status.CurrentStepIndex, -1), w.ro.Status.StableRS)
	for _, rs := range w.replicaSets() {
		s += fmt.Sprintf(" [%s spec=%d avail=%d]", rs.Name, ptr.Deref(rs.Spec.Replicas, 1), rs.Status.AvailableReplicas)
	}
	for _, name := range []string{"web-stable", "web-canary", "web-active", "web-preview"} {
		if svc := w.services[name]; svc != nil {
			s += fmt.Sprintf(" %s->%s", name, svc.Spec.Selector[v1alpha1.PodTemplateHashLabel])
		}
	}
	if c := w.ro.Spec.Strategy.Canary; c != nil && c.TrafficRouting != nil {
		s += fmt.Sprintf(" router=%+v", w.router.state)
	}
	s += fmt.Sprintf(" pause=%v controllerPause=%v abort=%v", w.ro.Status.PauseConditions, w.ro.Status.ControllerPause, w.ro.Status.Abort)
	for _, name := range sortedKeys(w.runs) {
		s += fmt.Sprintf(" run[%s]=%s", name, w.runs[name].Status.Phase)
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
