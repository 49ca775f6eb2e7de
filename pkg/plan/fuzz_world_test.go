package plan

import (
	"encoding/json"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/traffic"
	"github.com/ramp-dev/ramp/pkg/workload"
)

// fuzzSurroundings is what FuzzComputeSurroundings decodes around a Rollout: the Services it
// names (by the revision index they select, -1 for none), what its router reports, and the
// phases to give the runs the planner asks for.
type fuzzSurroundings struct {
	Selects   map[string]int           `json:"selects"`
	Traffic   *traffic.State           `json:"traffic"`
	Invalid   string                   `json:"invalid"`
	RunPhases []v1alpha1.AnalysisPhase `json:"runPhases"`
	Available []int32                  `json:"available"`
}

// FuzzComputeSurroundings feeds the planner arbitrary Rollouts with the Services they name,
// router state and AnalysisRuns in any phase: it must never panic, scale below 0, select a
// revision that does not exist, or route a weight outside 0..total.
func FuzzComputeSurroundings(f *testing.F) {
	w := newRoutedWorld(&testing.T{}, 4, weight(25), analysisStep("a"), headerRoute("header", "x"), pause())
	w.setImage("web:2")
	w.settle()
	routed, _ := json.Marshal(w.ro)
	f.Add(routed, []byte(`{"selects":{"web-stable":0,"web-canary":1},"traffic":{"CanaryWeight":25,"MaxCanaryWeight":25,"Routes":["header"]},"runPhases":["Successful","Failed"],"available":[4,1]}`))
	f.Add(routed, []byte(`{"selects":{"web-stable":5,"web-canary":-1},"traffic":{"CanaryWeight":-40,"MaxCanaryWeight":900},"invalid":"","runPhases":["Inconclusive","Error"],"available":[-1,99]}`))
	bg := newBlueGreenWorld(&testing.T{}, 3, v1alpha1.BlueGreenStrategy{PrePromotionAnalysis: &v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "pre"}}}})
	bg.setImage("web:2")
	bg.settle()
	blueGreen, _ := json.Marshal(bg.ro)
	f.Add(blueGreen, []byte(`{"selects":{"web-active":1,"web-preview":0},"runPhases":["Running"],"available":[0,3]}`))
	f.Add([]byte(`{"spec":{"strategy":{"canary":{"stableService":"s","canaryService":"s","trafficRouting":{"istio":{}}}}},"status":{"managed":{"canaryService":"c","trafficRouting":{"nginx":{"stableIngress":"i"}}}}}`), []byte(`{"selects":{"s":0,"c":1},"invalid":"missing"}`))
	f.Fuzz(func(t *testing.T, rollout, surroundings []byte) {
		ro, env := &v1alpha1.Rollout{}, fuzzSurroundings{}
		if json.Unmarshal(rollout, ro) != nil || json.Unmarshal(surroundings, &env) != nil {
			return
		}
		in := Input{Rollout: ro, Services: map[string]*corev1.Service{}, Now: time.Unix(1e9, 0)}
		var hashes []string
		for i, image := range []string{"web:1", "web:2"} {
			tpl := ro.Spec.Template.DeepCopy()
			if len(tpl.Spec.Containers) == 0 {
				tpl.Spec.Containers = []corev1.Container{{Name: "x"}}
			}
			tpl.Spec.Containers[0].Image = image
			hash, _ := workload.TemplateHash(tpl, nil)
			n := ptr.Deref(ro.Spec.Replicas, 1)
			rs := workload.NewReplicaSet(ro, hash, int64(i+1), n)
			if i < len(env.Available) {
				rs.Status.AvailableReplicas, rs.Status.Replicas = env.Available[i], n
			}
			in.ReplicaSets, hashes = append(in.ReplicaSets, rs), append(hashes, hash)
		}
		for name, i := range env.Selects {
			svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.ServiceSpec{Selector: map[string]string{}}}
			if i >= 0 && i < len(hashes) {
				svc.Spec.Selector[v1alpha1.PodTemplateHashLabel] = hashes[i]
			}
			in.Services[name] = svc
		}
		if env.Traffic != nil || env.Invalid != "" {
			in.Traffic = &Traffic{State: ptr.Deref(env.Traffic, traffic.State{}), Invalid: env.Invalid}
		}
		p := Compute(in)
		for i, req := range p.StartRuns {
			run := &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Name: req.Name}}
			if len(env.RunPhases) > 0 {
				run.Status.Phase = env.RunPhases[i%len(env.RunPhases)]
			}
			in.Runs = append(in.Runs, run)
		}
		in.Rollout = ro.DeepCopy()
		in.Rollout.Status = p.Status
		checkFuzzedPlan(t, Compute(in), in.ReplicaSets, ro)
		checkFuzzedPlan(t, p, in.ReplicaSets, ro)
	})
}

func checkFuzzedPlan(t *testing.T, p Plan, rss []*appsv1.ReplicaSet, ro *v1alpha1.Rollout) {
	t.Helper()
	exists := map[string]bool{}
	for _, rs := range rss {
		exists[workload.HashOf(rs)] = true
	}
	if p.Create != nil {
		exists[workload.HashOf(p.Create)] = true
	}
	for name, n := range p.Scale {
		if n < 0 {
			t.Errorf("scaled %s to %d", name, n)
		}
	}
	for name, hash := range p.Selectors {
		if !exists[hash] {
			t.Errorf("service %s pointed at %q, no revision of the rollout", name, hash)
		}
	}
	if d := p.Traffic; d != nil {
		total := int32(100)
		if c := ro.Spec.Strategy.Canary; c != nil && c.TrafficRouting != nil && c.TrafficRouting.MaxTrafficWeight != nil {
			total = max(1, *c.TrafficRouting.MaxTrafficWeight)
		}
		if d.CanaryWeight < 0 || d.CanaryWeight > total {
			t.Errorf("canary weight %d outside 0..%d", d.CanaryWeight, total)
		}
	}
	if r := p.Release; r != nil && (r.Traffic.CanaryWeight != 0 || r.Managed.TrafficRouting == nil) {
		t.Errorf("release %+v does not return a router to stable", r)
	}
}
