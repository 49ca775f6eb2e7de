package istio

import (
	"context"
	"fmt"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/pkg/traffic"
	"github.com/ramp-dev/ramp/pkg/traffic/jsonpatch"
)

const istioField = "spec.strategy.canary.trafficRouting.istio"

// readVS is a VirtualService as read, with the routes the Rollout selects in it.
type readVS struct {
	obj *networkingv1.VirtualService
	// field is the VirtualService's index in Config.VirtualServices.
	field  int
	splits []split
	// firstHTTP is the first selected HTTP route, nil when only TLS or TCP routes are.
	firstHTTP *split
}

// readAll reads every VirtualService and selects its routes; a missing object or route is an
// *traffic.InvalidError.
func (r *Router) readAll(ctx context.Context) ([]readVS, error) {
	if len(r.cfg.VirtualServices) == 0 {
		return nil, traffic.Invalid("%s.virtualService: no VirtualService is named: name the VirtualService whose routes to split", istioField)
	}
	out := make([]readVS, 0, len(r.cfg.VirtualServices))
	for i, sel := range r.cfg.VirtualServices {
		obj, err := r.getVirtualService(ctx, i)
		if err != nil {
			return nil, err
		}
		splits, err := r.m.selectRoutes(obj, sel, i, r.cfg.ManagedRoutes)
		if err != nil {
			return nil, err
		}
		vs := readVS{obj: obj, field: i, splits: splits}
		for j := range splits {
			if splits[j].kind == httpRoutes {
				vs.firstHTTP = &splits[j]
				break
			}
		}
		out = append(out, vs)
	}
	return out, nil
}

// getVirtualService reads the i-th VirtualService of the Config.
func (r *Router) getVirtualService(ctx context.Context, i int) (*networkingv1.VirtualService, error) {
	name := r.cfg.VirtualServices[i].Name
	if name == "" {
		return nil, traffic.Invalid("%s.name is empty: name the VirtualService", r.m.vsField(i))
	}
	if obj, ok := r.written["virtualservice/"+name]; ok {
		return obj.DeepCopyObject().(*networkingv1.VirtualService), nil
	}
	obj := &networkingv1.VirtualService{}
	err := r.c.Get(ctx, types.NamespacedName{Namespace: r.cfg.Namespace, Name: name}, obj)
	switch {
	case err == nil:
		return obj, nil
	case apierrors.IsNotFound(err):
		return nil, traffic.Invalid("%s: VirtualService %s/%s does not exist: create it, or name an existing one", r.m.vsField(i), r.cfg.Namespace, name)
	case meta.IsNoMatchError(err):
		return nil, notInstalled("VirtualService")
	}
	return nil, fmt.Errorf("get virtualservice %s/%s: %w", r.cfg.Namespace, name, err)
}

func (r *Router) getDestinationRule(ctx context.Context) (*networkingv1.DestinationRule, error) {
	name := r.cfg.DestinationRule.Name
	if name == "" {
		return nil, traffic.Invalid("%s.destinationRule.name is empty: name the DestinationRule", istioField)
	}
	if obj, ok := r.written["destinationrule/"+name]; ok {
		return obj.DeepCopyObject().(*networkingv1.DestinationRule), nil
	}
	obj := &networkingv1.DestinationRule{}
	err := r.c.Get(ctx, types.NamespacedName{Namespace: r.cfg.Namespace, Name: name}, obj)
	switch {
	case err == nil:
		return obj, nil
	case apierrors.IsNotFound(err):
		return nil, traffic.Invalid("%s.destinationRule.name: DestinationRule %s/%s does not exist: create it, or name an existing one", istioField, r.cfg.Namespace, name)
	case meta.IsNoMatchError(err):
		return nil, notInstalled("DestinationRule")
	}
	return nil, fmt.Errorf("get destinationrule %s/%s: %w", r.cfg.Namespace, name, err)
}

func notInstalled(kind string) error {
	return traffic.Invalid("%s: the cluster does not serve Istio's %s (networking.istio.io/v1): install Istio, or route with another trafficRouting", istioField, kind)
}

// patch applies ops to obj, guarded by a test of the resourceVersion obj was read at, so that
// a change made since (by the user, or missed by a stale cache) fails the patch with 422
// instead of the ops landing on other entries. No ops, no request.
func (r *Router) patch(ctx context.Context, obj client.Object, ops []op) error {
	if len(ops) == 0 {
		return nil
	}
	if err := jsonpatch.Guarded(ctx, r.c, kindOf(obj), obj, ops); err != nil {
		return err
	}
	r.written[kindOf(obj)+"/"+obj.GetName()] = obj.DeepCopyObject().(client.Object)
	return nil
}

func kindOf(obj client.Object) string {
	switch obj.(type) {
	case *networkingv1.VirtualService:
		return "virtualservice"
	case *networkingv1.DestinationRule:
		return "destinationrule"
	}
	return fmt.Sprintf("%T", obj)
}
