package plan

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/traffic"
	"github.com/ramp-dev/ramp/pkg/workload"
)

// Release is routing the spec no longer names, to return to the stable revision before the
// controller lets go of it: the router the record describes set to Traffic (weight 0, both
// sides on the stable pods) with no managed routes.
type Release struct {
	Managed v1alpha1.ManagedTraffic
	Traffic traffic.Desired
	// ByDeletion: NGINX routing is returned to stable by deleting its canary Ingresses,
	// DeleteIngresses (without its canary Ingress, NGINX sends everything to the stable one).
	ByDeletion      bool
	DeleteIngresses []string
}

// ManagedBySpec is what a Rollout's spec routes traffic with: a canary's Services and
// trafficRouting. Nil when it routes nothing this way (blue-green points its Services every
// pass).
func ManagedBySpec(ro *v1alpha1.Rollout) *v1alpha1.ManagedTraffic {
	c := ro.Spec.Strategy.Canary
	if c == nil || (c.StableService == "" && c.CanaryService == "" && c.TrafficRouting == nil) {
		return nil
	}
	return &v1alpha1.ManagedTraffic{StableService: c.StableService, CanaryService: c.CanaryService, TrafficRouting: c.TrafficRouting.DeepCopy()}
}

// recordManaged keeps status.managed in step with the spec. What the record names and the spec
// no longer does goes back to the stable revision first (a Release, and the dropped Services'
// selectors); what the spec newly names is recorded by a pass that writes nothing else, so a
// crash after the first write that routes with it still finds it recorded. It reports whether
// this pass is only that record.
func (c *pass) recordManaged() bool {
	want, had := ManagedBySpec(c.ro), c.st.Managed
	if equality.Semantic.DeepEqual(want, had) {
		return false
	}
	if had != nil {
		c.release(*had, want)
	}
	c.st.Managed = want
	return want != nil
}

// planIngresses deletes the canary Ingresses the Rollout owns that the spec does not want: as
// the release of NGINX routing the spec dropped, or as clean-up of a stable Ingress that left
// the list.
func (c *pass) planIngresses() {
	var wanted []string
	if tr := c.spec.TrafficRouting; tr != nil && tr.Nginx != nil {
		for _, name := range tr.Nginx.Ingresses() {
			wanted = append(wanted, v1alpha1.CanaryIngressName(c.ro.Name, name))
		}
	}
	var unwanted []string
	for _, ing := range c.in.CanaryIngresses {
		if !slices.Contains(wanted, ing.Name) {
			unwanted = append(unwanted, ing.Name)
		}
	}
	if r := c.p.Release; r != nil && r.ByDeletion {
		r.DeleteIngresses = unwanted
		return
	}
	c.p.DeleteIngresses = unwanted
}

// release returns what had names and want does not to the stable revision.
func (c *pass) release(had v1alpha1.ManagedTraffic, want *v1alpha1.ManagedTraffic) {
	if want == nil {
		want = &v1alpha1.ManagedTraffic{}
	}
	stable := c.stable
	if stable == nil {
		stable = c.current
	}
	hash := c.st.StableRS
	if stable != nil {
		hash = workload.HashOf(stable)
	}
	if had.TrafficRouting != nil && !sameRouter(had, *want) {
		c.p.Release = &Release{Managed: had, Traffic: traffic.Desired{StableHash: hash, CanaryHash: hash}, ByDeletion: had.TrafficRouting.Nginx != nil}
		c.p.note(v1alpha1.ReasonRouteChanged, fmt.Sprintf("trafficRouting changed: ramp sets %s back to the stable revision %s before letting go", routerName(had.TrafficRouting), hash))
	}
	for _, name := range []string{had.CanaryService, had.StableService} {
		if name == "" || name == want.StableService || name == want.CanaryService || hash == "" {
			continue
		}
		if svc := c.in.Services[name]; svc != nil && stable != nil && c.available(stable) > 0 && svc.Spec.Selector[v1alpha1.PodTemplateHashLabel] != hash {
			c.p.Selectors[name] = hash
			c.p.note(v1alpha1.ReasonServiceSwitched, fmt.Sprintf("service %s is no longer in the spec: it selects the stable revision %s before ramp lets go of it", name, hash))
		}
	}
}

// sameRouter: both route with the same objects and Services (maxTrafficWeight aside, which
// only rescales the weights the next pass writes).
func sameRouter(a, b v1alpha1.ManagedTraffic) bool {
	if a.StableService != b.StableService || a.CanaryService != b.CanaryService {
		return false
	}
	at, bt := a.TrafficRouting.DeepCopy(), b.TrafficRouting.DeepCopy()
	if at == nil || bt == nil {
		return at == nil && bt == nil
	}
	at.MaxTrafficWeight, bt.MaxTrafficWeight = nil, nil
	return equality.Semantic.DeepEqual(at, bt)
}

func routerName(tr *v1alpha1.RolloutTrafficRouting) string {
	switch {
	case tr.Nginx != nil:
		return "the nginx canary Ingress"
	case tr.Istio != nil:
		return "the Istio VirtualService weights"
	case tr.GatewayAPI != nil:
		return "the Gateway API route weights"
	}
	return "the router"
}
