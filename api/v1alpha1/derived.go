package v1alpha1

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"
)

// Facts derived from a spec, in one place for the planner, the controller and the plugin.

// Defaults of unset fields, as Argo Rollouts has them.
const (
	DefaultReplicas                   = 1
	DefaultTotalWeight                = 100
	DefaultAbortScaleDownDelaySeconds = 30
	DefaultProgressDeadlineSeconds    = 600
	DefaultRevisionHistoryLimit       = 10
	DefaultMirrorPercentage           = 100
)

// MaxPause is the longest timed pause: longer is surely a typo, and a number of seconds past it
// would overflow a time.Duration into an indefinite (or negative) pause.
const MaxPause = 366 * 24 * time.Hour

// DesiredReplicas is spec.replicas: 1 when unset, as a Deployment's, never below 0.
func (ro *Rollout) DesiredReplicas() int32 {
	if ro.Spec.Replicas == nil {
		return DefaultReplicas
	}
	return max(0, *ro.Spec.Replicas)
}

// ProgressDeadline is spec.progressDeadlineSeconds (600 when unset).
func (ro *Rollout) ProgressDeadline() time.Duration {
	return seconds(ro.Spec.ProgressDeadlineSeconds, DefaultProgressDeadlineSeconds)
}

// HistoryLimit is spec.revisionHistoryLimit: how many old, scaled-down ReplicaSets are kept
// (10 when unset).
func (ro *Rollout) HistoryLimit() int {
	if ro.Spec.RevisionHistoryLimit == nil {
		return DefaultRevisionHistoryLimit
	}
	return max(0, int(*ro.Spec.RevisionHistoryLimit))
}

// IsAborted: the release was aborted (status.abort) and not retried yet (abortedAt is kept
// until the retry is seen).
func (ro *Rollout) IsAborted() bool {
	return ro.Status.Abort || ro.Status.AbortedAt != nil
}

// ServiceNames are the Services the Rollout's strategy names, each once.
func (ro *Rollout) ServiceNames() []string {
	var names []string
	if c := ro.Spec.Strategy.Canary; c != nil {
		names = append(names, c.CanaryService, c.StableService)
	}
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil {
		names = append(names, bg.ActiveService, bg.PreviewService)
	}
	return Distinct(names)
}

// Distinct is names without blanks and repeats, in their order.
func Distinct(names []string) []string {
	var out []string
	for _, n := range names {
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// AbortScaleDownDelay is how long an aborted canary keeps its pods once traffic left it:
// abortScaleDownDelaySeconds, 30 when unset with trafficRouting, 0 when unset without.
func (c *CanaryStrategy) AbortScaleDownDelay() time.Duration {
	def := int32(0)
	if c.TrafficRouting != nil {
		def = DefaultAbortScaleDownDelaySeconds
	}
	return seconds(c.AbortScaleDownDelaySeconds, def)
}

// AbortScaleDownDelay is how long an aborted preview keeps its pods (30 s when unset).
func (b *BlueGreenStrategy) AbortScaleDownDelay() time.Duration {
	return seconds(b.AbortScaleDownDelaySeconds, DefaultAbortScaleDownDelaySeconds)
}

func seconds(v *int32, def int32) time.Duration {
	if v == nil {
		return time.Duration(def) * time.Second
	}
	return time.Duration(max(0, *v)) * time.Second
}

// MirrorsTraffic reports whether a step adds a mirror route (a setMirrorRoute with matches).
func (c *CanaryStrategy) MirrorsTraffic() bool {
	if c == nil {
		return false
	}
	for _, s := range c.Steps {
		if s.SetMirrorRoute != nil && len(s.SetMirrorRoute.Match) > 0 {
			return true
		}
	}
	return false
}

// MirrorPercentage is the share of matching requests mirrored (100 when unset).
func (m *SetMirrorRoute) MirrorPercentage() int32 {
	if m.Percentage == nil {
		return DefaultMirrorPercentage
	}
	return *m.Percentage
}

// VirtualServiceList is the VirtualServices Istio routing names: virtualService or
// virtualServices.
func (i *IstioTrafficRouting) VirtualServiceList() []IstioVirtualService {
	if i.VirtualService != nil {
		return []IstioVirtualService{*i.VirtualService}
	}
	return i.VirtualServices
}

// Length is a pause step's duration; 0 means until promoted. A bare number is seconds (as
// Argo). Negative, overlong, empty and unparsable durations are errors that say what is
// accepted.
func (p *RolloutPause) Length() (time.Duration, error) {
	if p.Duration == nil {
		return 0, nil
	}
	usage := func(v string) error {
		return fmt.Errorf("%q is not a duration: use seconds (30) or a number with s, m or h (30s, 5m, 1h), at most %.0fh", v, MaxPause.Hours())
	}
	inSeconds := func(n int64, text string) (time.Duration, error) {
		if n < 0 || n > int64(MaxPause/time.Second) {
			return 0, usage(text)
		}
		return time.Duration(n) * time.Second, nil
	}
	if p.Duration.Type == intstr.Int {
		return inSeconds(int64(p.Duration.IntVal), strconv.Itoa(int(p.Duration.IntVal)))
	}
	s := strings.TrimSpace(p.Duration.StrVal)
	if s == "" {
		return 0, usage(p.Duration.StrVal)
	}
	if strings.Trim(s, "0123456789+-") == "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, usage(s)
		}
		return inSeconds(n, s)
	}
	if !strings.ContainsAny(s[len(s)-1:], "smh") {
		return 0, usage(s)
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > MaxPause {
		return 0, usage(s)
	}
	return d, nil
}

// Text is a pause's duration as written, with its unit: a bare number of seconds gets an "s";
// "" for a pause until promoted.
func (p *RolloutPause) Text() string {
	switch {
	case p.Duration == nil:
		return ""
	case p.Duration.Type == intstr.Int:
		return fmt.Sprintf("%ds", p.Duration.IntVal)
	}
	if s := strings.TrimSpace(p.Duration.StrVal); s != "" && strings.Trim(s, "0123456789") == "" {
		return s + "s"
	}
	return p.Duration.StrVal
}

// TotalWeight is what setWeight steps are shares of: maxTrafficWeight, 100 when unset (and for
// no router).
func (t *RolloutTrafficRouting) TotalWeight() int32 {
	if t == nil || t.MaxTrafficWeight == nil {
		return DefaultTotalWeight
	}
	return max(1, *t.MaxTrafficWeight)
}

// TotalWeight is the canary's trafficRouting.TotalWeight.
func (c *CanaryStrategy) TotalWeight() int32 {
	if c == nil {
		return DefaultTotalWeight
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

// Describe is a step as people read it, in the manifest's words: "setWeight: 20",
// "pause: 30s", "pause (until promoted)", "analysis: error-rate". The timeline, `kubectl ramp
// plan` and `kubectl ramp get` all say it so.
func (s CanaryStep) Describe() string {
	switch {
	case s.SetWeight != nil:
		return fmt.Sprintf("setWeight: %d", *s.SetWeight)
	case s.Pause != nil:
		if s.Pause.Duration == nil {
			return "pause (until promoted)"
		}
		return "pause: " + s.Pause.Text()
	case s.SetCanaryScale != nil:
		return "setCanaryScale: " + s.SetCanaryScale.describe()
	case s.Analysis != nil:
		names := make([]string, 0, len(s.Analysis.Templates))
		for _, t := range s.Analysis.Templates {
			names = append(names, t.TemplateName)
		}
		return "analysis: " + strings.Join(names, ", ")
	case s.SetHeaderRoute != nil:
		return "setHeaderRoute: " + s.SetHeaderRoute.Name + removedIf(len(s.SetHeaderRoute.Match) == 0)
	case s.SetMirrorRoute != nil:
		m := s.SetMirrorRoute
		if len(m.Match) == 0 {
			return "setMirrorRoute: " + m.Name + removedIf(true)
		}
		return fmt.Sprintf("setMirrorRoute: %s (%d%%)", m.Name, m.MirrorPercentage())
	}
	return "(empty step)"
}

// removedIf marks a route step without matches: it takes the route away.
func removedIf(removed bool) string {
	if removed {
		return " (remove)"
	}
	return ""
}

func (s SetCanaryScale) describe() string {
	var parts []string
	if s.Replicas != nil {
		parts = append(parts, fmt.Sprintf("replicas %d", *s.Replicas))
	}
	if s.Weight != nil {
		parts = append(parts, fmt.Sprintf("weight %d%%", *s.Weight))
	}
	if s.MatchTrafficWeight {
		parts = append(parts, "matchTrafficWeight")
	}
	if len(parts) == 0 {
		return "(unset)"
	}
	return strings.Join(parts, " / ")
}
