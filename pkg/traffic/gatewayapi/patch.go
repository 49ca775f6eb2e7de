package gatewayapi

import (
	"fmt"
	"slices"

	"github.com/ramp-dev/ramp/pkg/traffic"
	"github.com/ramp-dev/ramp/pkg/traffic/jsonpatch"
)

type op = jsonpatch.Op

// Gateway API limits the API server enforces, checked first so that the message says what to do.
const (
	maxRules   = 16
	maxMatches = 128
)

// weightOps sets each split's canary backendRef to canaryWeight and its stable backendRef to
// the rest of total, leaving weights already right alone. Each change is guarded by a test of
// the backendRef's name (and the rule's, when it has one).
func weightOps(splits []split, canaryWeight, total int32) []op {
	total = max(total, 1)
	canaryWeight = min(max(canaryWeight, 0), total)
	var ops []op
	for _, s := range splits {
		var guards, sets []op
		for _, w := range []struct {
			r    ref
			want int32
		}{{s.stable, total - canaryWeight}, {s.canary, canaryWeight}} {
			if w.r.weight == w.want {
				continue
			}
			path := fmt.Sprintf("%s/backendRefs/%d", s.path(), w.r.index)
			guards = append(guards, jsonpatch.Test(path+"/name", w.r.name))
			sets = append(sets, jsonpatch.Add(path+"/weight", w.want))
		}
		if len(sets) == 0 {
			continue
		}
		if s.name != "" {
			ops = append(ops, jsonpatch.Test(s.path()+"/name", s.name))
		}
		ops = append(ops, guards...)
		ops = append(ops, sets...)
	}
	return ops
}

// setRulesOps makes the managed rules of route be want, in order: nothing when they already
// are; otherwise the old ones go and want goes above the user's rules, below the managed rules
// of routes earlier in managed (higher precedence).
func setRulesOps(rt *readRoute, managed []string, route string, want []any) ([]op, error) {
	var have []int
	for i, r := range rt.rules {
		if m, ok := managedOf(r.name, managed); ok && m == route {
			have = append(have, i)
		}
	}
	if len(have) == len(want) && !slices.ContainsFunc(have, func(i int) bool {
		return !sameRule(rt.kind.rule(rt.obj, i), want[slices.Index(have, i)])
	}) {
		return nil, nil
	}
	if err := checkLimits(rt, managed, route, want); err != nil {
		return nil, err
	}
	ops := removeRulesOps(rt, managed, []string{route})
	// Where the new rules go, counted in the rules left after the removals.
	rank := slices.Index(managed, route)
	at := 0
	for _, r := range rt.rules {
		m, ok := managedOf(r.name, managed)
		if ok && m == route {
			continue
		}
		if !ok || slices.Index(managed, m) > rank {
			break
		}
		at++
	}
	for k, w := range want {
		ops = append(ops, jsonpatch.Add(fmt.Sprintf("/spec/rules/%d", at+k), w))
	}
	return ops, nil
}

// checkLimits: the route, with want in place of route's managed rules, stays within the
// Gateway API's limits on rules and matches.
func checkLimits(rt *readRoute, managed []string, route string, want []any) error {
	rules, matches := len(want), 0
	for _, w := range want {
		matches += matchCount(w)
	}
	for _, r := range rt.rules {
		if m, ok := managedOf(r.name, managed); ok && m == route {
			continue
		}
		rules++
		matches += r.matches
	}
	if rules > maxRules {
		return traffic.Invalid("%s: %s would have %d rules with the managed rules of %q (one per selected rule): the Gateway API allows %d: select fewer rules, or set useHeaderRoutes: false on this route", rt.ref.Field, rt.id(), rules, route, maxRules)
	}
	if matches > maxMatches {
		return traffic.Invalid("%s: %s would have %d matches with the managed rules of %q: the Gateway API allows %d in a route: select fewer rules, or match fewer requests in the step", rt.ref.Field, rt.id(), matches, route, maxMatches)
	}
	return nil
}

// removeRulesOps removes the managed rules of every route in names, last first so that the
// indexes of the others hold.
func removeRulesOps(rt *readRoute, managed, names []string) []op {
	var ops []op
	for i := len(rt.rules) - 1; i >= 0; i-- {
		if m, ok := managedOf(rt.rules[i].name, managed); ok && slices.Contains(names, m) {
			path := fmt.Sprintf("/spec/rules/%d", i)
			ops = append(ops, jsonpatch.Test(path+"/name", rt.rules[i].name), jsonpatch.Remove(path))
		}
	}
	return ops
}
