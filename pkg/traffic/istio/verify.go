package istio

import (
	"context"
	"slices"

	istionetworking "istio.io/api/networking/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/ramp-dev/ramp/pkg/traffic"
)

// Verify reads the VirtualServices (and the DestinationRule) and reports what they route now.
func (r *Router) Verify(ctx context.Context) (traffic.State, error) {
	vss, err := r.readAll(ctx)
	if err != nil {
		return traffic.State{}, err
	}
	var dr *networkingv1.DestinationRule
	if r.cfg.DestinationRule != nil {
		if dr, err = r.getDestinationRule(ctx); err != nil {
			return traffic.State{}, err
		}
	}
	return state(vss, dr, r.cfg)
}

// state is what the objects read route: the lowest and highest canary weight of the selected
// routes, the managed routes every VirtualService has, and the subsets' hashes.
func state(vss []readVS, dr *networkingv1.DestinationRule, cfg Config) (traffic.State, error) {
	var st traffic.State
	first := true
	for _, vs := range vss {
		st.Objects = append(st.Objects, "virtualservice/"+vs.obj.Name)
		for _, s := range vs.splits {
			if w := s.canary.weight; first {
				st.CanaryWeight, st.MaxCanaryWeight, first = w, w, false
			} else {
				st.CanaryWeight, st.MaxCanaryWeight = min(st.CanaryWeight, w), max(st.MaxCanaryWeight, w)
			}
		}
	}
	for _, name := range cfg.ManagedRoutes {
		everywhere := len(vss) > 0
		for _, vs := range vss {
			if !slices.ContainsFunc(vs.obj.Spec.GetHttp(), func(r *istionetworking.HTTPRoute) bool { return r.GetName() == name }) {
				everywhere = false
			}
		}
		if everywhere {
			st.Routes = append(st.Routes, name)
		}
	}
	if dr != nil {
		si, ci, err := findSubsets(dr, cfg.DestinationRule.StableSubsetName, cfg.DestinationRule.CanarySubsetName)
		if err != nil {
			return traffic.State{}, err
		}
		subsets := dr.Spec.GetSubsets()
		st.StableHash = subsets[si].GetLabels()[podTemplateHashLabel]
		st.CanaryHash = subsets[ci].GetLabels()[podTemplateHashLabel]
		st.Objects = append(st.Objects, "destinationrule/"+dr.Name)
	}
	return st, nil
}
