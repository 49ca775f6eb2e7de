package lint

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// linter is built once: New compiles every CEL rule of the CRDs.
var linter = func() *Linter {
	l, err := New()
	if err != nil {
		panic(err)
	}
	return l
}()

// The examples are what users copy: each must pass the API server and the controller.
func TestExamplesLintClean(t *testing.T) {
	files, err := filepath.Glob("../../../examples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples found (%v)", err)
	}
	for _, f := range files {
		content, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		problems, err := linter.File(filepath.Base(f), content)
		if err != nil {
			t.Errorf("%s: %v", f, err)
		}
		for _, p := range problems {
			t.Errorf("%s", p)
		}
	}
}

// rollout is a valid canary Rollout with strategy in place of %s.
const rollout = `apiVersion: rollouts.ramp.dev/v1alpha1
kind: Rollout
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: %s}
    spec:
      containers:
      - name: web
        image: nginx:1.27
  strategy:
%s`

func canary(strategy string) string { return fmt.Sprintf(rollout, "web", strategy) }

// template is a valid AnalysisTemplate with one metric, its body in place of %s.
const template = `apiVersion: rollouts.ramp.dev/v1alpha1
kind: AnalysisTemplate
metadata:
  name: error-rate
spec:
  args:
  - name: service
  - name: prometheus
    value: http://prometheus:9090
  metrics:
  - name: error-rate
%s`

const promProvider = `    provider:
      prometheus:
        address: "{{args.prometheus}}"
        query: rate(errors{service="{{args.service}}"}[1m])
`

func TestBadDocuments(t *testing.T) {
	for _, tc := range []struct {
		name, doc       string
		kind, field     string
		message         string
		alsoWantProblem bool // more problems than the one asserted are expected
	}{
		{name: "valid rollout", doc: canary("    canary:\n      steps:\n      - setWeight: 20\n      - pause: {}\n")},
		{name: "valid template", doc: fmt.Sprintf(template, "    successCondition: result[0] < 0.05\n"+promProvider)},
		{name: "scalar query compared as a number", doc: fmt.Sprintf(template, "    successCondition: result < 0.05\n"+strings.Replace(promProvider, "query: rate(", "query: scalar(rate(", 1))},

		// The API server: schema, CEL rules, unknown fields.
		{name: "schema: setWeight not a number", doc: canary("    canary:\n      steps:\n      - setWeight: \"abc\"\n"),
			kind: "Rollout", field: "spec.strategy.canary.steps[0].setWeight", message: "must be of type integer", alsoWantProblem: true},
		{name: "CEL: step with setWeight and pause", doc: canary("    canary:\n      steps:\n      - setWeight: 20\n        pause: {}\n"),
			kind: "Rollout", field: "spec.strategy.canary.steps[0]", message: "a step sets exactly one of setWeight, pause"},
		{name: "CEL: canary and blueGreen", doc: canary("    canary: {}\n    blueGreen:\n      activeService: web\n"),
			kind: "Rollout", field: "spec.strategy", message: "spec.strategy sets exactly one of canary, blueGreen"},
		{name: "CEL: setWeight over 100", doc: canary("    canary:\n      steps:\n      - setWeight: 120\n"),
			kind: "Rollout", field: "spec.strategy.canary.steps", message: "a setWeight is at most 100"},
		{name: "CEL: maxSurge and maxUnavailable both 0", doc: canary("    canary:\n      maxSurge: 0\n      maxUnavailable: 0%\n"),
			kind: "Rollout", field: "spec.strategy.canary.maxUnavailable", message: "maxSurge and maxUnavailable are both 0"},
		{name: "unknown field", doc: canary("    canary:\n      stepz:\n      - setWeight: 20\n"),
			kind: "Rollout", field: "spec.strategy.canary.stepz", message: `unknown field "stepz": did you mean "steps"?`},
		{name: "unknown field in a list item, nothing alike", doc: canary("    canary:\n      steps:\n      - setWeight: 20\n        colour: blue\n"),
			kind: "Rollout", field: "spec.strategy.canary.steps[0].colour", message: "(kubectl explain rollouts.spec.strategy.canary.steps lists them)"},
		{name: "unknown metadata field", doc: strings.Replace(canary("    canary: {}\n"), "  name: web\n", "  name: web\n  labelz: {a: b}\n", 1),
			kind: "Rollout", field: "metadata.labelz", message: `unknown field "labelz": did you mean "labels"?`},
		{name: "metadata: bad name", doc: strings.Replace(canary("    canary: {}\n"), "name: web\nspec", "name: Web_1\nspec", 1),
			kind: "Rollout", field: "metadata.name", message: "a lowercase RFC 1123 subdomain"},

		// The controller: plan.Validate.
		{name: "plan: selector does not match the template", doc: fmt.Sprintf(rollout, "api", "    canary: {}\n"),
			kind: "Rollout", field: "spec.selector", message: "does not match spec.template.metadata.labels"},
		{name: "plan: nginx cannot mirror", doc: canary(`    canary:
      stableService: web-stable
      canaryService: web-canary
      trafficRouting:
        nginx:
          stableIngress: web
        managedRoutes:
        - name: mirror
      steps:
      - setWeight: 10
      - setMirrorRoute:
          name: mirror
          percentage: 10
          match:
          - method: {exact: GET}
`), kind: "Rollout", field: "spec.strategy.canary.steps[1].setMirrorRoute", message: "NGINX ingress cannot mirror"},

		// The controller: analysis.ValidateTemplate, and the CRD for templates.
		{name: "bad successCondition", doc: fmt.Sprintf(template, "    successCondition: result <\n"+promProvider),
			kind: "AnalysisTemplate", field: "spec.metrics[0].successCondition", message: `condition "result <"`},
		{name: "undeclared arg", doc: fmt.Sprintf(template, "    successCondition: result < {{args.foo}}\n"+promProvider),
			kind: "AnalysisTemplate", field: "spec.metrics[0]", message: "{{args.foo}} is not an argument of the run (it has: prometheus, service)"},
		{name: "two providers", doc: fmt.Sprintf(template, promProvider+"      web:\n        url: http://example.com\n"),
			kind: "AnalysisTemplate", field: "spec.metrics[0].provider", message: "provider sets exactly one of prometheus, web, job"},
		{name: "no provider", doc: fmt.Sprintf(template, "    provider: {}\n"),
			kind: "AnalysisTemplate", field: "spec.metrics[0].provider", message: "provider sets exactly one of prometheus, web, job"},
		{name: "interval not a duration (schema)", doc: fmt.Sprintf(template, "    interval: 5 minutes\n"+promProvider),
			kind: "AnalysisTemplate", field: "spec.metrics[0].interval", message: "should match"},
		{name: "templated interval and count, as Argo allows", doc: strings.Replace(fmt.Sprintf(template, "    interval: \"{{args.interval}}\"\n    count: \"{{args.count}}\"\n"+promProvider),
			"  - name: service\n", "  - name: service\n  - {name: interval, value: 5s}\n  - {name: count, value: \"3\"}\n", 1)},
		{name: "interval out of range (controller)", doc: fmt.Sprintf(template, "    interval: 9999999999h\n"+promProvider),
			kind: "AnalysisTemplate", field: "spec.metrics[0].interval", message: `interval "9999999999h" is not a duration`},
		{name: "count not a number", doc: fmt.Sprintf(template, "    count: five\n"+promProvider),
			kind: "AnalysisTemplate", field: "spec.metrics[0].count", message: `count "five" is not a whole number`},
		{name: "cluster template, same checks", doc: strings.Replace(fmt.Sprintf(template, "    failureCondition: result >\n"+promProvider), "kind: AnalysisTemplate", "kind: ClusterAnalysisTemplate", 1),
			kind: "ClusterAnalysisTemplate", field: "spec.metrics[0].failureCondition", message: `condition "result >"`},

		// Documents that are not ramp's.
		{name: "argoproj.io kind", doc: strings.Replace(canary("    canary: {}\n"), "rollouts.ramp.dev/v1alpha1", "argoproj.io/v1alpha1", 1),
			kind: "Rollout", field: "apiVersion", message: "run `kubectl ramp convert` on this file first"},
		{name: "another group is skipped", doc: "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  bogus: true\n"},
		{name: "argoproj.io kind convert does not take", doc: "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n"},
		{name: "argoproj.io template", doc: strings.Replace(fmt.Sprintf(template, promProvider), "rollouts.ramp.dev/v1alpha1", "argoproj.io/v1alpha1", 1),
			kind: "AnalysisTemplate", field: "apiVersion", message: "kubectl ramp convert"},
		{name: "version not served", doc: strings.Replace(canary("    canary: {}\n"), "v1alpha1", "v1", 1),
			kind: "Rollout", field: "apiVersion", message: "rollouts.ramp.dev/v1 is not served: use rollouts.ramp.dev/v1alpha1"},
		{name: "kind ramp has not", doc: "apiVersion: rollouts.ramp.dev/v1alpha1\nkind: Experiment\nmetadata:\n  name: x\n",
			kind: "Experiment", field: "kind", message: `has no kind "Experiment"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			problems, err := linter.File("f.yaml", []byte(tc.doc))
			if err != nil {
				t.Fatal(err)
			}
			if tc.message == "" {
				if len(problems) > 0 {
					t.Fatalf("got %v, want no problem", problems)
				}
				return
			}
			if len(problems) == 0 || len(problems) > 1 && !tc.alsoWantProblem {
				t.Fatalf("got %d problems %v, want one at %q", len(problems), problems, tc.field)
			}
			p := problems[0]
			if p.File != "f.yaml" || p.Document != 1 || p.Kind != tc.kind || p.Field != tc.field || !strings.Contains(p.Message, tc.message) {
				t.Errorf("got %s:%d %s %q: %q\nwant f.yaml:1 %s %q: ...%q...", p.File, p.Document, p.Kind, p.Field, p.Message, tc.kind, tc.field, tc.message)
			}
		})
	}
}

// A Prometheus vector is a list, as in Argo Rollouts: comparing result itself with a number is
// allowed (a scalar query) but most likely not meant, so lint warns and still passes.
func TestVectorComparedAsANumberIsAWarning(t *testing.T) {
	doc := fmt.Sprintf(template, "    successCondition: result < 0.05\n    failureCondition: len(result) > 0 && result[0] >= 0.05\n"+promProvider)
	problems, err := linter.File("f.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 1 || !problems[0].Warning || problems[0].Field != "spec.metrics[0].successCondition" ||
		!strings.Contains(problems[0].Message, `write "result[0] < 0.05"`) {
		t.Fatalf("got %v, want one warning on the successCondition saying result[0] < 0.05", problems)
	}
	if got := problems[0].String(); !strings.Contains(got, "error-rate: warning: spec.metrics[0].successCondition") {
		t.Errorf("the warning reads %q", got)
	}
}

// A schema error leaves the CEL rules unchecked, as the API server says.
func TestBlockingErrorSaysRulesWereNotChecked(t *testing.T) {
	problems, err := linter.File("f.yaml", []byte(canary("    canary:\n      steps:\n      - setWeight: \"abc\"\n        pause: {}\n")))
	if err != nil {
		t.Fatal(err)
	}
	var last Problem
	if len(problems) > 0 {
		last = problems[len(problems)-1]
	}
	if len(problems) != 2 || last.Field != "" || !strings.Contains(last.Message, "some validation rules were not checked") {
		t.Errorf("got %v, want the type error and the note that rules were not checked", problems)
	}
}

func TestProblemsNameTheirDocument(t *testing.T) {
	content := "# a comment\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n---\n" +
		canary("    canary:\n      steps:\n      - setWeight: 120\n") +
		"---\n" + fmt.Sprintf(template, "    successCondition: result <\n"+promProvider)
	problems, err := linter.File("app.yaml", []byte(content))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range problems {
		got = append(got, fmt.Sprintf("%d %s/%s %s", p.Document, p.Kind, p.Name, p.Field))
	}
	want := []string{"2 Rollout/web spec.strategy.canary.steps", "3 AnalysisTemplate/error-rate spec.metrics[0].successCondition"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestUnreadableYAMLIsAnError(t *testing.T) {
	content := canary("    canary: {}\n") + "---\nkind: [Rollout\n"
	_, err := linter.File("bad.yaml", []byte(content))
	if err == nil || !strings.Contains(err.Error(), "bad.yaml: document 2") {
		t.Errorf("got %v, want an error naming bad.yaml and document 2", err)
	}
}

func TestProblemString(t *testing.T) {
	for _, tc := range []struct {
		p    Problem
		want string
	}{
		{Problem{File: "rollout.yaml", Document: 2, Kind: "Rollout", Name: "web", Field: "spec.strategy.canary.steps[2].setWeight", Message: "Invalid value: 120: too much"},
			"rollout.yaml:2 Rollout/web: spec.strategy.canary.steps[2].setWeight: Invalid value: 120: too much"},
		{Problem{File: "r.yaml", Document: 1, Kind: "Rollout", Name: "web", Field: "spec.selector", Message: "spec.selector is empty: fix it"},
			"r.yaml:1 Rollout/web: spec.selector is empty: fix it"},
		{Problem{File: "r.yaml", Document: 1, Kind: "Rollout", Message: "sets both"},
			"r.yaml:1 Rollout: sets both"},
	} {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}

// A workloadRef Rollout is checked with its Deployment's template when the file has it; else
// a warning says the check waits for the controller.
func TestWorkloadRefIsCheckedWithTheDeploymentOfTheFile(t *testing.T) {
	rollout := "apiVersion: rollouts.ramp.dev/v1alpha1\nkind: Rollout\nmetadata: {name: api}\nspec:\n" +
		"  selector: {matchLabels: {app: api}}\n  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: api}\n  strategy: {canary: {}}\n"
	deployment := "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  selector: {matchLabels: {app: other}}\n" +
		"  template: {metadata: {labels: {app: other}}, spec: {containers: [{name: api, image: api:1}]}}\n"
	problems, err := linter.File("f.yaml", []byte(rollout+deployment))
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 1 || problems[0].Warning || !strings.HasPrefix(problems[0].Field, "spec.selector") {
		t.Errorf("Deployment's pods not matched by the Rollout's selector: got %v, want one error on spec.selector", problems)
	}
	problems, err = linter.File("f.yaml", []byte(rollout))
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 1 || !problems[0].Warning || problems[0].Field != "spec.workloadRef" {
		t.Errorf("Deployment not in the file: got %v, want one warning on spec.workloadRef", problems)
	}
}
