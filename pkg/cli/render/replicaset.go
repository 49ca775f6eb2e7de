package render

import (
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/cli/style"
	"github.com/ramp-dev/ramp/pkg/workload"
)

// replicaSetNode is a ReplicaSet line, with its pods under it. Its INFO is the roles its
// revision plays and ready/desired: "canary  1/2".
func replicaSetNode(ro *v1alpha1.Rollout, rs *appsv1.ReplicaSet, pods []corev1.Pod, now time.Time, p style.Painter) node {
	desired := ptr.Deref(rs.Spec.Replicas, 1)
	ready := rs.Status.ReadyReplicas
	var info []string
	if roles := rolesOf(ro, workload.HashOf(rs)); len(roles) > 0 {
		info = append(info, strings.Join(roles, ","))
	}
	if desired > 0 || ready > 0 {
		info = append(info, fmt.Sprintf("%d/%d", ready, desired))
	}
	if at := ro.ScaleDownAt(); desired > 0 && at.After(now) && len(rolesOf(ro, workload.HashOf(rs))) == 0 {
		// a revision the last release replaced, waiting out scaleDownDelaySeconds
		info = append(info, "scale-down in "+style.Age(at.Sub(now)))
	}
	n := node{
		icon: iconReplicaSet, name: rs.Name, kind: "ReplicaSet",
		status: replicaSetStatus(desired, ready, len(pods), p),
		age:    style.Since(rs.CreationTimestamp.Time, now),
		info:   style.Text(strings.Join(info, "  ")),
	}
	for i := range pods {
		n.children = append(n.children, podNode(&pods[i], now, p))
	}
	return n
}

func replicaSetStatus(desired, ready int32, pods int, p style.Painter) style.Cell {
	switch {
	case desired == 0 && pods == 0:
		return p.Cell(style.Faint, style.SymbolUnknown+" ScaledDown")
	case desired == 0 || ready > desired:
		return p.Cell(style.Busy, style.SymbolRunning+" ScalingDown")
	case ready == desired:
		return p.Cell(style.Good, style.SymbolOK+" Healthy")
	}
	return p.Cell(style.Busy, style.SymbolRunning+" Progressing")
}
