package gatewayapi

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/traffic"
	"github.com/ramp-dev/ramp/pkg/traffic/jsonpatch"
)

const gatewayAPIField = "spec.strategy.canary.trafficRouting.gatewayAPI"

// readRoute is a route as read, with the rules the Rollout selects in it.
type readRoute struct {
	ref  v1alpha1.GatewayAPIRouteRef
	kind routeKind
	obj  client.Object
	// rules are every rule of the route, in order.
	rules []rule
	// splits are the selected rules (never a managed one), in order.
	splits []split
}

// id names the route in messages: "HTTPRoute web/shop".
func (rt *readRoute) id() string {
	return fmt.Sprintf("%s %s/%s", rt.ref.Kind, rt.obj.GetNamespace(), rt.obj.GetName())
}

// readAll reads every route and selects its rules; a missing route, a rule that does not
// route to both Services, or a route that could not hold ramp's rules is a
// *traffic.InvalidError.
func (r *Router) readAll(ctx context.Context) ([]*readRoute, error) {
	if len(r.cfg.Routes) == 0 {
		return nil, traffic.Invalid("%s: no route is named: set httpRoute, httpRoutes, grpcRoute or grpcRoutes", gatewayAPIField)
	}
	out := make([]*readRoute, 0, len(r.cfg.Routes))
	for _, ref := range r.cfg.Routes {
		rt, err := r.get(ctx, ref)
		if err != nil {
			return nil, err
		}
		if rt.splits, err = selectRules(rt, r.cfg); err != nil {
			return nil, err
		}
		out = append(out, rt)
	}
	return out, nil
}

// get reads one route (this router's own last write of it, when there is one).
func (r *Router) get(ctx context.Context, ref v1alpha1.GatewayAPIRouteRef) (*readRoute, error) {
	kind, ok := kinds[ref.Kind]
	if !ok {
		return nil, fmt.Errorf("gatewayapi: unknown route kind %q", ref.Kind)
	}
	if ref.Name == "" {
		return nil, traffic.Invalid("%s.name is empty: name the %s", ref.Field, ref.Kind)
	}
	key := string(ref.Kind) + "/" + ref.Name
	obj, ok := r.written[key]
	if ok {
		obj = obj.DeepCopyObject().(client.Object)
	} else {
		obj = kind.newObject()
		err := r.c.Get(ctx, types.NamespacedName{Namespace: r.cfg.Namespace, Name: ref.Name}, obj)
		switch {
		case apierrors.IsNotFound(err):
			return nil, traffic.Invalid("%s: %s %s/%s does not exist: create it, or name an existing one", ref.Field, ref.Kind, r.cfg.Namespace, ref.Name)
		case meta.IsNoMatchError(err):
			return nil, traffic.Invalid("%s: the cluster does not serve the Gateway API's %s (gateway.networking.k8s.io/v1): install the Gateway API CRDs (standard channel), or route with another trafficRouting", ref.Field, ref.Kind)
		case err != nil:
			return nil, fmt.Errorf("get %s %s/%s: %w", ref.Kind, r.cfg.Namespace, ref.Name, err)
		}
	}
	return &readRoute{ref: ref, kind: kind, obj: obj, rules: kind.rules(obj)}, nil
}

// patch applies ops to the route, guarded by its resourceVersion. No ops, no request.
func (r *Router) patch(ctx context.Context, rt *readRoute, ops []op) error {
	if len(ops) == 0 {
		return nil
	}
	if err := jsonpatch.Guarded(ctx, r.c, string(rt.ref.Kind), rt.obj, ops); err != nil {
		return err
	}
	r.written[string(rt.ref.Kind)+"/"+rt.ref.Name] = rt.obj.DeepCopyObject().(client.Object)
	return nil
}
