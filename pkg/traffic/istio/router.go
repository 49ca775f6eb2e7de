// Package istio splits traffic with the weights of a user's VirtualService routes, either
// between two Services (host-level) or between two subsets of a DestinationRule (subset-level).
// The user's objects are only ever changed by JSON patches that touch the weights, the subsets'
// pod-template-hash labels and the managed routes, each guarded by test operations, so a
// concurrent edit makes the patch fail instead of being overwritten.
package istio

import (
	"context"
	"slices"

	istionetworking "istio.io/api/networking/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/traffic"
)

// Type is the router's name in traffic.Router.Type.
const Type = "istio"

// Config is what the router needs of a Rollout.
type Config struct {
	Namespace string
	// StableService and CanaryService are the host-level split's destinations; a destination's
	// host matches in any of the forms "name", "name.ns", "name.ns.svc" and
	// "name.ns.svc.cluster.local".
	StableService string
	CanaryService string
	// VirtualServices are the VirtualServices and the routes in them to split.
	VirtualServices []v1alpha1.IstioVirtualService
	// DestinationRule makes the split subset-level: destinations match by subset instead of host.
	DestinationRule *v1alpha1.IstioDestinationRule
	// ManagedRoutes are trafficRouting.managedRoutes, first = highest precedence.
	ManagedRoutes []string
}

// Router drives Istio VirtualServices (and a DestinationRule for subset-level splits).
type Router struct {
	c   client.Client
	cfg Config
	m   matcher
	// written holds the objects as this router last patched them (the server's reply): a cached
	// read may not show its own writes yet, and the next patch of the same reconcile (a managed
	// route after the weight) must be guarded by the new resourceVersion.
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
	return &Router{c: c, cfg: cfg, m: newMatcher(cfg), written: map[string]client.Object{}}
}

// Type returns "istio".
func (r *Router) Type() string { return Type }

// SetWeight points the DestinationRule's subsets at d's hashes (subset-level) and then sets the
// weights of every selected route and of the managed mirror routes. Everything is read and
// checked before anything is written.
func (r *Router) SetWeight(ctx context.Context, d traffic.Desired) error {
	vss, err := r.readAll(ctx)
	if err != nil {
		return err
	}
	if dr := r.cfg.DestinationRule; dr != nil {
		obj, err := r.getDestinationRule(ctx)
		if err != nil {
			return err
		}
		ops, err := subsetOps(obj, dr.StableSubsetName, d.StableHash, dr.CanarySubsetName, d.CanaryHash)
		if err != nil {
			return err
		}
		// The subsets first: a weight must never send traffic to a subset still selecting the
		// previous pods.
		if err := r.patch(ctx, obj, ops); err != nil {
			return err
		}
	}
	for _, vs := range vss {
		splits := append(slices.Clone(vs.splits), mirrorSplits(vs.obj, r.cfg.ManagedRoutes, r.m)...)
		if err := r.patch(ctx, vs.obj, weightOps(splits, d.CanaryWeight)); err != nil {
			return err
		}
	}
	return nil
}

// SetHeaderRoute has every VirtualService send requests matching all of route.Match to the
// canary through the managed route route.Name, or removes that route when Match is empty.
func (r *Router) SetHeaderRoute(ctx context.Context, route traffic.HeaderRoute) error {
	return r.setManagedRoute(ctx, route.Name, len(route.Match) == 0, func(vs readVS) (*istionetworking.HTTPRoute, error) {
		return headerRoute(route, canaryDestination(r.cfg, vs.firstHTTP.canary.d))
	})
}

// SetMirrorRoute has every VirtualService mirror route.Percentage of the requests matching any
// of route.Match to the canary through the managed route route.Name (the responses still come
// from the first selected route's split), or removes that route when Match is empty.
func (r *Router) SetMirrorRoute(ctx context.Context, route traffic.MirrorRoute) error {
	return r.setManagedRoute(ctx, route.Name, len(route.Match) == 0, func(vs readVS) (*istionetworking.HTTPRoute, error) {
		return mirrorRoute(route, vs.obj.Spec.GetHttp()[vs.firstHTTP.index].GetRoute(), canaryDestination(r.cfg, vs.firstHTTP.canary.d))
	})
}

// RemoveManagedRoutes removes every HTTP route named in Config.ManagedRoutes.
func (r *Router) RemoveManagedRoutes(ctx context.Context) error {
	for i := range r.cfg.VirtualServices {
		obj, err := r.getVirtualService(ctx, i)
		if err != nil {
			return err
		}
		if err := r.patch(ctx, obj, removeRoutesOps(obj, r.cfg.ManagedRoutes)); err != nil {
			return err
		}
	}
	return nil
}

// setManagedRoute sets (or, when remove, removes) a managed route in every VirtualService;
// build makes the route for one VirtualService.
func (r *Router) setManagedRoute(ctx context.Context, name string, remove bool, build func(readVS) (*istionetworking.HTTPRoute, error)) error {
	if !slices.Contains(r.cfg.ManagedRoutes, name) {
		return traffic.Invalid("spec.strategy.canary.trafficRouting.managedRoutes: route %q is not listed: add it (managed routes are the only ones ramp adds or removes)", name)
	}
	vss, err := r.readAll(ctx)
	if err != nil {
		return err
	}
	ops := make([][]op, len(vss))
	for i, vs := range vss {
		var want *istionetworking.HTTPRoute
		if !remove {
			if vs.firstHTTP == nil {
				return traffic.Invalid("%s: VirtualService %s/%s has no selected HTTP route to take the canary destination of route %q from: name an HTTP route in routes", r.m.vsField(vs.field), r.cfg.Namespace, vs.obj.Name, name)
			}
			if want, err = build(vs); err != nil {
				return err
			}
		}
		ops[i] = setRouteOps(vs.obj, r.cfg.ManagedRoutes, name, want)
	}
	for i, vs := range vss {
		if err := r.patch(ctx, vs.obj, ops[i]); err != nil {
			return err
		}
	}
	return nil
}

// canaryDestination is where header and mirror routes send requests: the canary Service
// (host-level) or the canary subset of the split host (subset-level), on the port of from, the
// canary destination of the first selected HTTP route.
func canaryDestination(cfg Config, from *istionetworking.Destination) *istionetworking.Destination {
	d := &istionetworking.Destination{Host: cfg.CanaryService}
	if cfg.DestinationRule != nil {
		d.Host, d.Subset = from.GetHost(), cfg.DestinationRule.CanarySubsetName
	}
	if p := from.GetPort(); p != nil {
		d.Port = &istionetworking.PortSelector{Number: p.GetNumber()}
	}
	return d
}
