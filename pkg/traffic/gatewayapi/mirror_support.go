package gatewayapi

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/ramp-dev/ramp/pkg/traffic"
)

// mirrorFeature is the Gateway API's name for RequestMirror in a GatewayClass's
// status.supportedFeatures. RequestMirror is an Extended feature: a Gateway that does not
// implement it may fail every request of a rule that carries it (Traefik answers 500) while
// still reporting the route Accepted.
const mirrorFeature = "HTTPRouteRequestMirror"

// checkMirrorSupport refuses, as a *traffic.InvalidError, mirror route name ("" for any) on an HTTPRoute whose
// parent Gateway's class lists the features it supports without RequestMirror. A class that
// lists none, or a Gateway or class that cannot be read, does not say: the rule is written, as
// before there was this check.
func (r *Router) checkMirrorSupport(ctx context.Context, rts []*readRoute, name string) error {
	for _, rt := range rts {
		hr, ok := rt.obj.(*gatewayv1.HTTPRoute)
		if !ok || !rt.ref.UsesHeaderRoutes() {
			continue
		}
		for _, p := range hr.Spec.ParentRefs {
			if (p.Group != nil && *p.Group != gatewayv1.GroupName) || (p.Kind != nil && *p.Kind != "Gateway") {
				continue
			}
			ns := hr.Namespace
			if p.Namespace != nil {
				ns = string(*p.Namespace)
			}
			gw := &gatewayv1.Gateway{}
			if err := r.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: string(p.Name)}, gw); err != nil {
				if ignorable(err) {
					continue
				}
				return fmt.Errorf("read Gateway %s/%s: %w", ns, p.Name, err)
			}
			class := &gatewayv1.GatewayClass{}
			if err := r.c.Get(ctx, client.ObjectKey{Name: string(gw.Spec.GatewayClassName)}, class); err != nil {
				if ignorable(err) {
					continue
				}
				return fmt.Errorf("read GatewayClass %s: %w", gw.Spec.GatewayClassName, err)
			}
			if supports(class, mirrorFeature) {
				continue
			}
			step := "setMirrorRoute"
			if name != "" {
				step += " " + name
			}
			return traffic.Invalid("spec.strategy.canary.steps: %s: %s's parent Gateway %s/%s (class %s) does not support RequestMirror: "+
				"its GatewayClass's status.supportedFeatures lacks %s, and a Gateway without it may fail the mirrored rule's requests; "+
				"remove the setMirrorRoute step, or route through a Gateway that mirrors",
				step, rt.id(), ns, gw.Name, class.Name, mirrorFeature)
		}
	}
	return nil
}

// supports: the class lists feature, or lists no features at all (it does not say).
func supports(class *gatewayv1.GatewayClass, feature gatewayv1.FeatureName) bool {
	if len(class.Status.SupportedFeatures) == 0 {
		return true
	}
	for _, f := range class.Status.SupportedFeatures {
		if f.Name == feature {
			return true
		}
	}
	return false
}

// ignorable: the object is not there, not readable, or its kind not served.
func ignorable(err error) bool {
	return apierrors.IsNotFound(err) || apierrors.IsForbidden(err) || meta.IsNoMatchError(err)
}
