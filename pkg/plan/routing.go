package plan

import (
	"fmt"
	"slices"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/traffic"
)

// finishRouting completes p.Traffic with what the router has to remove (the managed routes it
// has that the plan no longer wants), and says what carrying it out changes: the weights the
// status then reports, and the timeline notes of the weight and the routes.
func (c *pass) finishRouting() {
	d := c.p.Traffic
	if d == nil {
		return
	}
	seen, router := c.seen(), c.spec.TrafficRouting.RouterType()
	c.p.ConfirmedWeights = &v1alpha1.TrafficWeights{
		Canary: v1alpha1.WeightDestination{Weight: d.CanaryWeight, PodTemplateHash: c.st.CurrentPodHash},
		Stable: v1alpha1.WeightDestination{Weight: c.totalWeight() - d.CanaryWeight, PodTemplateHash: c.st.StableRS},
	}
	if ws := c.st.Canary.Weights; ws != nil {
		c.p.ConfirmedWeights.Canary.PodTemplateHash, c.p.ConfirmedWeights.Stable.PodTemplateHash = ws.Canary.PodTemplateHash, ws.Stable.PodTemplateHash
	}
	if seen.CanaryWeight != d.CanaryWeight || seen.MaxCanaryWeight != d.CanaryWeight {
		c.p.WeightNote = &Note{Reason: v1alpha1.ReasonWeightChanged,
			Message: fmt.Sprintf("canary weight %d -> %d (%s: %s)", seen.MaxCanaryWeight, d.CanaryWeight, router, objects(seen.Objects))}
	}
	want := d.RouteNames()
	switch {
	case len(want) == 0 && len(seen.Routes) > 0:
		d.RemoveAllRoutes = true
		c.p.RoutesNote = &Note{Reason: v1alpha1.ReasonRouteChanged, Message: fmt.Sprintf("managed routes %v removed (%s)", seen.Routes, router)}
	case !traffic.SameRoutes(want, seen.Routes):
		for _, name := range seen.Routes {
			if !slices.Contains(want, name) {
				d.RemoveRoutes = append(d.RemoveRoutes, name)
			}
		}
		c.p.RoutesNote = &Note{Reason: v1alpha1.ReasonRouteChanged, Message: fmt.Sprintf("managed routes %v -> %v (%s)", seen.Routes, want, router)}
	}
}

func objects(objs []string) string {
	if len(objs) == 0 {
		return "-"
	}
	return fmt.Sprint(objs)
}
