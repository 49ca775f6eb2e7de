package analysis

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

func sp(s string) *string { return &s }

func secretFrom(name, key string) *v1alpha1.ValueFrom {
	return &v1alpha1.ValueFrom{SecretKeyRef: &v1alpha1.SecretKeyRef{Name: name, Key: key}}
}

func TestResolveArgs(t *testing.T) {
	secrets := map[string]string{"creds/token": "s3cr3t", "creds/user": "admin", "creds/empty": ""}
	lookup := func(from v1alpha1.ValueFrom) (string, error) {
		switch {
		case from.SecretKeyRef != nil:
			v, ok := secrets[from.SecretKeyRef.Name+"/"+from.SecretKeyRef.Key]
			if !ok {
				return "", errors.New("secret not found")
			}
			return v, nil
		case from.FieldRef != nil:
			return "field:" + from.FieldRef.FieldPath, nil
		case from.PodTemplateHashValue != nil:
			return "hash-" + *from.PodTemplateHashValue, nil
		}
		return "", errors.New("empty valueFrom")
	}
	latest := "Latest"
	for _, tc := range []struct {
		name        string
		template    []v1alpha1.Argument
		run         []v1alpha1.Argument
		lookup      func(v1alpha1.ValueFrom) (string, error)
		want        map[string]string
		wantSecrets []string
		wantErr     string
	}{
		{
			name:     "template defaults",
			template: []v1alpha1.Argument{{Name: "a", Value: sp("1")}, {Name: "b", Value: sp("")}},
			want:     map[string]string{"a": "1", "b": ""},
		},
		{
			name:     "run overrides default",
			template: []v1alpha1.Argument{{Name: "a", Value: sp("1")}, {Name: "b", Value: sp("2")}},
			run:      []v1alpha1.Argument{{Name: "a", Value: sp("10")}},
			want:     map[string]string{"a": "10", "b": "2"},
		},
		{
			name:     "run fills an arg without default",
			template: []v1alpha1.Argument{{Name: "svc"}},
			run:      []v1alpha1.Argument{{Name: "svc", Value: sp("web")}},
			want:     map[string]string{"svc": "web"},
		},
		{
			name:     "run arg without value keeps the default",
			template: []v1alpha1.Argument{{Name: "a", Value: sp("1")}},
			run:      []v1alpha1.Argument{{Name: "a"}},
			want:     map[string]string{"a": "1"},
		},
		{
			name:     "run valueFrom overrides template value",
			template: []v1alpha1.Argument{{Name: "a", Value: sp("1")}},
			run:      []v1alpha1.Argument{{Name: "a", ValueFrom: &v1alpha1.ValueFrom{PodTemplateHashValue: &latest}}},
			want:     map[string]string{"a": "hash-Latest"},
		},
		{
			name:     "run value overrides template secret",
			template: []v1alpha1.Argument{{Name: "a", ValueFrom: secretFrom("creds", "token")}},
			run:      []v1alpha1.Argument{{Name: "a", Value: sp("plain")}},
			want:     map[string]string{"a": "plain"},
		},
		{
			name: "run args without a template",
			run:  []v1alpha1.Argument{{Name: "x", Value: sp("1")}, {Name: "tok", ValueFrom: secretFrom("creds", "token")}},
			want: map[string]string{"x": "1", "tok": "s3cr3t"}, wantSecrets: []string{"s3cr3t"},
		},
		{
			name:     "extra run args are kept",
			template: []v1alpha1.Argument{{Name: "a", Value: sp("1")}},
			run:      []v1alpha1.Argument{{Name: "other", Value: sp("2")}},
			want:     map[string]string{"a": "1", "other": "2"},
		},
		{
			name: "secrets and fields",
			template: []v1alpha1.Argument{
				{Name: "token", ValueFrom: secretFrom("creds", "token")},
				{Name: "user", ValueFrom: secretFrom("creds", "user")},
				{Name: "same", ValueFrom: secretFrom("creds", "token")},
				{Name: "empty", ValueFrom: secretFrom("creds", "empty")},
				{Name: "app", ValueFrom: &v1alpha1.ValueFrom{FieldRef: &v1alpha1.FieldRef{FieldPath: "metadata.name"}}},
			},
			want:        map[string]string{"token": "s3cr3t", "user": "admin", "same": "s3cr3t", "empty": "", "app": "field:metadata.name"},
			wantSecrets: []string{"s3cr3t", "admin"},
		},
		{name: "no args", want: map[string]string{}},
		{
			name:     "no value",
			template: []v1alpha1.Argument{{Name: "a", Value: sp("1")}, {Name: "svc"}},
			wantErr:  "argument svc has no value: give it one in the Rollout's analysis args",
		},
		{
			name:    "run arg alone without value",
			run:     []v1alpha1.Argument{{Name: "svc"}},
			wantErr: "argument svc has no value",
		},
		{
			name:     "lookup error",
			template: []v1alpha1.Argument{{Name: "tok", ValueFrom: secretFrom("nope", "x")}},
			wantErr:  "argument tok: secret not found",
		},
		{
			name:     "no lookup",
			template: []v1alpha1.Argument{{Name: "tok", ValueFrom: secretFrom("creds", "token")}},
			lookup:   func(v1alpha1.ValueFrom) (string, error) { return "", errors.New("unused") },
			wantErr:  "argument tok: unused",
		},
		{
			name:     "both value and valueFrom",
			template: []v1alpha1.Argument{{Name: "a", Value: sp("1"), ValueFrom: secretFrom("creds", "token")}},
			wantErr:  "argument a sets both value and valueFrom",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := lookup
			if tc.lookup != nil {
				l = tc.lookup
			}
			got, secrets, err := ResolveArgs(tc.template, tc.run, l)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "s3cr3t") {
					t.Errorf("error leaks a secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("args = %v, want %v", got, tc.want)
			}
			if !reflect.DeepEqual(secrets, tc.wantSecrets) {
				t.Errorf("secrets = %q, want %q", secrets, tc.wantSecrets)
			}
		})
	}
	if _, _, err := ResolveArgs([]v1alpha1.Argument{{Name: "a", ValueFrom: secretFrom("c", "k")}}, nil, nil); err == nil {
		t.Error("a valueFrom without lookup: want an error")
	}
}

func TestSubstitutePrometheusAndLimits(t *testing.T) {
	args := map[string]string{"svc": "checkout", "ns": "shop", "token": "s3cr3t", "n": "3", "limit": "2", "every": "30s", "th": "0.05"}
	count, fl := intstr.FromString("{{args.n}}"), intstr.FromString("{{ args.limit }}")
	il, cel := intstr.FromInt32(1), intstr.FromString("5")
	in := v1alpha1.Metric{
		Name:                  "error-rate",
		Interval:              "{{args.every}}",
		InitialDelay:          "{{args.every}}",
		Count:                 &count,
		FailureLimit:          &fl,
		InconclusiveLimit:     &il,
		ConsecutiveErrorLimit: &cel,
		SuccessCondition:      "result < {{args.th}}",
		FailureCondition:      "result >= {{args.th}}",
		Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{
			Address: "http://prometheus.{{args.ns}}:9090",
			Query:   `sum(rate(errors{service="{{args.svc}}"}[5m])) / sum(rate(requests{service="{{ args.svc }}"}[5m]))`,
			Headers: []v1alpha1.WebMetricHeader{{Key: "X-{{args.svc}}", Value: "Bearer {{args.token}}"}},
			Authentication: &v1alpha1.PrometheusAuth{BearerToken: "{{args.token}}",
				Basic: &v1alpha1.BasicAuth{Username: "{{args.svc}}", Password: "{{args.token}}"}},
			RangeQuery: &v1alpha1.PrometheusRangeQuery{Start: `now() - duration("{{args.every}}")`, End: "now()", Step: "{{args.every}}"},
		}},
	}
	before := *in.DeepCopy()
	got, err := Substitute(in, args)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, before) {
		t.Error("Substitute changed its input")
	}
	p := got.Provider.Prometheus
	for _, c := range []struct{ field, got, want string }{
		{"address", p.Address, "http://prometheus.shop:9090"},
		{"query", p.Query, `sum(rate(errors{service="checkout"}[5m])) / sum(rate(requests{service="checkout"}[5m]))`},
		{"header key", p.Headers[0].Key, "X-checkout"},
		{"header value", p.Headers[0].Value, "Bearer s3cr3t"},
		{"bearer", p.Authentication.BearerToken, "s3cr3t"},
		{"user", p.Authentication.Basic.Username, "checkout"},
		{"password", p.Authentication.Basic.Password, "s3cr3t"},
		{"start", p.RangeQuery.Start, `now() - duration("30s")`},
		{"step", p.RangeQuery.Step, "30s"},
		{"interval", string(got.Interval), "30s"},
		{"initialDelay", string(got.InitialDelay), "30s"},
		{"count", got.Count.String(), "3"},
		{"failureLimit", got.FailureLimit.String(), "2"},
		{"inconclusiveLimit", got.InconclusiveLimit.String(), "1"},
		{"consecutiveErrorLimit", got.ConsecutiveErrorLimit.String(), "5"},
		{"successCondition", got.SuccessCondition, "result < 0.05"},
		{"failureCondition", got.FailureCondition, "result >= 0.05"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if got.Count.Type != intstr.String {
		t.Error("count changed type")
	}
}

func TestSubstituteWeb(t *testing.T) {
	in := v1alpha1.Metric{Name: "web", Provider: v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{
		URL:      "https://api/{{args.svc}}/health?token={{args.token}}",
		Method:   "POST",
		Headers:  []v1alpha1.WebMetricHeader{{Key: "Authorization", Value: "Bearer {{args.token}}"}},
		Body:     `{"service": "{{args.svc}}"}`,
		JSONPath: "{$.services.{{args.svc}}.ok}",
	}}}
	got, err := Substitute(in, map[string]string{"svc": "checkout", "token": "t"})
	if err != nil {
		t.Fatal(err)
	}
	w := got.Provider.Web
	want := v1alpha1.WebMetric{URL: "https://api/checkout/health?token=t", Method: "POST",
		Headers: []v1alpha1.WebMetricHeader{{Key: "Authorization", Value: "Bearer t"}},
		Body:    `{"service": "checkout"}`, JSONPath: "{$.services.checkout.ok}"}
	if !reflect.DeepEqual(*w, want) {
		t.Errorf("web = %+v, want %+v", *w, want)
	}
	if in.Provider.Web.URL != "https://api/{{args.svc}}/health?token={{args.token}}" {
		t.Error("Substitute changed its input")
	}
}

func TestSubstituteJob(t *testing.T) {
	in := v1alpha1.Metric{Name: "smoke", Provider: v1alpha1.MetricProvider{Job: &v1alpha1.JobMetric{
		Metadata: metav1.ObjectMeta{Labels: map[string]string{"svc": "{{args.svc}}"}},
		Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{{
				Name:    "smoke",
				Image:   "curl:{{args.tag}}",
				Command: []string{"sh", "-c", "curl -f http://{{args.svc}}/ && echo {{ args.quote }}"},
				Env:     []corev1.EnvVar{{Name: "TOKEN", Value: "{{args.token}}"}},
			}},
		}}},
	}}}
	args := map[string]string{"svc": "checkout", "tag": "8.5", "quote": `say "hi" \ <b> & 'bye'`, "token": "t\nline"}
	got, err := Substitute(in, args)
	if err != nil {
		t.Fatal(err)
	}
	j := got.Provider.Job
	c := j.Spec.Template.Spec.Containers[0]
	if j.Metadata.Labels["svc"] != "checkout" || c.Image != "curl:8.5" || c.Env[0].Value != "t\nline" ||
		c.Command[2] != `curl -f http://checkout/ && echo say "hi" \ <b> & 'bye'` {
		t.Errorf("job not substituted: labels %v, container %+v", j.Metadata.Labels, c)
	}
	if j.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Error("job lost its restart policy")
	}
	if in.Provider.Job.Spec.Template.Spec.Containers[0].Image != "curl:{{args.tag}}" {
		t.Error("Substitute changed its input")
	}
	// a job without placeholders is left alone
	plain := v1alpha1.Metric{Name: "p", Provider: v1alpha1.MetricProvider{Job: &v1alpha1.JobMetric{Spec: batchv1.JobSpec{}}}}
	if _, err := Substitute(plain, nil); err != nil {
		t.Error(err)
	}
	// a missing arg in a job
	_, err = Substitute(in, map[string]string{"svc": "x"})
	if err == nil || !strings.Contains(err.Error(), "metric smoke: {{args.tag}} is not an argument of the run (it has: svc)") {
		t.Errorf("err = %v", err)
	}
}

func TestSubstituteErrors(t *testing.T) {
	prom := func(q string) v1alpha1.Metric {
		return v1alpha1.Metric{Name: "m", Provider: v1alpha1.MetricProvider{Prometheus: &v1alpha1.PrometheusMetric{Query: q}}}
	}
	for _, tc := range []struct {
		name   string
		metric v1alpha1.Metric
		args   map[string]string
		want   string // error; empty: the query after substitution
		query  string
	}{
		{"missing", prom("up{job='{{args.job}}'}"), map[string]string{"b": "1", "a": "2"}, "metric m: {{args.job}} is not an argument of the run (it has: a, b)", ""},
		{"missing no args", prom("{{ args.job }}"), nil, "metric m: {{args.job}} is not an argument of the run (it has none)", ""},
		{"first missing named", prom("{{args.x}} {{args.y}}"), map[string]string{"a": "1"}, "{{args.x}} is not an argument", ""},
		{"missing in limit", v1alpha1.Metric{Name: "m", Count: ptrIntOrString(intstr.FromString("{{args.n}}"))}, map[string]string{}, "{{args.n}} is not an argument", ""},
		{"not a placeholder", prom("{{ $labels.x }} {{job}} {args.a} {{args.}}"), nil, "", "{{ $labels.x }} {{job}} {args.a} {{args.}}"},
		{"several and spaces", prom("{{args.a}}{{  args.a\t}}-{{args.b-c}}"), map[string]string{"a": "1", "b-c": "2"}, "", "11-2"},
		{"value with braces is not re-substituted", prom("{{args.a}}"), map[string]string{"a": "{{args.b}}"}, "", "{{args.b}}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Substitute(tc.metric, tc.args)
			if tc.want != "" {
				if err == nil || err.Error() != tc.want && !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err = %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if q := got.Provider.Prometheus.Query; q != tc.query {
				t.Errorf("query = %q, want %q", q, tc.query)
			}
		})
	}
}

func ptrIntOrString(v intstr.IntOrString) *intstr.IntOrString { return &v }

func TestRedact(t *testing.T) {
	for _, tc := range []struct {
		name    string
		s       string
		secrets []string
		want    string
	}{
		{"none", "token abc", nil, "token abc"},
		{"plain", "Bearer abc failed, abc again", []string{"abc"}, "Bearer ***** failed, ***** again"},
		{"several", "u=admin p=s3cr3t", []string{"s3cr3t", "admin"}, "u=***** p=*****"},
		{"longest first", "key abcdef", []string{"abc", "abcdef"}, "key *****"},
		{"empty secret ignored", "nothing here", []string{""}, "nothing here"},
		{"url encoded", "GET https://x/?t=a%2Fb+c: 401", []string{"a/b c"}, "GET https://x/?t=*****: 401"},
		{"path encoded", "GET https://x/a%2Fb%20c: 404", []string{"a/b c"}, "GET https://x/*****: 404"},
		{"json escaped", `body {"t":"say \"hi\""}`, []string{`say "hi"`}, `body {"t":"*****"}`},
		{"trailing newline", "key abc rejected", []string{"abc\n"}, "key ***** rejected"},
		{"substring of a word", "token tok", []string{"tok"}, "*****en *****"},
		{"empty string", "", []string{"x"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Redact(tc.s, tc.secrets); got != tc.want {
				t.Errorf("Redact(%q, %q) = %q, want %q", tc.s, tc.secrets, got, tc.want)
			}
		})
	}
}

// A secret substituted into a metric never shows in the error of a bad placeholder once
// redacted, nor does it survive in messages built from the resolved metric.
func TestSecretNeverLeaks(t *testing.T) {
	args, secrets, err := ResolveArgs([]v1alpha1.Argument{{Name: "token", ValueFrom: secretFrom("c", "k")}}, nil,
		func(v1alpha1.ValueFrom) (string, error) { return "hunter2", nil })
	if err != nil {
		t.Fatal(err)
	}
	m, err := Substitute(v1alpha1.Metric{Name: "m", Provider: v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{
		URL: "https://x/?token={{args.token}}"}}}, args)
	if err != nil {
		t.Fatal(err)
	}
	msg := "Get \"" + m.Provider.Web.URL + "\": connection refused"
	if got := Redact(msg, secrets); strings.Contains(got, "hunter2") || !strings.Contains(got, "token=*****") {
		t.Errorf("Redact = %q", got)
	}
}
