// Package gatewayapi splits traffic with the backendRef weights of the user's Gateway API
// HTTPRoutes and GRPCRoutes. The user's routes are only ever changed by guarded JSON patches
// (pkg/traffic/jsonpatch) that set the weights of the two backendRefs of each selected rule and
// add or remove the rules ramp manages for header and mirror routes: every other rule, match,
// filter and backendRef stays byte for byte. (Server-side apply cannot do this: a route's rules
// and backendRefs are atomic lists, so applying one weight would own them all.)
package gatewayapi

import (
	"context"
	"slices"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/traffic"
)

// Type is the router's name in traffic.Router.Type.
const Type = v1alpha1.RouterGatewayAPI

// Config is what the router needs of a Rollout.
type Config struct {
	// Namespace is the Rollout's: the routes and the Services are in it.
	Namespace                    string
	StableService, CanaryService string
	Routes                       []v1alpha1.GatewayAPIRouteRef
	// ManagedRoutes are trafficRouting.managedRoutes, first = highest precedence.
	ManagedRoutes []string
	// TotalWeight is what the stable and canary weights of a rule add up to (maxTrafficWeight).
	TotalWeight int32
	// Mirrors: a step adds a mirror route, which the routes' Gateways must be able to serve.
	Mirrors bool
}

// Router drives Gateway API routes.
type Router struct {
	c   client.Client
	cfg Config
	// written holds the routes as this router last patched them (the server's reply): a cached
	// read may not show its own writes yet, and the next patch of the same reconcile must be
	// guarded by the new resourceVersion.
	written map[string]client.Object
}

var (
	_ traffic.Router       = (*Router)(nil)
	_ traffic.HeaderRouter = (*Router)(nil)
	_ traffic.MirrorRouter = (*Router)(nil)
)

// New returns a router that reads and patches through c, which may read from a cache: a stale
// read makes the patch's resourceVersion test fail, and the caller retries. A Router is meant
// for one reconcile.
func New(c client.Client, cfg Config) *Router {
	return &Router{c: c, cfg: cfg, written: map[string]client.Object{}}
}

// Type returns "gatewayapi".
func (r *Router) Type() string { return Type }

// Verify reads the routes and reports what they route now, and what their Gateways have not
// accepted. Steps that mirror on a Gateway whose class says it cannot are a
// *traffic.InvalidError, before any step runs.
func (r *Router) Verify(ctx context.Context) (traffic.State, error) {
	rts, err := r.readAll(ctx)
	if err != nil {
		return traffic.State{}, err
	}
	if r.cfg.Mirrors {
		if err := r.checkMirrorSupport(ctx, rts, ""); err != nil {
			return traffic.State{}, err
		}
	}
	return state(rts, r.cfg), nil
}

// SetWeight sets the stable and canary weights of every selected rule, and of the managed
// mirror rules (which serve with the user's split). Every route is read and checked before any
// is written.
func (r *Router) SetWeight(ctx context.Context, d traffic.Desired) error {
	rts, err := r.readAll(ctx)
	if err != nil {
		return err
	}
	for _, rt := range rts {
		splits := append(slices.Clone(rt.splits), rt.mirrorSplits(r.cfg)...)
		if err := r.patch(ctx, rt, weightOps(splits, d.CanaryWeight, r.cfg.TotalWeight)); err != nil {
			return err
		}
	}
	return nil
}

// SetHeaderRoute adds, above the user's rules, one rule per selected rule that sends its
// requests carrying every header of route.Match to the canary; no Match removes them.
func (r *Router) SetHeaderRoute(ctx context.Context, route traffic.HeaderRoute) error {
	return r.setManaged(ctx, route.Name, len(route.Match) == 0, nil, func(rt *readRoute, s split, name string) (any, error) {
		return rt.kind.headerRule(rt, s, name, route.Match)
	})
}

// SetMirrorRoute adds, above the user's rules, one rule per selected rule that serves the
// requests matching route.Match with the user's split and mirrors route.Percentage of them to
// the canary; no Match removes them. A parent Gateway whose class says it does not mirror
// refuses it, before anything is written.
func (r *Router) SetMirrorRoute(ctx context.Context, route traffic.MirrorRoute) error {
	check := func(rts []*readRoute) error { return r.checkMirrorSupport(ctx, rts, route.Name) }
	return r.setManaged(ctx, route.Name, len(route.Match) == 0, check, func(rt *readRoute, s split, name string) (any, error) {
		return rt.kind.mirrorRule(rt, s, name, route)
	})
}

// RemoveManagedRoutes removes every rule ramp added for Config.ManagedRoutes, from every route,
// without needing the routes to still match the Rollout.
func (r *Router) RemoveManagedRoutes(ctx context.Context) error {
	for _, ref := range r.cfg.Routes {
		rt, err := r.get(ctx, ref)
		if err != nil {
			return err
		}
		if err := r.patch(ctx, rt, removeRulesOps(rt, r.cfg.ManagedRoutes, r.cfg.ManagedRoutes)); err != nil {
			return err
		}
	}
	return nil
}

// setManaged sets the managed rules of name in every route that uses header routes (or removes
// them when remove); build makes the rule for one selected rule. check, when set, may refuse
// the routes as read before any rule is set.
func (r *Router) setManaged(ctx context.Context, name string, remove bool, check func([]*readRoute) error, build func(*readRoute, split, string) (any, error)) error {
	if !slices.Contains(r.cfg.ManagedRoutes, name) {
		return traffic.Invalid("spec.strategy.canary.trafficRouting.managedRoutes: route %q is not listed: add it (managed routes are the only rules ramp adds or removes)", name)
	}
	rts, err := r.readAll(ctx)
	if err != nil {
		return err
	}
	if check != nil && !remove {
		if err := check(rts); err != nil {
			return err
		}
	}
	ops := make([][]op, len(rts))
	for i, rt := range rts {
		if !rt.ref.UsesHeaderRoutes() || remove {
			ops[i] = removeRulesOps(rt, r.cfg.ManagedRoutes, []string{name})
			continue
		}
		var want []any
		for k, s := range rt.splits {
			rule, err := build(rt, s, managedRuleName(name, k, len(rt.splits)))
			if err != nil {
				return err
			}
			want = append(want, rule)
		}
		if ops[i], err = setRulesOps(rt, r.cfg.ManagedRoutes, name, want); err != nil {
			return err
		}
	}
	for i, rt := range rts {
		if err := r.patch(ctx, rt, ops[i]); err != nil {
			return err
		}
	}
	return nil
}
