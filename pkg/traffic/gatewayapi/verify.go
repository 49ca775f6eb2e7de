package gatewayapi

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/ramp-dev/ramp/pkg/traffic"
)

// state is what the routes read route: the lowest and highest canary share of the selected
// rules, the managed routes present in every route that takes them, and what a Gateway has
// refused.
func state(rts []*readRoute, cfg Config) traffic.State {
	var st traffic.State
	first := true
	for _, rt := range rts {
		st.Objects = append(st.Objects, strings.ToLower(string(rt.ref.Kind))+"/"+rt.obj.GetName())
		for _, s := range rt.splits {
			lo, hi := share(s, cfg.TotalWeight)
			if first {
				st.CanaryWeight, st.MaxCanaryWeight, first = lo, hi, false
			} else {
				st.CanaryWeight, st.MaxCanaryWeight = min(st.CanaryWeight, lo), max(st.MaxCanaryWeight, hi)
			}
		}
		if st.Waiting == "" {
			st.Waiting = refused(rt)
		}
	}
	for _, name := range cfg.ManagedRoutes {
		everywhere, takers := true, 0
		for _, rt := range rts {
			if !rt.ref.UsesHeaderRoutes() {
				continue
			}
			takers++
			everywhere = everywhere && slices.Contains(rt.routeNames(cfg.ManagedRoutes), name)
		}
		if everywhere && takers > 0 {
			st.Routes = append(st.Routes, name)
		}
	}
	return st
}

// share is the canary's share of total a split routes, rounded down and up: exact when the two
// weights add up to total, as ramp writes them.
func share(s split, total int32) (lo, hi int32) {
	sum := int64(s.stable.weight) + int64(s.canary.weight)
	if sum == 0 {
		return 0, 0 // neither side takes traffic
	}
	n := int64(s.canary.weight) * int64(total)
	return int32(n / sum), int32((n + sum - 1) / sum)
}

// refused is what a Gateway controller reports it does not do with the route: not Accepted
// by a parent, or a backendRef it cannot resolve. "" when nothing is refused (or nothing
// reported: a route no controller has seen yet is not refused).
func refused(rt *readRoute) string {
	for _, p := range rt.kind.parents(rt.obj) {
		for _, t := range []gatewayv1.RouteConditionType{gatewayv1.RouteConditionAccepted, gatewayv1.RouteConditionResolvedRefs} {
			c := meta.FindStatusCondition(p.Conditions, string(t))
			if c == nil || c.Status != metav1.ConditionFalse {
				continue
			}
			what := "is not accepted by"
			if t == gatewayv1.RouteConditionResolvedRefs {
				what = "has backendRefs not resolved by"
			}
			return fmt.Sprintf("%s %s %s (%s=False, %s: %s)", rt.id(), what, parentName(rt, p.ParentRef), t, c.Reason, bounded(c.Message, 200))
		}
	}
	return ""
}

func parentName(rt *readRoute, p gatewayv1.ParentReference) string {
	kind, ns := "Gateway", rt.obj.GetNamespace()
	if p.Kind != nil {
		kind = string(*p.Kind)
	}
	if p.Namespace != nil {
		ns = string(*p.Namespace)
	}
	name := fmt.Sprintf("%s %s/%s", kind, ns, p.Name)
	if p.SectionName != nil {
		name += " listener " + string(*p.SectionName)
	}
	return name
}

func bounded(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
