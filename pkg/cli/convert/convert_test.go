package convert

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
	sigsjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/testenv/golden"
)

// goldenCases are the inputs testdata/NAME.in.yaml; each converts to NAME.out.yaml with the
// warnings of NAME.warnings.txt, one a line.
func goldenCases(t *testing.T) []string {
	t.Helper()
	inputs, err := filepath.Glob(filepath.Join("testdata", "*.in.yaml"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no test inputs: %v", err)
	}
	names := make([]string, len(inputs))
	for i, in := range inputs {
		names[i] = strings.TrimSuffix(filepath.Base(in), ".in.yaml")
	}
	return names
}

// convertCase converts testdata/NAME.in.yaml.
func convertCase(t *testing.T, name string) (in, out []byte, warnings []Warning) {
	t.Helper()
	in, err := os.ReadFile(filepath.Join("testdata", name+".in.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out, warnings, err = Convert(in)
	if err != nil {
		t.Fatalf("Convert: %v", err)
	}
	return in, out, warnings
}

func TestConvertMatchesGoldenFiles(t *testing.T) {
	for _, name := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			_, out, warnings := convertCase(t, name)
			var lines bytes.Buffer
			for _, w := range warnings {
				lines.WriteString(w.String() + "\n")
			}
			compareGolden(t, name+".out.yaml", out)
			compareGolden(t, name+".warnings.txt", lines.Bytes())
		})
	}
}

func compareGolden(t *testing.T, file string, got []byte) {
	t.Helper()
	golden.Assert(t, file, got)
}

func TestFieldCompatibleRolloutOnlyChangesAPIVersion(t *testing.T) {
	in, out, warnings := convertCase(t, "argo-canary-nginx")
	want := strings.Replace(string(in), "apiVersion: argoproj.io/v1alpha1", "apiVersion: rollouts.ramp.dev/v1alpha1", 1)
	if string(out) != want {
		t.Errorf("got\n%s\nwant the input with ramp's apiVersion:\n%s", out, want)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings for a field-compatible Rollout: %v", warnings)
	}
}

// rampTypes are the types ramp's objects of the output must decode into without unknown fields.
var rampTypes = map[string]func() any{
	"Rollout":                 func() any { return &v1alpha1.Rollout{} },
	"AnalysisTemplate":        func() any { return &v1alpha1.AnalysisTemplate{} },
	"ClusterAnalysisTemplate": func() any { return &v1alpha1.ClusterAnalysisTemplate{} },
	"AnalysisRun":             func() any { return &v1alpha1.AnalysisRun{} },
}

func TestConvertedObjectsDecodeStrictlyIntoRampTypes(t *testing.T) {
	decoded := map[string]bool{}
	for _, name := range goldenCases(t) {
		_, out, _ := convertCase(t, name)
		for i, obj := range outputObjects(t, out) {
			if obj["apiVersion"] != rampAPIVersion {
				continue
			}
			newTyped := rampTypes[obj["kind"].(string)]
			if newTyped == nil {
				t.Errorf("%s object %d: ramp has no kind %v", name, i+1, obj["kind"])
				continue
			}
			data, err := sigsyaml.Marshal(obj)
			if err != nil {
				t.Fatal(err)
			}
			j, err := sigsyaml.YAMLToJSON(data)
			if err != nil {
				t.Fatal(err)
			}
			strict, err := sigsjson.UnmarshalStrict(j, newTyped())
			if err != nil || len(strict) > 0 {
				t.Errorf("%s object %d (%v): %v %v", name, i+1, obj["kind"], err, strict)
			}
			decoded[obj["kind"].(string)] = true
		}
	}
	for kind := range rampTypes {
		if !decoded[kind] {
			t.Errorf("no %s in the outputs", kind)
		}
	}
}

// outputObjects are the objects of a converted output, the items of Lists included.
func outputObjects(t *testing.T, out []byte) []map[string]any {
	t.Helper()
	var objs []map[string]any
	for _, doc := range strings.Split(string(out), "\n---\n") {
		var obj map[string]any
		if err := sigsyaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatalf("output does not parse: %v\n%s", err, doc)
		}
		if items, ok := obj["items"].([]any); ok && obj["kind"] == "List" {
			for _, item := range items {
				objs = append(objs, item.(map[string]any))
			}
			continue
		}
		objs = append(objs, obj)
	}
	return objs
}

// TestOutputAddsOnlyWhatConversionMeans checks that the output reads as a person wrote it: every
// line is a line of the input, or one the conversion means to write (ramp's apiVersion, the
// default canary of a Deployment), and none is the noise of encoding a Go struct (status: {},
// creationTimestamp: null).
func TestOutputAddsOnlyWhatConversionMeans(t *testing.T) {
	meant := map[string]bool{
		"---": true, "apiVersion: rollouts.ramp.dev/v1alpha1": true, "kind: Rollout": true,
		"strategy:": true, "canary:": true, "steps:": true, "- setWeight: 20": true, "- pause: {}": true,
		"- setWeight: 50": true, "- pause: {duration: 30s}": true,
		"gatewayAPI:": true, "useHeaderRoutes: false": true, // the Gateway API plugin's config, moved
	}
	for _, name := range goldenCases(t) {
		if strings.HasSuffix(name, "-json") || strings.HasSuffix(name, "-anchors") {
			continue // rewritten whole: JSON comes out as YAML, anchors are spelled out
		}
		in, out, _ := convertCase(t, name)
		inputLines := map[string]bool{}
		for _, l := range strings.Split(string(in), "\n") {
			inputLines[strings.TrimSpace(l)] = true
		}
		for _, l := range strings.Split(string(out), "\n") {
			l = strings.TrimSpace(l)
			if !inputLines[l] && !meant[l] && !strings.HasPrefix(l, "# ramp's default canary") &&
				!strings.HasPrefix(l, "# 50% for 30s") {
				t.Errorf("%s: output line %q is not in the input", name, l)
			}
		}
	}
}

func TestServerFieldsAreStripped(t *testing.T) {
	for _, name := range []string{"argo-bluegreen-exported", "deployment-rollingupdate", "list-json"} {
		_, out, _ := convertCase(t, name)
		for _, noise := range []string{
			"\nstatus:", "creationTimestamp", "resourceVersion", "uid:", "generation:", "last-applied-configuration",
			"rollout.argoproj.io/revision", "deployment.kubernetes.io/revision", "null", "HPAReplicas",
		} {
			if strings.Contains(string(out), noise) {
				t.Errorf("%s: output has %q:\n%s", name, noise, out)
			}
		}
	}
}

func TestUnsupportedFieldsAreDroppedWithAWarningEach(t *testing.T) {
	_, out, warnings := convertCase(t, "argo-canary-unsupported")
	for _, field := range []string{
		"spec.strategy.canary.scaleDownDelayRevisionLimit",
		"spec.strategy.canary.analysis.analysisRunMetadata", "spec.strategy.canary.antiAffinity", "spec.strategy.canary.trafficRouting.alb",
		"spec.strategy.canary.trafficRouting", "spec.strategy.canary.steps[0].setHeaderRoute",
		"spec.strategy.canary.steps[2].experiment", "spec.strategy.canary.steps[3].analysis.analysisRunMetadata",
	} {
		if !hasWarning(warnings, field) {
			t.Errorf("no warning for %s in %v", field, warnings)
		}
	}
	for _, gone := range []string{"antiAffinity", "alb", "managedRoutes", "setHeaderRoute", "experiment", "analysisRunMetadata"} {
		if strings.Contains(string(out), gone) {
			t.Errorf("output still has %s:\n%s", gone, out)
		}
	}
	var r v1alpha1.Rollout
	if err := sigsyaml.UnmarshalStrict(out, &r); err != nil {
		t.Fatal(err)
	}
	if got := len(r.Spec.Strategy.Canary.Steps); got != 4 {
		t.Errorf("%d steps left, want setWeight 20, analysis, setWeight 60, pause", got)
	}
}

func TestUnsupportedProviderDropsItsMetric(t *testing.T) {
	_, out, warnings := convertCase(t, "analysistemplate-datadog")
	var at v1alpha1.AnalysisTemplate
	if err := sigsyaml.UnmarshalStrict(out, &at); err != nil {
		t.Fatal(err)
	}
	if len(at.Spec.Metrics) != 1 || at.Spec.Metrics[0].Name != "smoke" {
		t.Errorf("metrics %+v, want only smoke", at.Spec.Metrics)
	}
	if !hasWarning(warnings, "spec.metrics[0].provider.datadog") || !hasWarning(warnings, "spec.metrics[1].provider.web.jsonBody") {
		t.Errorf("warnings %v", warnings)
	}
}

func TestDeploymentBecomesRolloutWithDefaultCanary(t *testing.T) {
	_, out, warnings := convertCase(t, "deployment-rollingupdate")
	var r v1alpha1.Rollout
	if err := sigsyaml.UnmarshalStrict(out, &r); err != nil {
		t.Fatal(err)
	}
	if r.Kind != "Rollout" || r.APIVersion != rampAPIVersion || r.Name != "checkout" || r.Namespace != "shop" {
		t.Errorf("type and name %v %v", r.TypeMeta, r.ObjectMeta)
	}
	if len(r.Annotations) != 1 || r.Annotations["owner"] != "payments-team" || r.Labels["app"] != "checkout" {
		t.Errorf("labels %v annotations %v", r.Labels, r.Annotations)
	}
	if *r.Spec.Replicas != 6 || *r.Spec.RevisionHistoryLimit != 5 || *r.Spec.ProgressDeadlineSeconds != 300 ||
		r.Spec.MinReadySeconds != 10 || r.Spec.Selector.MatchLabels["app"] != "checkout" ||
		r.Spec.Template.Spec.Containers[0].Image != "registry.example.com/checkout:1.4.2" {
		t.Errorf("spec not carried over: %+v", r.Spec)
	}
	c := r.Spec.Strategy.Canary
	if c == nil || *c.MaxSurge != intstr.FromInt32(1) || *c.MaxUnavailable != intstr.FromInt32(0) {
		t.Fatalf("canary %+v, want maxSurge 1 and maxUnavailable 0 from rollingUpdate", c)
	}
	if len(c.Steps) != 4 || *c.Steps[0].SetWeight != 20 || c.Steps[1].Pause == nil || c.Steps[1].Pause.Duration != nil ||
		*c.Steps[2].SetWeight != 50 || c.Steps[3].Pause.Duration.String() != "30s" {
		t.Errorf("steps %+v", c.Steps)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0].Message, "scale the Deployment to 0") {
		t.Errorf("warnings %v, want the one about scaling the Deployment down", warnings)
	}
}

func TestRecreateDeploymentWarns(t *testing.T) {
	_, out, warnings := convertCase(t, "deployment-recreate")
	if !hasWarning(warnings, "spec.strategy.type") {
		t.Errorf("no warning for Recreate: %v", warnings)
	}
	if strings.Contains(string(out), "Recreate") || !strings.Contains(string(out), "canary:") {
		t.Errorf("strategy not replaced by the canary:\n%s", out)
	}
}

// ramp releases a Deployment through workloadRef as Argo does: the field is kept, and the
// Deployment of the input is left as it is, not made a second Rollout of the same pods.
func TestWorkloadRefIsKeptAndItsDeploymentLeftAlone(t *testing.T) {
	_, out, warnings := convertCase(t, "workloadref-with-deployment")
	objs := outputObjects(t, out)
	if len(objs) != 2 || objs[1]["apiVersion"] != "apps/v1" {
		t.Fatalf("want the Rollout and the Deployment left as it is, got %v", objs)
	}
	var r v1alpha1.Rollout
	if err := sigsyaml.UnmarshalStrict([]byte(strings.Split(string(out), "\n---\n")[0]), &r); err != nil {
		t.Fatal(err)
	}
	if r.Spec.WorkloadRef == nil || r.Spec.WorkloadRef.Name != "api" || len(r.Spec.Template.Spec.Containers) != 0 {
		t.Errorf("workloadRef not kept as it is: %+v", r.Spec)
	}
	if len(warnings) != 1 || warnings[0].Kind != "Deployment" || !strings.Contains(warnings[0].Message, "scaleDown: onsuccess or progressively") {
		t.Errorf("warnings %v, want one: the Deployment's pods keep running (scaleDown never)", warnings)
	}
}

// Argo's workloadRef may name a ReplicaSet or a PodTemplate; ramp's names Deployments only.
func TestWorkloadRefToAnotherKindIsDroppedWithAWarning(t *testing.T) {
	in := "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: api}\nspec:\n  selector: {matchLabels: {app: api}}\n" +
		"  template: {metadata: {labels: {app: api}}, spec: {containers: [{name: api, image: api:1}]}}\n" +
		"  workloadRef: {apiVersion: v1, kind: PodTemplate, name: api}\n  strategy: {canary: {}}\n"
	out, warnings, err := Convert([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "workloadRef") || !hasWarning(warnings, "spec.workloadRef") {
		t.Errorf("workloadRef to a PodTemplate kept, or no warning %v:\n%s", warnings, out)
	}
}

func TestOtherKindsPassThroughUnchanged(t *testing.T) {
	in, out, warnings := convertCase(t, "multi-document")
	inDocs, outDocs := strings.Split(string(in), "---\n"), strings.Split(string(out), "---\n")
	// The input starts with ---: its first part is empty.
	for _, i := range []int{1, 3, 4, 5, 6} { // Service, Application, Experiment, ConfigMap, HorizontalPodAutoscaler
		if inDocs[i] != outDocs[i-1] {
			t.Errorf("document %d changed:\n%s\nwant\n%s", i, outDocs[i-1], inDocs[i])
		}
	}
	if len(warnings) != 2 || warnings[0].Kind != "Experiment" || warnings[0].Document != 4 ||
		warnings[1].Field != "spec.scaleTargetRef" || warnings[1].Document != 6 {
		t.Errorf("warnings %v, want one for the Experiment in document 4, one for the autoscaler in 6", warnings)
	}
}

func TestUnparsableDocumentIsAnErrorNamingIt(t *testing.T) {
	for name, in := range map[string]string{
		"bad YAML":       "apiVersion: v1\nkind: Service\n---\napiVersion: v1\nkind: [Service\n",
		"not a mapping":  "apiVersion: v1\nkind: Service\n---\n- a\n- b\n",
		"wrong type":     "apiVersion: v1\nkind: Service\n---\napiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: web}\nspec: {replicas: many}\n",
		"after an empty": "apiVersion: v1\nkind: Service\n---\n---\napiVersion: v1\nkind: [Service\n",
	} {
		_, _, err := Convert([]byte(in))
		if err == nil || !strings.HasPrefix(err.Error(), "document 2") {
			t.Errorf("%s: error %v, want one naming document 2", name, err)
		}
	}
}

func TestEmptyInputConvertsToNothing(t *testing.T) {
	out, warnings, err := Convert([]byte("---\n# nothing\n"))
	if err != nil || len(out) != 0 || len(warnings) != 0 {
		t.Errorf("got %q %v %v", out, warnings, err)
	}
}

func TestWarningString(t *testing.T) {
	w := Warning{Document: 2, Kind: "Rollout", Name: "checkout", Field: "spec.strategy.canary.trafficRouting.alb", Message: msgRouter}
	want := "document 2 Rollout/checkout: spec.strategy.canary.trafficRouting.alb: ramp routes traffic with nginx, istio or gatewayAPI; the field was dropped"
	if w.String() != want {
		t.Errorf("got  %s\nwant %s", w, want)
	}
	w = Warning{Document: 1, Kind: "Deployment", Name: "web", Message: "scale it down"}
	if want := "document 1 Deployment/web: scale it down"; w.String() != want {
		t.Errorf("got  %s\nwant %s", w, want)
	}
}

func hasWarning(warnings []Warning, field string) bool {
	for _, w := range warnings {
		if w.Field == field {
			return true
		}
	}
	return false
}
