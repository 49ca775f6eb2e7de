package v1alpha1

// RolloutTrafficRouting names the data plane that splits traffic between stable and canary.
// +kubebuilder:validation:XValidation:rule="[has(self.nginx), has(self.istio), has(self.gatewayAPI)].filter(x, x).size() == 1",message="trafficRouting sets exactly one of nginx, istio, gatewayAPI"
type RolloutTrafficRouting struct {
	// Nginx splits traffic with NGINX ingress canary annotations.
	// +optional
	Nginx *NginxTrafficRouting `json:"nginx,omitempty"`
	// Istio splits traffic with VirtualService route weights.
	// +optional
	Istio *IstioTrafficRouting `json:"istio,omitempty"`
	// GatewayAPI splits traffic with the backendRef weights of Gateway API HTTPRoutes and
	// GRPCRoutes.
	// +optional
	GatewayAPI *GatewayAPITrafficRouting `json:"gatewayAPI,omitempty"`
	// ManagedRoutes are the routes setHeaderRoute and setMirrorRoute steps may add, in order of
	// precedence.
	// +optional
	// +listType=map
	// +listMapKey=name
	ManagedRoutes []ManagedRoute `json:"managedRoutes,omitempty"`
	// MaxTrafficWeight is the total weight that setWeight steps are shares of, 100 when unset
	// (NGINX and Gateway API: Istio's weights are percentages).
	// +kubebuilder:validation:Minimum=1
	// +optional
	MaxTrafficWeight *int32 `json:"maxTrafficWeight,omitempty"`
}

// ManagedRoute is a route the controller may add and remove.
type ManagedRoute struct {
	Name string `json:"name"`
}

// NginxTrafficRouting configures the NGINX ingress router.
// +kubebuilder:validation:XValidation:rule="has(self.stableIngress) != has(self.stableIngresses)",message="nginx sets exactly one of stableIngress, stableIngresses"
type NginxTrafficRouting struct {
	// AnnotationPrefix is the prefix of the canary annotations, nginx.ingress.kubernetes.io when unset.
	// +optional
	AnnotationPrefix string `json:"annotationPrefix,omitempty"`
	// StableIngress is the user's Ingress that routes to stableService.
	// +optional
	StableIngress string `json:"stableIngress,omitempty"`
	// StableIngresses is StableIngress for several Ingresses.
	// +optional
	StableIngresses []string `json:"stableIngresses,omitempty"`
	// AdditionalIngressAnnotations are added to the canary Ingress with the prefix (canary-by-header...).
	// +optional
	AdditionalIngressAnnotations map[string]string `json:"additionalIngressAnnotations,omitempty"`
	// CanaryIngressAnnotations are added to the canary Ingress as they are.
	// +optional
	CanaryIngressAnnotations map[string]string `json:"canaryIngressAnnotations,omitempty"`
}

// IstioTrafficRouting configures the Istio router.
// +kubebuilder:validation:XValidation:rule="has(self.virtualService) != has(self.virtualServices)",message="istio sets exactly one of virtualService, virtualServices"
type IstioTrafficRouting struct {
	// VirtualService is the VirtualService whose routes are split.
	// +optional
	VirtualService *IstioVirtualService `json:"virtualService,omitempty"`
	// VirtualServices is VirtualService for several VirtualServices.
	// +optional
	VirtualServices []IstioVirtualService `json:"virtualServices,omitempty"`
	// DestinationRule splits by subsets of one host instead of by two Services.
	// +optional
	DestinationRule *IstioDestinationRule `json:"destinationRule,omitempty"`
}

// IstioVirtualService names a VirtualService and the routes in it to split.
type IstioVirtualService struct {
	Name string `json:"name"`
	// Routes are the names of HTTP routes; all routes when the VirtualService has one.
	// +optional
	Routes []string `json:"routes,omitempty"`
	// TLSRoutes are TLS routes, matched by port and SNI hosts.
	// +optional
	TLSRoutes []TLSRoute `json:"tlsRoutes,omitempty"`
	// TCPRoutes are TCP routes, matched by port.
	// +optional
	TCPRoutes []TCPRoute `json:"tcpRoutes,omitempty"`
}

// TLSRoute selects a TLS route of a VirtualService.
type TLSRoute struct {
	// +optional
	Port int64 `json:"port,omitempty"`
	// +optional
	SNIHosts []string `json:"sniHosts,omitempty"`
}

// TCPRoute selects a TCP route of a VirtualService.
type TCPRoute struct {
	// +optional
	Port int64 `json:"port,omitempty"`
}

// IstioDestinationRule names a DestinationRule and its canary and stable subsets.
type IstioDestinationRule struct {
	Name             string `json:"name"`
	CanarySubsetName string `json:"canarySubsetName"`
	StableSubsetName string `json:"stableSubsetName"`
}

// SetHeaderRoute routes requests matching headers to the canary through a managed route.
type SetHeaderRoute struct {
	// Name is one of trafficRouting.managedRoutes.
	Name string `json:"name"`
	// Match lists the headers to match; none removes the route.
	// +kubebuilder:validation:MaxItems=16
	// +optional
	Match []HeaderRoutingMatch `json:"match,omitempty"`
}

// HeaderRoutingMatch matches one header.
type HeaderRoutingMatch struct {
	HeaderName  string      `json:"headerName"`
	HeaderValue StringMatch `json:"headerValue"`
}

// StringMatch matches a string exactly, by prefix or by regular expression. Exactly one is set
// (a property count rather than a CEL rule: it costs nothing against the CRD's CEL budget).
// +kubebuilder:validation:MinProperties=1
// +kubebuilder:validation:MaxProperties=1
type StringMatch struct {
	// +optional
	Exact string `json:"exact,omitempty"`
	// +optional
	Prefix string `json:"prefix,omitempty"`
	// +optional
	Regex string `json:"regex,omitempty"`
}

// SetMirrorRoute mirrors a percentage of matching requests to the canary.
type SetMirrorRoute struct {
	// Name is one of trafficRouting.managedRoutes.
	Name string `json:"name"`
	// Match lists request matches; none removes the route.
	// +kubebuilder:validation:MaxItems=16
	// +optional
	Match []RouteMatch `json:"match,omitempty"`
	// Percentage of the matching requests mirrored, 100 when unset.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	Percentage *int32 `json:"percentage,omitempty"`
}

// RouteMatch matches requests by method, path and headers; all that are set must match.
type RouteMatch struct {
	// +optional
	Method *StringMatch `json:"method,omitempty"`
	// +optional
	Path *StringMatch `json:"path,omitempty"`
	// +kubebuilder:validation:MaxProperties=16
	// +optional
	Headers map[string]StringMatch `json:"headers,omitempty"`
}

// Router types, as traffic.Router.Type reports them.
const (
	RouterNginx      = "nginx"
	RouterIstio      = "istio"
	RouterGatewayAPI = "gatewayapi"
)

// RouterType names the data plane t routes with: nginx, istio or gatewayapi ("" for none).
func (t *RolloutTrafficRouting) RouterType() string {
	switch {
	case t == nil:
		return ""
	case t.Nginx != nil:
		return RouterNginx
	case t.Istio != nil:
		return RouterIstio
	case t.GatewayAPI != nil:
		return RouterGatewayAPI
	}
	return ""
}
