package plan

import (
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// planRestart carries out spec.restartAt: pods created before it are evicted one at a time,
// oldest first, each only once every pod is available again, and never while a revision is
// being released or aborted. The ReplicaSets replace them.
func (c *pass) planRestart() {
	ro, st, now := c.ro, c.st, c.in.Now
	if !RestartPending(ro) {
		return
	}
	at := ro.Spec.RestartAt.Time
	if now.Before(at) {
		c.p.requeueAt(now, at)
		return
	}
	if st.Phase != v1alpha1.RolloutPhaseHealthy && st.Phase != v1alpha1.RolloutPhasePaused {
		return // the release in progress first; its pods are new anyway
	}
	ours := map[string]bool{}
	for _, rs := range []string{c.hash, st.StableRS} {
		ours[rs] = true
	}
	var old []*corev1.Pod
	var total int32
	for _, pod := range c.in.Pods {
		if !ours[pod.Labels[v1alpha1.PodTemplateHashLabel]] {
			continue
		}
		if pod.DeletionTimestamp != nil {
			return // an eviction is still under way
		}
		total++
		if pod.CreationTimestamp.Time.Before(at) {
			old = append(old, pod)
		}
	}
	if len(old) == 0 {
		st.RestartedAt = ro.Spec.RestartAt.DeepCopy()
		c.p.note(v1alpha1.ReasonRestarted, fmt.Sprintf("every pod created before %s has been restarted", at.UTC().Format(time.RFC3339)))
		return
	}
	if st.AvailableReplicas < c.replicas || st.AvailableReplicas < total {
		return // wait for the last replacement to be available
	}
	if int32(len(old)) == total {
		c.p.note(v1alpha1.ReasonRestarting, fmt.Sprintf("restarting %d pods created before %s, one at a time", total, at.UTC().Format(time.RFC3339)))
	}
	sort.Slice(old, func(i, j int) bool { return old[i].CreationTimestamp.Before(&old[j].CreationTimestamp) })
	c.p.Evict = append(c.p.Evict, old[0].Name)
}
