package nginx

import (
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/traffic"
)

func path(p, svc string) networkingv1.HTTPIngressPath {
	return networkingv1.HTTPIngressPath{Path: p, PathType: ptr.To(networkingv1.PathTypePrefix), Backend: networkingv1.IngressBackend{
		Service: &networkingv1.IngressServiceBackend{Name: svc, Port: networkingv1.ServiceBackendPort{Name: "http"}},
	}}
}

func stableIngress() *networkingv1.Ingress {
	return &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: "prod", Annotations: map[string]string{
			"kubernetes.io/ingress.class": "nginx", "nginx.ingress.kubernetes.io/rewrite-target": "/",
		}},
		Spec: networkingv1.IngressSpec{
			IngressClassName: ptr.To("nginx"),
			Rules: []networkingv1.IngressRule{
				{Host: "shop.example", IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
					Paths: []networkingv1.HTTPIngressPath{path("/", "web-stable"), path("/admin", "admin")},
				}}},
				{Host: "static.example", IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
					Paths: []networkingv1.HTTPIngressPath{path("/", "cdn")},
				}}},
			},
		},
	}
}

var cfg = Config{RolloutName: "web", StableService: "web-stable", CanaryService: "web-canary"}

func TestCanaryIngress(t *testing.T) {
	stable := stableIngress()
	ing, err := CanaryIngress(cfg, stable, 30, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ing.Name != "web-shop-canary" || ing.Namespace != "prod" || ptr.Deref(ing.Spec.IngressClassName, "") != "nginx" {
		t.Errorf("identity: %s/%s class %v", ing.Namespace, ing.Name, ing.Spec.IngressClassName)
	}
	want := map[string]string{
		"kubernetes.io/ingress.class":               "nginx",
		"nginx.ingress.kubernetes.io/canary":        "true",
		"nginx.ingress.kubernetes.io/canary-weight": "30",
	}
	if len(ing.Annotations) != len(want) {
		t.Errorf("annotations %v, want exactly %v (the stable Ingress's own are not copied)", ing.Annotations, want)
	}
	for k, v := range want {
		if ing.Annotations[k] != v {
			t.Errorf("annotation %s = %q, want %q", k, ing.Annotations[k], v)
		}
	}
	if len(ing.Spec.Rules) != 1 || len(ing.Spec.Rules[0].HTTP.Paths) != 1 {
		t.Fatalf("rules %+v: want only the path to the stable Service", ing.Spec.Rules)
	}
	if p := ing.Spec.Rules[0].HTTP.Paths[0]; p.Backend.Service.Name != "web-canary" || p.Path != "/" || p.Backend.Service.Port.Name != "http" {
		t.Errorf("path %+v, want / to web-canary:http", p)
	}
	if stable.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Name != "web-stable" {
		t.Error("the stable Ingress was modified")
	}
}

func TestCanaryIngressOptions(t *testing.T) {
	c := cfg
	c.AnnotationPrefix = "custom.nginx.io"
	c.MaxWeight = 1000
	c.AdditionalIngressAnnotations = map[string]string{"canary-by-cookie": "beta"}
	c.CanaryIngressAnnotations = map[string]string{"team": "web"}
	ing, err := CanaryIngress(c, stableIngress(), 250, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"custom.nginx.io/canary": "true", "custom.nginx.io/canary-weight": "250", "custom.nginx.io/canary-weight-total": "1000",
		"custom.nginx.io/canary-by-cookie": "beta", "team": "web",
	} {
		if ing.Annotations[k] != v {
			t.Errorf("annotation %s = %q, want %q", k, ing.Annotations[k], v)
		}
	}
}

func TestCanaryIngressHeaderRoutes(t *testing.T) {
	m := func(name string, v v1alpha1.StringMatch) v1alpha1.HeaderRoutingMatch {
		return v1alpha1.HeaderRoutingMatch{HeaderName: name, HeaderValue: v}
	}
	tests := []struct {
		name    string
		match   []v1alpha1.HeaderRoutingMatch
		key     string
		value   string
		wantErr string
	}{
		{"exact", []v1alpha1.HeaderRoutingMatch{m("x-beta", v1alpha1.StringMatch{Exact: "yes"})}, "canary-by-header-value", "yes", ""},
		{"prefix", []v1alpha1.HeaderRoutingMatch{m("x-user", v1alpha1.StringMatch{Prefix: "qa.team+"})}, "canary-by-header-pattern", `^qa\.team\+.*`, ""},
		{"regex", []v1alpha1.HeaderRoutingMatch{m("x-user", v1alpha1.StringMatch{Regex: "^(a|b)$"})}, "canary-by-header-pattern", "^(a|b)$", ""},
		{"bad regex", []v1alpha1.HeaderRoutingMatch{m("x-user", v1alpha1.StringMatch{Regex: "(("})}, "", "", "regex"},
		{"two headers", []v1alpha1.HeaderRoutingMatch{m("a", v1alpha1.StringMatch{Exact: "1"}), m("b", v1alpha1.StringMatch{Exact: "2"})}, "", "", "can match only one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ing, err := CanaryIngress(cfg, stableIngress(), 0, &traffic.HeaderRoute{Name: "beta", Match: tt.match})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := ing.Annotations[DefaultAnnotationPrefix+"/canary-by-header"]; got != tt.match[0].HeaderName {
				t.Errorf("canary-by-header = %q", got)
			}
			if got := ing.Annotations[DefaultAnnotationPrefix+"/"+tt.key]; got != tt.value {
				t.Errorf("%s = %q, want %q", tt.key, got, tt.value)
			}
		})
	}
}

func TestCanaryIngressNeedsABackendOnTheStableService(t *testing.T) {
	c := cfg
	c.StableService = "elsewhere"
	_, err := CanaryIngress(c, stableIngress(), 10, nil)
	if err == nil || !strings.Contains(err.Error(), "no backend on the stable Service elsewhere") {
		t.Fatalf("error %v, want one naming the missing backend", err)
	}
}
