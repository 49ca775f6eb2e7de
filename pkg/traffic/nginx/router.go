package nginx

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/pkg/traffic"
)

// fieldManager names the router's writes.
const fieldManager = "ramp-controller"

// Router drives the canary Ingresses of one Rollout for one reconcile. It never writes the
// user's Ingresses.
type Router struct {
	c   client.Client
	cfg Config
	// written holds the canary Ingresses as this router last wrote them: a cached read may not
	// show its own writes yet, and a second write in the same reconcile must build on them.
	written map[string]*networkingv1.Ingress
}

var (
	_ traffic.Router       = (*Router)(nil)
	_ traffic.HeaderRouter = (*Router)(nil)
)

// New returns the router for cfg; c may read from a cache.
func New(c client.Client, cfg Config) *Router {
	return &Router{c: c, cfg: cfg, written: map[string]*networkingv1.Ingress{}}
}

// Type is "nginx".
func (r *Router) Type() string { return "nginx" }

// pair is one stable Ingress and its canary Ingress (nil until created).
type pair struct {
	stable, canary *networkingv1.Ingress
}

// read gets every stable Ingress and its canary Ingress, checking that each stable one routes
// to the stable Service and that each canary name is free or ours.
func (r *Router) read(ctx context.Context) ([]pair, error) {
	field := "spec.strategy.canary.trafficRouting.nginx.stableIngress"
	if len(r.cfg.StableIngresses) > 1 {
		field += "es"
	}
	var out []pair
	for _, name := range r.cfg.StableIngresses {
		stable := &networkingv1.Ingress{}
		err := r.c.Get(ctx, client.ObjectKey{Namespace: r.cfg.Namespace, Name: name}, stable)
		if apierrors.IsNotFound(err) {
			return nil, traffic.Invalid("%s: Ingress %s/%s not found: create it, or name an Ingress that routes to Service %s", field, r.cfg.Namespace, name, r.cfg.StableService)
		}
		if err != nil {
			return nil, fmt.Errorf("get ingress %s/%s: %w", r.cfg.Namespace, name, err)
		}
		if _, err := canaryRules(stable, r.cfg.StableService, r.cfg.CanaryService); err != nil {
			return nil, traffic.Invalid("%s: %v", field, err)
		}
		canaryName := CanaryIngressName(r.cfg.RolloutName, name)
		if canary, ok := r.written[canaryName]; ok {
			out = append(out, pair{stable: stable, canary: canary.DeepCopy()})
			continue
		}
		canary := &networkingv1.Ingress{}
		err = r.c.Get(ctx, client.ObjectKey{Namespace: r.cfg.Namespace, Name: canaryName}, canary)
		switch {
		case apierrors.IsNotFound(err):
			canary = nil
		case err != nil:
			return nil, fmt.Errorf("get ingress %s/%s: %w", r.cfg.Namespace, canaryName, err)
		case !r.owns(canary):
			return nil, traffic.Invalid("%s: the canary Ingress name %s/%s is taken by an Ingress that Rollout %s does not own: rename or delete that Ingress (ramp names canary Ingresses <rollout>-<stable ingress>-canary)", field, r.cfg.Namespace, canaryName, r.cfg.RolloutName)
		}
		out = append(out, pair{stable: stable, canary: canary})
	}
	return out, nil
}

func (r *Router) owns(ing *networkingv1.Ingress) bool {
	owner := metav1.GetControllerOf(ing)
	return owner != nil && owner.UID == r.cfg.Owner.UID
}

// Verify reports the weights and header route the canary Ingresses carry; a canary Ingress not
// created yet routes nothing.
func (r *Router) Verify(ctx context.Context) (traffic.State, error) {
	pairs, err := r.read(ctx)
	if err != nil {
		return traffic.State{}, err
	}
	st := traffic.State{CanaryWeight: -1}
	routes := map[string]int{}
	for _, p := range pairs {
		w := int32(0)
		if p.canary != nil {
			w = r.weightOf(p.canary)
			if route := headerRouteOf(p.canary); route != nil {
				routes[route.Name]++
			}
		}
		st.CanaryWeight = minOrFirst(st.CanaryWeight, w)
		st.MaxCanaryWeight = max(st.MaxCanaryWeight, w)
		st.Objects = append(st.Objects, "ingress/"+CanaryIngressName(r.cfg.RolloutName, p.stable.Name))
	}
	st.CanaryWeight = max(st.CanaryWeight, 0)
	for name, n := range routes {
		if n == len(pairs) {
			st.Routes = append(st.Routes, name)
		}
	}
	return st, nil
}

func minOrFirst(acc, v int32) int32 {
	if acc < 0 {
		return v
	}
	return min(acc, v)
}

func (r *Router) prefix() string {
	if r.cfg.AnnotationPrefix == "" {
		return DefaultAnnotationPrefix
	}
	return r.cfg.AnnotationPrefix
}

// weightOf is a canary Ingress's weight; one that cannot be read counts as 0 and is rewritten.
func (r *Router) weightOf(ing *networkingv1.Ingress) int32 {
	w, err := strconv.Atoi(ing.Annotations[r.prefix()+"/canary-weight"])
	if err != nil || w < 0 {
		return 0
	}
	return int32(w)
}

func headerRouteOf(ing *networkingv1.Ingress) *traffic.HeaderRoute {
	record, ok := ing.Annotations[headerRouteAnnotation]
	if !ok {
		return nil
	}
	route := &traffic.HeaderRoute{}
	if json.Unmarshal([]byte(record), route) != nil || route.Name == "" {
		return nil
	}
	return route
}

// SetWeight writes every canary Ingress whole, creating it when missing: the weight and the
// header route of d (NGINX has one) in one update, so that an abort's weight 0 and the route's
// removal land together.
func (r *Router) SetWeight(ctx context.Context, d traffic.Desired) error {
	var route *traffic.HeaderRoute
	if len(d.HeaderRoutes) > 0 {
		route = &d.HeaderRoutes[0]
	}
	return r.each(ctx, func(pair) (int32, *traffic.HeaderRoute) { return d.CanaryWeight, route })
}

// SetHeaderRoute sets (or, with no match, removes) the canary-by-header route on every canary
// Ingress, keeping its weight. NGINX has one per Ingress: a route replaces another.
func (r *Router) SetHeaderRoute(ctx context.Context, route traffic.HeaderRoute) error {
	return r.each(ctx, func(p pair) (int32, *traffic.HeaderRoute) {
		w := int32(0)
		if p.canary != nil {
			w = r.weightOf(p.canary)
		}
		if len(route.Match) == 0 {
			if cur := headerRouteOf(p.canary); cur != nil && cur.Name != route.Name {
				return w, cur // removing another name's route leaves this one
			}
			return w, nil
		}
		return w, &route
	})
}

// RemoveManagedRoutes removes the header route from every canary Ingress.
func (r *Router) RemoveManagedRoutes(ctx context.Context) error {
	return r.each(ctx, func(p pair) (int32, *traffic.HeaderRoute) {
		if p.canary == nil {
			return 0, nil
		}
		return r.weightOf(p.canary), nil
	})
}

// each writes every canary Ingress as want says it should be, when that differs.
func (r *Router) each(ctx context.Context, want func(pair) (int32, *traffic.HeaderRoute)) error {
	pairs, err := r.read(ctx)
	if err != nil {
		return err
	}
	for _, p := range pairs {
		w, route := want(p)
		desired, err := CanaryIngress(r.cfg, p.stable, w, route)
		if err != nil {
			return traffic.Invalid("spec.strategy.canary.trafficRouting.nginx: %v", err)
		}
		if err := r.write(ctx, p.canary, desired); err != nil {
			return err
		}
	}
	return nil
}

// write creates the canary Ingress, or patches the one there when it differs from desired.
func (r *Router) write(ctx context.Context, current, desired *networkingv1.Ingress) error {
	if current == nil {
		if err := r.c.Create(ctx, desired, client.FieldOwner(fieldManager)); err != nil {
			return fmt.Errorf("create canary ingress %s/%s: %w", desired.Namespace, desired.Name, err)
		}
		r.written[desired.Name] = desired
		return nil
	}
	if maps.Equal(current.Annotations, desired.Annotations) && equality.Semantic.DeepEqual(current.Spec, desired.Spec) {
		return nil
	}
	patched := current.DeepCopy()
	patched.Annotations, patched.Spec = desired.Annotations, desired.Spec
	if err := r.c.Patch(ctx, patched, client.MergeFromWithOptions(current, client.MergeFromWithOptimisticLock{}), client.FieldOwner(fieldManager)); err != nil {
		return fmt.Errorf("patch canary ingress %s/%s: %w", current.Namespace, current.Name, err)
	}
	r.written[patched.Name] = patched
	return nil
}
