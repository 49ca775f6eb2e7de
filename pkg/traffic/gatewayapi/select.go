package gatewayapi

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ramp-dev/ramp/pkg/traffic"
)

// split is one selected rule: where in the route it is, and its stable and canary backendRefs.
type split struct {
	// rule is the rule's index in spec.rules; name is its name ("" when unnamed).
	rule int
	name string
	// ordinal is the rule's index among the route's own rules (what a selector's index counts).
	ordinal        int
	stable, canary ref
}

// ref is one backendRef of a split, by its index in the rule's backendRefs.
type ref struct {
	index  int
	name   string
	weight int32
}

func (s split) path() string { return fmt.Sprintf("/spec/rules/%d", s.rule) }

// describe names the rule for messages: `"api"` or `#2`.
func (s split) describe() string { return describeRule(s.name, s.ordinal) }

// managedOf says which managed route a rule belongs to: its name is the managed route's name,
// or that name, a dash and a number (one rule per selected rule).
func managedOf(ruleName string, managed []string) (string, bool) {
	for _, m := range managed {
		if ruleName == m {
			return m, true
		}
		if rest, ok := strings.CutPrefix(ruleName, m+"-"); ok && rest != "" && strings.Trim(rest, "0123456789") == "" {
			return m, true
		}
	}
	return "", false
}

// managedRuleName is the name of the managed rule route adds for the k-th of n selected rules.
func managedRuleName(route string, k, n int) string {
	if n == 1 {
		return route
	}
	return fmt.Sprintf("%s-%d", route, k)
}

// selectRules finds the rules the Rollout splits in rt: those its selectors name, or every own
// rule with a backendRef to the canary Service. Each must route to both Services, once each.
func selectRules(rt *readRoute, cfg Config) ([]split, error) {
	var own []int // indexes of the route's own (not managed) rules
	for i, r := range rt.rules {
		if _, ok := managedOf(r.name, cfg.ManagedRoutes); !ok {
			own = append(own, i)
		}
	}
	var out []split
	if len(rt.ref.Rules) == 0 {
		for k, i := range own {
			if slices.ContainsFunc(rt.rules[i].backends, func(b backend) bool { return isService(b, cfg.Namespace, cfg.CanaryService) }) {
				s, err := splitOf(rt, cfg, i, k, fmt.Sprintf("%s: %s rule #%d", rt.ref.Field, rt.id(), k))
				if err != nil {
					return nil, err
				}
				out = append(out, s)
			}
		}
		if len(out) == 0 {
			return nil, traffic.Invalid("%s: %s has no rule with a backendRef to the canary Service %s: add canaryService as a backendRef with weight 0 beside stableService %s in the rules to split", rt.ref.Field, rt.id(), cfg.CanaryService, cfg.StableService)
		}
		return out, nil
	}
	for j, sel := range rt.ref.Rules {
		field := fmt.Sprintf("%s.rules[%d]", rt.ref.Field, j)
		k := -1
		if sel.Index != nil {
			if k = int(*sel.Index); k >= len(own) {
				return nil, traffic.Invalid("%s.index: %s has %d rules of its own, so no rule #%d: select one that exists", field, rt.id(), len(own), k)
			}
		} else {
			k = slices.IndexFunc(own, func(i int) bool { return rt.rules[i].name == sel.Name })
			if k < 0 {
				return nil, traffic.Invalid("%s.name: %s has no rule named %q: name the rule in the route, or select it by index", field, rt.id(), sel.Name)
			}
		}
		if slices.ContainsFunc(out, func(s split) bool { return s.ordinal == k }) {
			return nil, traffic.Invalid("%s: selects rule #%d of %s again: select each rule once", field, k, rt.id())
		}
		s, err := splitOf(rt, cfg, own[k], k, fmt.Sprintf("%s: rule %s of %s", field, describeRule(rt.rules[own[k]].name, k), rt.id()))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// splitOf finds the stable and canary backendRefs of the i-th rule (the k-th of its own).
func splitOf(rt *readRoute, cfg Config, i, k int, what string) (split, error) {
	r := rt.rules[i]
	s := split{rule: i, name: r.name, ordinal: k}
	for _, side := range []struct {
		svc, field string
		into       *ref
	}{{cfg.StableService, "stableService", &s.stable}, {cfg.CanaryService, "canaryService", &s.canary}} {
		var found []int
		for j, b := range r.backends {
			if isService(b, cfg.Namespace, side.svc) {
				found = append(found, j)
			}
		}
		switch len(found) {
		case 0:
			return split{}, traffic.Invalid("%s has no backendRef to the %s %s: the rule must route to both stableService %s and canaryService %s", what, side.field, side.svc, cfg.StableService, cfg.CanaryService)
		case 1:
			*side.into = ref{index: found[0], name: side.svc, weight: r.backends[found[0]].weight}
		default:
			return split{}, traffic.Invalid("%s has %d backendRefs to the %s %s: keep one, so that its weight is the %s share", what, len(found), side.field, side.svc, strings.TrimSuffix(side.field, "Service"))
		}
	}
	if cfg.StableService == cfg.CanaryService {
		return split{}, traffic.Invalid("%s: stableService and canaryService are both %s: name two Services", gatewayAPIField, cfg.StableService)
	}
	return s, nil
}

func describeRule(name string, k int) string {
	if name != "" {
		return strconv.Quote(name)
	}
	return fmt.Sprintf("#%d", k)
}

// isService: the backendRef is the Service name in the route's namespace.
func isService(b backend, namespace, name string) bool {
	return b.name == name && b.group == "" && (b.kind == "" || b.kind == "Service") && (b.namespace == "" || b.namespace == namespace)
}

// mirrorSplits are the managed mirror rules, which serve with the user's split: SetWeight
// keeps their weights those of the selected rules.
func (rt *readRoute) mirrorSplits(cfg Config) []split {
	var out []split
	for i, r := range rt.rules {
		if _, ok := managedOf(r.name, cfg.ManagedRoutes); !ok || !r.mirror {
			continue
		}
		if s, err := splitOf(rt, cfg, i, -1, ""); err == nil {
			out = append(out, s)
		}
	}
	return out
}

// routeNames are the managed routes present in rt.
func (rt *readRoute) routeNames(managed []string) []string {
	var out []string
	for _, r := range rt.rules {
		if m, ok := managedOf(r.name, managed); ok && !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}
