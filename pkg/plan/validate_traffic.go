package plan

import (
	"fmt"
	"regexp"
	"slices"

	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// validateTrafficRouting checks trafficRouting and the steps that use it, for what the schema
// cannot say: which fields each router needs and what each can express.
func validateTrafficRouting(c *v1alpha1.CanaryStrategy) string {
	const tr = "spec.strategy.canary.trafficRouting"
	r := c.TrafficRouting
	total := r.TotalWeight()
	switch {
	case r.RouterType() == "":
		return tr + " names no router: set nginx, istio or gatewayAPI"
	case r.Nginx != nil && (c.StableService == "" || c.CanaryService == ""):
		return tr + ".nginx needs spec.strategy.canary.stableService and canaryService: the canary Ingress routes to canaryService"
	case r.Istio != nil && r.Istio.DestinationRule == nil && (c.StableService == "" || c.CanaryService == ""):
		return tr + ".istio needs spec.strategy.canary.stableService and canaryService (the VirtualService's two destinations), or istio.destinationRule to split by subsets"
	case r.GatewayAPI != nil && (c.StableService == "" || c.CanaryService == ""):
		return tr + ".gatewayAPI needs spec.strategy.canary.stableService and canaryService: the backendRefs whose weights split the traffic"
	case r.Istio != nil && total != 100:
		return tr + ".maxTrafficWeight: Istio's route weights are percentages; remove maxTrafficWeight"
	}
	var managed []string
	for i, m := range r.ManagedRoutes {
		managed = append(managed, m.Name)
		if r.GatewayAPI != nil && !ruleName.MatchString(m.Name) {
			return fmt.Sprintf("%s.managedRoutes[%d].name %q: with gatewayAPI it names the rules ramp adds, so it must be lowercase letters, digits and '-', starting and ending with a letter or digit, at most 240 characters", tr, i, m.Name)
		}
	}
	headerRoutes, mirrors := map[string]bool{}, false
	emptyCanary := -1 // the step whose setCanaryScale leaves the canary no pods, while in force
	for i, step := range c.Steps {
		field := fmt.Sprintf("spec.strategy.canary.steps[%d]", i)
		if s := step.SetCanaryScale; s != nil {
			emptyCanary = -1
			if !s.MatchTrafficWeight && ptr.Deref(s.Replicas, 0) == 0 && ptr.Deref(s.Weight, 0) == 0 {
				emptyCanary = i
			}
		}
		if step.SetWeight != nil && *step.SetWeight > total {
			return fmt.Sprintf("%s.setWeight %d is over %s.maxTrafficWeight (%d)", field, *step.SetWeight, tr, total)
		}
		if step.SetWeight != nil && *step.SetWeight > 0 && emptyCanary >= 0 {
			return fmt.Sprintf("%s.setWeight %d sends traffic to a canary that steps[%d].setCanaryScale leaves with no pods: give it pods first, or use matchTrafficWeight", field, *step.SetWeight, emptyCanary)
		}
		if h := step.SetHeaderRoute; h != nil {
			if msg := checkManaged(field+".setHeaderRoute", h.Name, managed); msg != "" {
				return msg
			}
			for j, m := range h.Match {
				if msg := checkRegex(fmt.Sprintf("%s.setHeaderRoute.match[%d].headerValue.regex", field, j), m.HeaderValue); msg != "" {
					return msg
				}
			}
			if r.Nginx != nil && len(h.Match) > 1 {
				return fmt.Sprintf("%s.setHeaderRoute matches %d headers, but NGINX canary routing (canary-by-header) can match only one: keep a single match, or use Istio", field, len(h.Match))
			}
			headerRoutes[h.Name] = true
		}
		if m := step.SetMirrorRoute; m != nil {
			mirrors = true
			if r.Nginx != nil {
				return field + ".setMirrorRoute: NGINX ingress cannot mirror a share of requests to the canary; remove the step, or use Istio"
			}
			if msg := checkManaged(field+".setMirrorRoute", m.Name, managed); msg != "" {
				return msg
			}
			for j, match := range m.Match {
				if r.GatewayAPI != nil && match.Method != nil && match.Method.Exact == "" {
					return fmt.Sprintf("%s.setMirrorRoute.match[%d].method: the Gateway API matches a method exactly: use exact (GET, POST...)", field, j)
				}
				for k, v := range map[string]*v1alpha1.StringMatch{"method": match.Method, "path": match.Path} {
					if v != nil {
						if msg := checkRegex(fmt.Sprintf("%s.setMirrorRoute.match[%d].%s.regex", field, j, k), *v); msg != "" {
							return msg
						}
					}
				}
				for name, v := range match.Headers {
					if msg := checkRegex(fmt.Sprintf("%s.setMirrorRoute.match[%d].headers.%s.regex", field, j, name), v); msg != "" {
						return msg
					}
				}
			}
		}
	}
	if g := r.GatewayAPI; g != nil && (len(headerRoutes) > 0 || mirrors) && !slices.ContainsFunc(g.Routes(), func(ref v1alpha1.GatewayAPIRouteRef) bool { return ref.UsesHeaderRoutes() }) {
		return tr + ".gatewayAPI: the steps set header or mirror routes, but every route sets useHeaderRoutes: false: let one route take them, or remove the steps"
	}
	if r.Nginx != nil && len(headerRoutes) > 1 {
		return fmt.Sprintf("%s.managedRoutes: NGINX has one canary-by-header per Ingress, but the steps set %d header routes; use one managed route name", tr, len(headerRoutes))
	}
	return ""
}

// ruleName is what a Gateway API rule's name may be (a DNS label-like section name), leaving
// room for the "-N" ramp adds when several rules split.
var ruleName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,238}[a-z0-9])?$`)

func checkManaged(field, name string, managed []string) string {
	if !slices.Contains(managed, name) {
		return fmt.Sprintf("%s.name %q is not in spec.strategy.canary.trafficRouting.managedRoutes %v: add it there (the list orders the routes)", field, name, managed)
	}
	return ""
}

func checkRegex(field string, m v1alpha1.StringMatch) string {
	if m.Regex == "" {
		return ""
	}
	if _, err := regexp.Compile(m.Regex); err != nil {
		return fmt.Sprintf("%s %q is not a valid regular expression: %v", field, m.Regex, err)
	}
	return ""
}
