package plan

import (
	"encoding/json"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/workload"
)

// FuzzCompute feeds the planner arbitrary Rollouts (spec and the user-writable status alike)
// and ReplicaSets: it must never panic. `go test` runs the seeds; `go test -fuzz FuzzCompute
// ./pkg/plan` explores.
func FuzzCompute(f *testing.F) {
	w := newWorld(f, 3, weight(50), pause(), pauseFor("10s"))
	w.settle()
	w.setImage("web:2")
	w.settle()
	seed, _ := json.Marshal(w.ro)
	f.Add(seed, int32(3), int32(2))
	f.Add([]byte(`{"spec":{"strategy":{"canary":{"steps":[{"setWeight":200},{"pause":{"duration":"-5s"}}]}}},"status":{"currentStepIndex":-7,"abort":true}}`), int32(-1), int32(9))
	f.Add([]byte(`{"spec":{"replicas":-3,"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}}},"strategy":{"canary":{"maxSurge":"x%","steps":[{}]}}},"status":{"stableRS":"gone","pauseConditions":[{"reason":"CanaryPauseStep"}],"controllerPause":true}}`), int32(0), int32(0))
	f.Fuzz(func(t *testing.T, data []byte, replicas, available int32) {
		ro := &v1alpha1.Rollout{}
		if json.Unmarshal(data, ro) != nil {
			return
		}
		var rss []*appsv1.ReplicaSet
		for i, image := range []string{"web:1", "web:2"} {
			tpl := ro.Spec.Template.DeepCopy()
			if len(tpl.Spec.Containers) == 0 {
				tpl.Spec.Containers = []corev1.Container{{Name: "x"}}
			}
			tpl.Spec.Containers[0].Image = image
			hash, _ := workload.TemplateHash(tpl, nil)
			rs := workload.NewReplicaSet(ro, hash, int64(i+1), replicas)
			rs.Status.AvailableReplicas, rs.Status.Replicas = available, replicas
			rss = append(rss, rs)
		}
		p := Compute(Input{Rollout: ro, ReplicaSets: rss, Services: map[string]*corev1.Service{}, Now: time.Unix(1e9, 0)})
		for name, n := range p.Scale {
			if n < 0 {
				t.Errorf("scaled %s to %d", name, n)
			}
		}
	})
}
