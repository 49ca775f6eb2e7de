package gatewayapi

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// world is a fake API server holding routes, and a log of the patches the router sends.
type world struct {
	t   *testing.T
	c   client.Client
	log bytes.Buffer
}

func newWorld(t *testing.T, routes ...string) *world {
	t.Helper()
	s := runtime.NewScheme()
	if err := gatewayv1.Install(s); err != nil {
		t.Fatal(err)
	}
	w := &world{t: t}
	var objs []client.Object
	for _, doc := range routes {
		objs = append(objs, routeFromYAML(t, doc))
	}
	w.c = fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).WithStatusSubresource(objs...).
		WithInterceptorFuncs(interceptor.Funcs{Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			data, err := patch.Data(obj)
			if err != nil {
				return err
			}
			w.logPatch(obj, data)
			return c.Patch(ctx, obj, patch, opts...)
		}}).Build()
	return w
}

// routeFromYAML parses an HTTPRoute or GRPCRoute.
func routeFromYAML(t *testing.T, doc string) client.Object {
	t.Helper()
	var meta struct{ Kind string }
	if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
		t.Fatal(err)
	}
	var obj client.Object = &gatewayv1.HTTPRoute{}
	if meta.Kind == "GRPCRoute" {
		obj = &gatewayv1.GRPCRoute{}
	}
	if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
		t.Fatalf("decode route: %v", err)
	}
	return obj
}

// logPatch writes one line per operation, leaving out the resourceVersion guard (always first).
func (w *world) logPatch(obj client.Object, data []byte) {
	var ops []map[string]any
	if err := json.Unmarshal(data, &ops); err != nil {
		w.t.Fatalf("patch is not a JSON patch: %s", data)
	}
	fmt.Fprintf(&w.log, "patch %T %s:\n", obj, obj.GetName())
	for _, o := range ops[1:] {
		b, _ := json.Marshal(o)
		fmt.Fprintf(&w.log, "  %s\n", b)
	}
}

func (w *world) step(format string, args ...any) { fmt.Fprintf(&w.log, "# "+format+"\n", args...) }

// must fails the test on err.
func (w *world) must(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

// route reads a route back.
func (w *world) route(kind v1alpha1.GatewayAPIRouteKind, name string) client.Object {
	w.t.Helper()
	obj := kinds[kind].newObject()
	w.must(w.c.Get(context.Background(), client.ObjectKey{Namespace: "shop", Name: name}, obj))
	return obj
}

// golden compares the patch log and the routes' specs with testdata/<name>.golden.
func (w *world) golden(name string, routes ...client.Object) {
	w.t.Helper()
	var out bytes.Buffer
	out.Write(w.log.Bytes())
	for _, r := range routes {
		obj := w.route(kindOf(r), r.GetName())
		var spec any
		switch o := obj.(type) {
		case *gatewayv1.HTTPRoute:
			spec = o.Spec
		case *gatewayv1.GRPCRoute:
			spec = o.Spec
		}
		y, err := yaml.Marshal(spec)
		w.must(err)
		fmt.Fprintf(&out, "--- %s %s spec:\n%s", kindOf(r), r.GetName(), y)
	}
	path := filepath.Join("testdata", name+".golden")
	if *update {
		w.must(os.WriteFile(path, out.Bytes(), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	w.must(err)
	if got := out.String(); got != string(want) {
		w.t.Fatalf("%s differs (go test -run %s -update rewrites it):\n%s", path, w.t.Name(), diffLines(string(want), got))
	}
}

func kindOf(obj client.Object) v1alpha1.GatewayAPIRouteKind {
	if _, ok := obj.(*gatewayv1.GRPCRoute); ok {
		return v1alpha1.GRPCRouteKind
	}
	return v1alpha1.HTTPRouteKind
}

// diffLines shows the first lines that differ.
func diffLines(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var a, b string
		if i < len(wl) {
			a = wl[i]
		}
		if i < len(gl) {
			b = gl[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n want: %s\n  got: %s", i+1, a, b)
		}
	}
	return "(same lines)"
}

// router is a router for the Rollout the tests share: Services web-stable and web-canary in
// namespace shop.
func (w *world) router(managed []string, refs ...v1alpha1.GatewayAPIRouteRef) *Router {
	return New(w.c, Config{Namespace: "shop", StableService: "web-stable", CanaryService: "web-canary", Routes: refs, ManagedRoutes: managed, TotalWeight: 100})
}

func httpRef(name string, rules ...v1alpha1.GatewayAPIRuleSelector) v1alpha1.GatewayAPIRouteRef {
	return v1alpha1.GatewayAPIRouteRef{Kind: v1alpha1.HTTPRouteKind, Field: "spec.strategy.canary.trafficRouting.gatewayAPI.httpRoute", GatewayAPIRoute: v1alpha1.GatewayAPIRoute{Name: name, Rules: rules}}
}

func grpcRef(name string) v1alpha1.GatewayAPIRouteRef {
	return v1alpha1.GatewayAPIRouteRef{Kind: v1alpha1.GRPCRouteKind, Field: "spec.strategy.canary.trafficRouting.gatewayAPI.grpcRoute", GatewayAPIRoute: v1alpha1.GatewayAPIRoute{Name: name}}
}
