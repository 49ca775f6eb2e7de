package istio

import (
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	istionetworking "istio.io/api/networking/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/ramp-dev/ramp/pkg/traffic"
	"github.com/ramp-dev/ramp/pkg/traffic/jsonpatch"
)

// podTemplateHashLabel is the label on a Rollout's pods that a subset selects them by.
const podTemplateHashLabel = "rollouts-pod-template-hash"

type op = jsonpatch.Op

var (
	add    = jsonpatch.Add
	test   = jsonpatch.Test
	remove = jsonpatch.Remove
)

func routePath(i int) string          { return fmt.Sprintf("/spec/http/%d", i) }
func destPath(s split, d dest) string { return fmt.Sprintf("%s/route/%d", s.path(), d.index) }

// weightOps sets each split's canary destination to canaryWeight and its stable destination to
// the rest of 100 (Istio's weights are percentages), leaving weights already right alone.
func weightOps(splits []split, canaryWeight int32) []op {
	canaryWeight = min(max(canaryWeight, 0), 100)
	var ops []op
	for _, s := range splits {
		var guards, sets []op
		for _, w := range []struct {
			d    dest
			want int32
		}{{s.stable, 100 - canaryWeight}, {s.canary, canaryWeight}} {
			if w.d.weight == w.want {
				continue
			}
			guards = append(guards, test(destPath(s, w.d)+"/destination/host", w.d.host))
			sets = append(sets, add(destPath(s, w.d)+"/weight", w.want))
		}
		if len(sets) == 0 {
			continue
		}
		if s.name != "" {
			ops = append(ops, test(s.path()+"/name", s.name))
		}
		ops = append(ops, guards...)
		ops = append(ops, sets...)
	}
	return ops
}

// mirrorSplits are the managed mirror routes whose destinations still split between stable
// and canary: SetWeight keeps their weights those of the user's routes.
func mirrorSplits(vs *networkingv1.VirtualService, managed []string, m matcher) []split {
	var out []split
	for i, r := range vs.Spec.GetHttp() {
		if r.GetMirror() == nil || !slices.Contains(managed, r.GetName()) {
			continue
		}
		s, err := m.split("", httpDests(r.GetRoute()))
		if err != nil {
			continue // not ours to fix: the route was edited, or the Rollout's destinations changed
		}
		s.kind, s.index, s.name = httpRoutes, i, r.GetName()
		out = append(out, s)
	}
	return out
}

// setRouteOps makes the managed route name be want, or removes it when want is nil. A new
// route goes above the user's routes, below the managed routes of higher precedence (earlier
// in managed); a route that differs is replaced where it is.
func setRouteOps(vs *networkingv1.VirtualService, managed []string, name string, want *istionetworking.HTTPRoute) []op {
	if want == nil {
		return removeRoutesOps(vs, []string{name})
	}
	http := vs.Spec.GetHttp()
	if i := slices.IndexFunc(http, func(r *istionetworking.HTTPRoute) bool { return r.GetName() == name }); i >= 0 {
		if proto.Equal(http[i], want) {
			return nil
		}
		return []op{test(routePath(i)+"/name", name), remove(routePath(i)), add(routePath(i), want)}
	}
	if len(http) == 0 {
		return []op{add("/spec/http", []*istionetworking.HTTPRoute{want})}
	}
	rank := slices.Index(managed, name)
	at := 0
	for at < len(http) {
		r := slices.Index(managed, http[at].GetName())
		if r < 0 || r > rank {
			break
		}
		at++
	}
	var ops []op
	if at < len(http) && http[at].GetName() != "" {
		ops = append(ops, test(routePath(at)+"/name", http[at].GetName()))
	}
	return append(ops, add(routePath(at), want))
}

// removeRoutesOps removes every HTTP route with one of names, last first so that the indexes
// of the others hold.
func removeRoutesOps(vs *networkingv1.VirtualService, names []string) []op {
	var ops []op
	http := vs.Spec.GetHttp()
	for i := len(http) - 1; i >= 0; i-- {
		if n := http[i].GetName(); n != "" && slices.Contains(names, n) {
			ops = append(ops, test(routePath(i)+"/name", n), remove(routePath(i)))
		}
	}
	return ops
}

// findSubsets finds the stable and canary subsets in a DestinationRule.
func findSubsets(dr *networkingv1.DestinationRule, stable, canary string) (int, int, error) {
	if stable == canary {
		return 0, 0, traffic.Invalid("%s.destinationRule: stableSubsetName and canarySubsetName are both %q: name two subsets", istioField, stable)
	}
	subsets := dr.Spec.GetSubsets()
	var names []string
	for _, s := range subsets {
		names = append(names, fmt.Sprintf("%q", s.GetName()))
	}
	idx := [2]int{}
	for k, want := range []struct{ field, name string }{{"stableSubsetName", stable}, {"canarySubsetName", canary}} {
		idx[k] = slices.IndexFunc(subsets, func(s *istionetworking.Subset) bool { return s.GetName() == want.name })
		if idx[k] < 0 {
			has := "it has none"
			if len(names) > 0 {
				has = "it has " + strings.Join(names, ", ")
			}
			return 0, 0, traffic.Invalid("%s.destinationRule.%s: DestinationRule %s/%s has no subset %q: add it, or name one of its subsets (%s)", istioField, want.field, dr.Namespace, dr.Name, want.name, has)
		}
	}
	return idx[0], idx[1], nil
}

// subsetOps points the stable and canary subsets at the pods with the given pod-template
// hashes; an empty hash leaves its subset as it is.
func subsetOps(dr *networkingv1.DestinationRule, stableName, stableHash, canaryName, canaryHash string) ([]op, error) {
	si, ci, err := findSubsets(dr, stableName, canaryName)
	if err != nil {
		return nil, err
	}
	var ops []op
	for _, s := range []struct {
		i          int
		name, hash string
	}{{si, stableName, stableHash}, {ci, canaryName, canaryHash}} {
		labels := dr.Spec.GetSubsets()[s.i].GetLabels()
		if s.hash == "" || labels[podTemplateHashLabel] == s.hash {
			continue
		}
		path := fmt.Sprintf("/spec/subsets/%d", s.i)
		ops = append(ops, test(path+"/name", s.name))
		if len(labels) == 0 {
			// No labels key to add into (or an empty one): add the whole map.
			ops = append(ops, add(path+"/labels", map[string]string{podTemplateHashLabel: s.hash}))
		} else {
			ops = append(ops, add(path+"/labels/"+podTemplateHashLabel, s.hash))
		}
	}
	return ops, nil
}
