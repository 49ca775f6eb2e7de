package convert

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// argoGatewayAPIPlugin is the name Argo Rollouts' Gateway API traffic router plugin is
// configured under, in trafficRouting.plugins.
const argoGatewayAPIPlugin = "argoproj-labs/gatewayAPI"

// convertGatewayAPIPlugin moves the Gateway API plugin's configuration to ramp's own
// trafficRouting.gatewayAPI, keeping what the plugin did: httpRoutes and grpcRoutes entries
// take header routes only when they say useHeaderRoutes: true. What ramp does without (its
// ConfigMap of managed routes) or will not do (routes of another namespace, TCP and TLS
// routes, label selectors) is dropped with a warning.
func convertGatewayAPIPlugin(w warner, obj *yaml.Node) {
	tr := child(obj, "spec", "strategy", "canary", "trafficRouting")
	plugins := child(tr, "plugins")
	cfg := child(plugins, argoGatewayAPIPlugin)
	if cfg == nil || cfg.Kind != yaml.MappingNode {
		return
	}
	const field = "spec.strategy.canary.trafficRouting.plugins." + argoGatewayAPIPlugin
	namespace := scalarAt(obj, "metadata", "namespace")
	out := mapping()
	for i := 0; i+1 < len(cfg.Content); i += 2 {
		k, v := cfg.Content[i], cfg.Content[i+1]
		switch k.Value {
		case "httpRoute", "grpcRoute":
			setKey(out, k.Value, v)
		case "httpRoutes", "grpcRoutes":
			setKey(out, k.Value, routesWithHeaderDefault(v))
		case "namespace":
			if v.Value != "" && v.Value != namespace {
				w.warn(k.Line, field+".namespace", fmt.Sprintf("ramp routes with routes in the Rollout's own namespace only (a namespace's users must not steer another's routes through ramp): move the routes to the Rollout's namespace; %q dropped", v.Value))
			}
		case "configMap":
			w.warn(k.Line, field+".configMap", "ramp keeps no ConfigMap of managed routes (it finds its rules in the routes by name); dropped")
		case "tcpRoute", "tcpRoutes", "tlsRoute", "tlsRoutes":
			w.warn(k.Line, field+"."+k.Value, "ramp splits HTTPRoutes and GRPCRoutes; dropped")
		default:
			w.warn(k.Line, field+"."+k.Value, msgGeneric)
		}
	}
	deleteKey(plugins, argoGatewayAPIPlugin)
	if len(plugins.Content) == 0 {
		deleteKey(tr, "plugins")
	}
	if len(out.Content) == 0 {
		w.warn(cfg.Line, field, "names no HTTPRoute or GRPCRoute; dropped")
		return
	}
	blockStyle(out)
	setKey(tr, "gatewayAPI", out)
}

// routesWithHeaderDefault copies a list of routes, each with useHeaderRoutes set: the plugin's
// default is false, ramp's true.
func routesWithHeaderDefault(list *yaml.Node) *yaml.Node {
	out := deepCopy(list)
	if out.Kind != yaml.SequenceNode {
		return out
	}
	for _, r := range out.Content {
		if r.Kind == yaml.MappingNode && !hasKey(r, "useHeaderRoutes") {
			setKey(r, "useHeaderRoutes", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "false"})
		}
	}
	return out
}
