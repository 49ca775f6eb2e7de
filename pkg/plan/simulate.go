package plan

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/traffic"
	"github.com/ramp-dev/ramp/pkg/workload"
)

// Simulation is a model of what the controller acts on for one Rollout: its ReplicaSets (and
// the ReplicaSet controller's side of them), Services, AnalysisRuns and router. It applies a
// plan write by write in the controller's order, as the controller does (a router that
// accepts the weight has the status report it), so the planner's tests and the plugin's
// predictions run on what the controller would do.
type Simulation struct {
	ro       *v1alpha1.Rollout
	rss      map[string]*appsv1.ReplicaSet
	services map[string]*corev1.Service
	now      time.Time
	notes    []Note
	router   fakeRouter
	runs     map[string]*v1alpha1.AnalysisRun
	runOrder []string // run names in the order they were created
	released []Release
	// activeLeft is when the active Service (blue-green) last switched away from each revision,
	// other than by an abort.
	activeLeft map[string]time.Time
	// violation is told of a write that breaks what the controller relies on (a test fails).
	violation func(format string, args ...any)
	// LagScaleDowns makes the ReplicaSet controller report a scale-down before it sees the
	// pods it deleted, as the real one does: its status write for the new spec (observed
	// generation current) still counts those pods, as replicas and as available, until a
	// later sync (CatchUp). rss holds the pods as they are; lagged, what is reported.
	LagScaleDowns bool
	lagged        map[string]appsv1.ReplicaSetStatus
	// workload is the Deployment spec.workloadRef names (SetWorkload); nil: none.
	workload *appsv1.Deployment
}

// SetWorkload puts the Deployment spec.workloadRef names into the simulated cluster, its pods
// available.
func (w *Simulation) SetWorkload(dep *appsv1.Deployment) {
	w.workload = dep.DeepCopy()
	w.readyWorkload()
}

func (w *Simulation) readyWorkload() {
	if d := w.workload; d != nil {
		n := ptr.Deref(d.Spec.Replicas, 1)
		d.Status.ObservedGeneration, d.Status.Replicas, d.Status.AvailableReplicas = d.Generation, n, n
	}
}

// NewSimulation starts a simulation of ro at now, with nothing in the cluster yet.
func NewSimulation(ro *v1alpha1.Rollout, now time.Time) *Simulation {
	return &Simulation{ro: ro.DeepCopy(), rss: map[string]*appsv1.ReplicaSet{}, services: map[string]*corev1.Service{},
		activeLeft: map[string]time.Time{}, now: now, violation: func(string, ...any) {}}
}

// input is what the controller would observe.
func (w *Simulation) input() Input {
	services := map[string]*corev1.Service{}
	for k, v := range w.services {
		services[k] = v.DeepCopy()
	}
	in := Input{Rollout: w.ro.DeepCopy(), ReplicaSets: w.replicaSets(), Services: services, Now: w.now}
	if w.workload != nil {
		in.Workload = w.workload.DeepCopy()
	}
	if w.ro.Spec.WorkloadRef != nil {
		in.Rollout, in.WorkloadInvalid = ResolveWorkload(in.Rollout, in.Workload)
	}
	for _, name := range sortedKeys(w.runs) {
		in.Runs = append(in.Runs, w.runs[name].DeepCopy())
	}
	if c := w.ro.Spec.Strategy.Canary; c != nil && c.TrafficRouting != nil {
		st := w.router.state
		st.Waiting = w.router.waiting
		in.Traffic = &Traffic{State: st, Invalid: w.router.invalid}
	}
	return in
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

func (r *fakeRouter) applyWeight(d *traffic.Desired) {
	if d == nil || r.frozen {
		return
	}
	r.state.CanaryWeight, r.state.MaxCanaryWeight, r.state.StableHash, r.state.CanaryHash = d.CanaryWeight, d.CanaryWeight, d.StableHash, d.CanaryHash
}

func (r *fakeRouter) applyRoutes(d *traffic.Desired) {
	if d == nil || r.frozen {
		return
	}
	r.state.Routes = nil
	for _, h := range d.HeaderRoutes {
		r.state.Routes = append(r.state.Routes, h.Name)
	}
	for _, m := range d.MirrorRoutes {
		r.state.Routes = append(r.state.Routes, m.Name)
	}
}

// replicaSets are the ReplicaSets as the controller observes them: with the status their
// controller last reported.
func (w *Simulation) replicaSets() []*appsv1.ReplicaSet {
	out := make([]*appsv1.ReplicaSet, 0, len(w.rss))
	for name, rs := range w.rss {
		rs = rs.DeepCopy()
		if st, ok := w.lagged[name]; ok {
			rs.Status = st
		}
		out = append(out, rs)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// writesOf is the plan's writes, one per API call, in the order the controller makes them;
// the status is the last.
func (w *Simulation) writesOf(p Plan) []func() {
	var writes []func()
	routed := false
	for _, write := range p.Writes() {
		name := write.Name
		switch write.Kind {
		case WriteRelease:
			writes = append(writes, func() {
				if !w.router.frozen { // the router the record names, set to stable with no managed routes
					w.router.state = traffic.State{StableHash: p.Release.Traffic.StableHash, CanaryHash: p.Release.Traffic.CanaryHash}
				}
				w.released = append(w.released, *p.Release)
			})
		case WriteWeight:
			writes = append(writes, func() { routed = !w.router.frozen; w.router.applyWeight(p.Traffic) })
		case WriteRoutes:
			writes = append(writes, func() { w.router.applyRoutes(p.Traffic) })
		case WriteCreate:
			writes = append(writes, func() {
				if _, exists := w.rss[name]; exists {
					w.violation("plan creates %s, which exists", name)
				}
				w.rss[name] = p.Create.DeepCopy()
			})
		case WriteRenumber:
			writes = append(writes, func() { w.rss[name].Annotations[v1alpha1.RevisionAnnotation] = strconv.FormatInt(p.Renumber[name], 10) })
		case WriteMetadata:
			writes = append(writes, func() {
				rs := w.rss[name]
				if rs.Annotations == nil {
					rs.Annotations = map[string]string{}
				}
				rs.Annotations[workload.EphemeralMetadataAnnotation] = workload.RecordMetadata(p.Metadata[name])
			})
		case WriteSelector:
			writes = append(writes, func() { w.pointService(p, name) })
		case WriteScale:
			writes = append(writes, func() { w.scale(p, name) })
		case WriteDelete:
			writes = append(writes, func() { delete(w.rss, name); w.CatchUp(name) })
		case WriteStartRun:
			req := p.StartRuns[write.Index]
			writes = append(writes, func() {
				if w.runs == nil {
					w.runs = map[string]*v1alpha1.AnalysisRun{}
				}
				w.runs[req.Name] = &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Name: req.Name, CreationTimestamp: metav1.NewTime(w.now),
					Labels: map[string]string{AnalysisKindLabel: req.Kind, v1alpha1.PodTemplateHashLabel: req.LatestHash}}}
				w.runOrder = append(w.runOrder, req.Name)
			})
		case WriteTerminateRun:
			writes = append(writes, func() { w.runs[name].Spec.Terminate = true })
		case WriteDeleteRun:
			writes = append(writes, func() { delete(w.runs, name) })
		case WriteWorkload:
			writes = append(writes, func() { w.scaleWorkload(p.Workload) })
		case WriteAdopt, WriteEvict, WriteDeleteIngress:
			// Not modelled: the simulation has no orphans, pods or Ingresses.
		}
	}
	writes = append(writes, func() {
		w.ro.Status = p.Status
		if routed { // the controller reports the weight once the router took it
			w.ro.Status.Canary.Weights = p.ConfirmedWeights.DeepCopy()
		}
		w.notes = append(w.notes, p.Notes...)
	})
	return writes
}

// pointService applies one Service's selector (and annotations) of the plan.
func (w *Simulation) pointService(p Plan, name string) {
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
}

// scale applies one ReplicaSet's scale: pods beyond the new size go first among the unavailable.
func (w *Simulation) scale(p Plan, name string) {
	n := p.Scale[name]
	rs := w.rss[name]
	if rs == nil {
		w.violation("plan scales %s, which does not exist", name)
	}
	if shrinks := n < ptr.Deref(rs.Spec.Replicas, 1); p.Shrink[name] != shrinks {
		w.violation("plan scales %s from %d to %d with Shrink %v: scale-downs must be marked to follow the Service selectors", name, ptr.Deref(rs.Spec.Replicas, 1), n, p.Shrink[name])
	}
	// Blue-green keeps the revision the active Service left for scaleDownDelaySeconds (a new
	// release, or a revision limit, may end that sooner).
	if bg := w.ro.Spec.Strategy.BlueGreen; bg != nil && n == 0 && bg.ScaleDownDelayRevisionLimit == nil && p.Status.CurrentPodHash == w.selects(bg.ActiveService) {
		if left, ok := w.activeLeft[workload.HashOf(rs)]; ok && w.now.Before(left.Add(bg.ScaleDownDelay())) {
			w.violation("%s scaled to 0 at %s, within scaleDownDelaySeconds of the active Service leaving it at %s: the rollback window is gone: %s", name, w.now.Format(time.TimeOnly), left.Format(time.TimeOnly), w.describe())
		}
	}
	if _, lagging := w.lagged[name]; lagging {
		w.violation("plan scales %s to %d while its status still counts the pods its last scale-down deleted: %s", name, n, w.describe())
	}
	if w.LagScaleDowns && n < rs.Status.Replicas {
		if w.lagged == nil {
			w.lagged = map[string]appsv1.ReplicaSetStatus{}
		}
		w.lagged[name] = rs.Status // the pods it deletes are still counted
	}
	rs.Spec.Replicas = ptr.To(n)
	rs.Status.Replicas = min(rs.Status.Replicas, n)
	rs.Status.ReadyReplicas = min(rs.Status.ReadyReplicas, n)
	rs.Status.AvailableReplicas = min(rs.Status.AvailableReplicas, n)
}

// ready makes every pod of every ReplicaSet exist and be available, and reported so.
func (w *Simulation) ready() {
	w.readyWorkload()
	for name, rs := range w.rss {
		n := ptr.Deref(rs.Spec.Replicas, 1)
		rs.Status.Replicas, rs.Status.ReadyReplicas, rs.Status.AvailableReplicas = n, n, n
		w.CatchUp(name)
	}
}

func (w *Simulation) scaleWorkload(s *WorkloadScale) {
	d := w.workload
	d.Spec.Replicas = ptr.To(s.Replicas)
	for k, v := range s.Annotations {
		if v == nil {
			delete(d.Annotations, k)
			continue
		}
		if d.Annotations == nil {
			d.Annotations = map[string]string{}
		}
		d.Annotations[k] = *v
	}
	d.Generation++
}

// CatchUp makes a ReplicaSet's controller report its pods as they are.
func (w *Simulation) CatchUp(name string) { delete(w.lagged, name) }

// Lagging names the ReplicaSets whose reported status still counts pods a scale-down deleted.
func (w *Simulation) Lagging() []string { return sortedKeys(w.lagged) }

func (w *Simulation) describe() string {
	s := fmt.Sprintf("phase=%s message=%q step=%d stable=%s", w.ro.Status.Phase, w.ro.Status.Message, ptr.Deref(w.ro.Status.CurrentStepIndex, -1), w.ro.Status.StableRS)
	for _, rs := range w.replicaSets() {
		s += fmt.Sprintf(" [%s spec=%d avail=%d]", rs.Name, ptr.Deref(rs.Spec.Replicas, 1), w.rss[rs.Name].Status.AvailableReplicas)
		if st, ok := w.lagged[rs.Name]; ok {
			s += fmt.Sprintf("(reported replicas=%d avail=%d)", st.Replicas, st.AvailableReplicas)
		}
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

// selects is the revision a Service selects.
func (w *Simulation) selects(svc string) string {
	return w.services[svc].Spec.Selector[v1alpha1.PodTemplateHashLabel]
}
