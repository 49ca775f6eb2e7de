// Package nginx routes a share of traffic to the canary with ingress-nginx's canary
// annotations: a canary Ingress, owned by the Rollout, mirrors the user's stable Ingress with
// its backends turned to the canary Service. The user's Ingress is never edited.
package nginx

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"strconv"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/traffic"
)

// DefaultAnnotationPrefix is ingress-nginx's own annotation prefix.
const DefaultAnnotationPrefix = "nginx.ingress.kubernetes.io"

// ingressClassAnnotation is the class annotation older Ingresses use instead of ingressClassName.
const ingressClassAnnotation = "kubernetes.io/ingress.class"

// headerRouteAnnotation records the managed header route the canary Ingress carries, so that
// a weight change keeps it and Verify can name it.
const headerRouteAnnotation = "rollouts.ramp.dev/header-route"

// Config is what the router needs of a Rollout.
type Config struct {
	Namespace   string
	RolloutName string
	// Owner is the Rollout, the controller of every canary Ingress.
	Owner metav1.OwnerReference
	// StableIngresses are the user's Ingresses, each given a canary Ingress.
	StableIngresses []string
	StableService   string
	CanaryService   string
	// AnnotationPrefix, DefaultAnnotationPrefix when empty.
	AnnotationPrefix string
	// AdditionalIngressAnnotations are set with the prefix (canary-by-header, ...).
	AdditionalIngressAnnotations map[string]string
	// CanaryIngressAnnotations are set as they are.
	CanaryIngressAnnotations map[string]string
	// MaxWeight is the total weight; 100 when 0.
	MaxWeight int32
}

// CanaryIngressName is the canary Ingress of one stable Ingress: <rollout>-<stable>-canary.
func CanaryIngressName(rollout, stableIngress string) string {
	return v1alpha1.CanaryIngressName(rollout, stableIngress)
}

// CanaryIngress is the canary Ingress for a stable Ingress at a weight, with a header route
// when route is not nil, owned by cfg.Owner.
func CanaryIngress(cfg Config, stable *networkingv1.Ingress, weight int32, route *traffic.HeaderRoute) (*networkingv1.Ingress, error) {
	prefix := cfg.AnnotationPrefix
	if prefix == "" {
		prefix = DefaultAnnotationPrefix
	}
	rules, err := canaryRules(stable, cfg.StableService, cfg.CanaryService)
	if err != nil {
		return nil, err
	}
	annotations := map[string]string{}
	if class, ok := stable.Annotations[ingressClassAnnotation]; ok {
		annotations[ingressClassAnnotation] = class
	}
	for k, v := range cfg.AdditionalIngressAnnotations {
		annotations[prefix+"/"+k] = v
	}
	maps.Copy(annotations, cfg.CanaryIngressAnnotations)
	annotations[prefix+"/canary"] = "true"
	annotations[prefix+"/canary-weight"] = strconv.Itoa(int(weight))
	if cfg.MaxWeight != 0 && cfg.MaxWeight != v1alpha1.DefaultTotalWeight {
		annotations[prefix+"/canary-weight-total"] = strconv.Itoa(int(cfg.MaxWeight))
	}
	if route != nil && len(route.Match) > 0 {
		if err := headerAnnotations(annotations, prefix, route.Match); err != nil {
			return nil, err
		}
		record, _ := json.Marshal(route) // plain data: cannot fail
		annotations[headerRouteAnnotation] = string(record)
	}
	return &networkingv1.Ingress{
		TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"},
		ObjectMeta: metav1.ObjectMeta{
			Name:            CanaryIngressName(cfg.RolloutName, stable.Name),
			Namespace:       stable.Namespace,
			Annotations:     annotations,
			OwnerReferences: []metav1.OwnerReference{cfg.Owner},
		},
		Spec: networkingv1.IngressSpec{IngressClassName: stable.Spec.IngressClassName, Rules: rules},
	}, nil
}

// canaryRules copies the stable Ingress's rules, turning every backend on the stable Service to
// the canary Service and dropping paths that lead elsewhere (they are not the rollout's).
func canaryRules(stable *networkingv1.Ingress, stableSvc, canarySvc string) ([]networkingv1.IngressRule, error) {
	var rules []networkingv1.IngressRule
	for _, rule := range stable.Spec.Rules {
		if rule.HTTP == nil {
			continue
		}
		out := networkingv1.IngressRule{Host: rule.Host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{}}}
		for _, path := range rule.HTTP.Paths {
			if path.Backend.Service == nil || path.Backend.Service.Name != stableSvc {
				continue
			}
			p := *path.DeepCopy()
			p.Backend.Service.Name = canarySvc
			out.HTTP.Paths = append(out.HTTP.Paths, p)
		}
		if len(out.HTTP.Paths) > 0 {
			rules = append(rules, out)
		}
	}
	if len(rules) == 0 {
		return nil, fmt.Errorf("ingress %s/%s has no backend on the stable Service %s: point one of its paths at it", stable.Namespace, stable.Name, stableSvc)
	}
	return rules, nil
}

// headerAnnotations expresses a header route with canary-by-header: one header, matched
// exactly (canary-by-header-value) or by a regular expression (canary-by-header-pattern).
func headerAnnotations(annotations map[string]string, prefix string, match []v1alpha1.HeaderRoutingMatch) error {
	switch {
	case len(match) == 0:
		return nil
	case len(match) > 1:
		return fmt.Errorf("setHeaderRoute matches %d headers, but NGINX canary routing can match only one: keep a single match", len(match))
	}
	m := match[0]
	annotations[prefix+"/canary-by-header"] = m.HeaderName
	switch v := m.HeaderValue; {
	case v.Exact != "":
		annotations[prefix+"/canary-by-header-value"] = v.Exact
	case v.Prefix != "":
		annotations[prefix+"/canary-by-header-pattern"] = "^" + regexp.QuoteMeta(v.Prefix) + ".*"
	case v.Regex != "":
		if _, err := regexp.Compile(v.Regex); err != nil {
			return fmt.Errorf("setHeaderRoute header %s: regex %q: %v", m.HeaderName, v.Regex, err)
		}
		annotations[prefix+"/canary-by-header-pattern"] = v.Regex
	default:
		return fmt.Errorf("setHeaderRoute header %s: give headerValue one of exact, prefix, regex", m.HeaderName)
	}
	return nil
}
