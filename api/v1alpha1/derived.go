package v1alpha1

import "fmt"

// Facts derived from a spec, in one place for the planner, the controller and the plugin.

// TotalWeight is what setWeight steps are shares of: maxTrafficWeight, 100 when unset (and for
// no router).
func (t *RolloutTrafficRouting) TotalWeight() int32 {
	if t == nil || t.MaxTrafficWeight == nil {
		return 100
	}
	return max(1, *t.MaxTrafficWeight)
}

// TotalWeight is the canary's trafficRouting.TotalWeight.
func (c *CanaryStrategy) TotalWeight() int32 {
	if c == nil {
		return 100
	}
	return c.TrafficRouting.TotalWeight()
}

// WeightAt is the weight the steps ask for at step index i: the last setWeight at or before
// it (at most the total), or the total once every step is done.
func (c *CanaryStrategy) WeightAt(i int32) int32 {
	if c == nil {
		return 0
	}
	total := c.TotalWeight()
	if int(i) >= len(c.Steps) {
		return total
	}
	var w int32
	for _, s := range c.Steps[:max(i, 0)+1] {
		if s.SetWeight != nil {
			w = min(*s.SetWeight, total)
		}
	}
	return w
}

// StepLabel is step index i as "3/5": 1-based, "5/5" once done, "-" without steps.
func (c *CanaryStrategy) StepLabel(i int32) string {
	if c == nil || len(c.Steps) == 0 {
		return "-"
	}
	return fmt.Sprintf("%d/%d", min(int(max(i, 0))+1, len(c.Steps)), len(c.Steps))
}

// StepLabel is the canary step the Rollout's status is at ("3/5"); "" without a canary.
func (ro *Rollout) StepLabel() string {
	c := ro.Spec.Strategy.Canary
	if c == nil {
		return ""
	}
	i := int32(0)
	if ro.Status.CurrentStepIndex != nil {
		i = *ro.Status.CurrentStepIndex
	}
	return c.StepLabel(i)
}

// CanaryIngressName is the canary Ingress ramp creates for one stable Ingress of NGINX
// routing: <rollout>-<stable>-canary.
func CanaryIngressName(rollout, stableIngress string) string {
	return rollout + "-" + stableIngress + "-canary"
}

// Ingresses are the stable Ingresses NGINX routing names.
func (n *NginxTrafficRouting) Ingresses() []string {
	if n.StableIngress != "" {
		return []string{n.StableIngress}
	}
	return n.StableIngresses
}

// AutoPromotes: the blue-green promotes by itself once the preview is ready (and its
// analysis passed), after autoPromotionSeconds when set; true unless autoPromotionEnabled is
// false.
func (b *BlueGreenStrategy) AutoPromotes() bool {
	return b.AutoPromotionEnabled == nil || *b.AutoPromotionEnabled
}
