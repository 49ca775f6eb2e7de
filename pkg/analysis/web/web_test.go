package web

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/expr-lang/expr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/analysis"
)

var ctx = context.Background()

func metric(w v1alpha1.WebMetric) v1alpha1.Metric {
	return v1alpha1.Metric{Name: "web", Provider: v1alpha1.MetricProvider{Web: &w}}
}

// request is what a test server saw.
type request struct {
	method, body, contentType string
	header                    http.Header
	host, query               string
}

// server answers every request with status and body, recording what it was sent.
func server(t *testing.T, status int, body string) (*httptest.Server, func() request) {
	t.Helper()
	var mu sync.Mutex
	var got request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = request{method: r.Method, body: string(b), contentType: r.Header.Get("Content-Type"), header: r.Header.Clone(), host: r.Host, query: r.URL.RawQuery}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, func() request {
		mu.Lock()
		defer mu.Unlock()
		return got
	}
}

func measure(t *testing.T, w v1alpha1.WebMetric) analysis.Result {
	t.Helper()
	return testProvider().Measure(ctx, &v1alpha1.AnalysisRun{}, metric(w), nil)
}

func wantErr(t *testing.T, res analysis.Result, parts ...string) {
	t.Helper()
	if res.Err == nil {
		t.Fatalf("result %+v, want an error", res)
	}
	for _, p := range parts {
		if !strings.Contains(res.Err.Error(), p) {
			t.Errorf("error %q, want it to contain %q", res.Err, p)
		}
	}
	if res.Message != res.Err.Error() {
		t.Errorf("message %q, want the error's text", res.Message)
	}
	if res.NoData || res.Running || res.Succeeded || res.Failed || res.Value != nil {
		t.Errorf("error result %+v carries more than the error", res)
	}
}

func TestType(t *testing.T) {
	if got := testProvider().Type(); got != "web" {
		t.Errorf("Type() = %q", got)
	}
}

func TestMethodsHeadersBody(t *testing.T) {
	tests := []struct {
		name, method, body           string
		headers                      []v1alpha1.WebMetricHeader
		wantMethod, wantBody, wantCT string
	}{
		{name: "default GET", wantMethod: "GET"},
		{name: "GET ignores the body", method: "GET", body: `{"q":1}`, wantMethod: "GET"},
		{name: "POST with body", method: "POST", body: `{"q":1}`, wantMethod: "POST", wantBody: `{"q":1}`, wantCT: "application/json"},
		{name: "PUT with body", method: "PUT", body: `{"q":2}`, wantMethod: "PUT", wantBody: `{"q":2}`, wantCT: "application/json"},
		{name: "lower-case post", method: "post", body: "x", wantMethod: "POST", wantBody: "x", wantCT: "application/json"},
		{name: "POST keeps the user's content type", method: "POST", body: "a=b",
			headers:    []v1alpha1.WebMetricHeader{{Key: "Content-Type", Value: "application/x-www-form-urlencoded"}},
			wantMethod: "POST", wantBody: "a=b", wantCT: "application/x-www-form-urlencoded"},
		{name: "POST without body", method: "POST", wantMethod: "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, got := server(t, 200, `{"ok":true}`)
			res := measure(t, v1alpha1.WebMetric{URL: srv.URL + "/check", Method: tt.method, Body: tt.body, Headers: tt.headers})
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			r := got()
			if r.method != tt.wantMethod || r.body != tt.wantBody || r.contentType != tt.wantCT {
				t.Errorf("server saw %s body %q content type %q, want %s %q %q", r.method, r.body, r.contentType, tt.wantMethod, tt.wantBody, tt.wantCT)
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	srv, got := server(t, 200, `1`)
	res := measure(t, v1alpha1.WebMetric{URL: srv.URL + "/?token=abc", Headers: []v1alpha1.WebMetricHeader{
		{Key: "Authorization", Value: "Bearer s3cret"},
		{Key: "X-Multi", Value: "a"},
		{Key: "X-Multi", Value: "b"},
		{Key: "Host", Value: "metrics.example"},
	}})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	r := got()
	if r.header.Get("Authorization") != "Bearer s3cret" {
		t.Errorf("Authorization %q", r.header.Get("Authorization"))
	}
	if v := r.header.Values("X-Multi"); !reflect.DeepEqual(v, []string{"a", "b"}) {
		t.Errorf("X-Multi %v, want both values", v)
	}
	if r.host != "metrics.example" {
		t.Errorf("Host %q, want the header's", r.host)
	}
	if r.query != "token=abc" {
		t.Errorf("query %q", r.query)
	}
}

func TestBadMethodAndURL(t *testing.T) {
	wantErr(t, measure(t, v1alpha1.WebMetric{URL: "http://x", Method: "DELETE"}), `method "DELETE"`)
	wantErr(t, measure(t, v1alpha1.WebMetric{URL: "ftp://x/y"}), "http:// or https://")
	wantErr(t, measure(t, v1alpha1.WebMetric{URL: "/relative"}), "http:// or https://")
	wantErr(t, measure(t, v1alpha1.WebMetric{URL: "http://x/%zz"}), "url")
	wantErr(t, measure(t, v1alpha1.WebMetric{URL: ""}), "url")
	if res := testProvider().Measure(ctx, &v1alpha1.AnalysisRun{}, v1alpha1.Metric{Name: "m"}, nil); res.Err == nil {
		t.Error("a metric without a web provider measured")
	}
}

func TestTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer srv.Close()
	start := time.Now()
	res := measure(t, v1alpha1.WebMetric{URL: srv.URL + "/slow?key=s3cret", TimeoutSeconds: 1})
	wantErr(t, res, "no answer within 1s", srv.URL+"/slow")
	if strings.Contains(res.Err.Error(), "s3cret") {
		t.Errorf("error %q shows the query", res.Err)
	}
	if d := time.Since(start); d < time.Second || d > 5*time.Second {
		t.Errorf("took %s, want about the 1s timeout", d)
	}
}

func TestCanceledContext(t *testing.T) {
	srv, _ := server(t, 200, `1`)
	c, cancel := context.WithCancel(ctx)
	cancel()
	res := testProvider().Measure(c, &v1alpha1.AnalysisRun{}, metric(v1alpha1.WebMetric{URL: srv.URL}), nil)
	wantErr(t, res, "canceled")
}

func TestConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	wantErr(t, measure(t, v1alpha1.WebMetric{URL: url + "/x?token=s3cret"}), url+"/x", "connect")
}

func TestNon2xx(t *testing.T) {
	long := strings.Repeat("e", 300)
	tests := []struct {
		status int
		body   string
		want   []string
	}{
		{503, `{"error":"overloaded"}`, []string{"status 503 Service Unavailable", `{"error":"overloaded"}`}},
		{404, "", []string{"status 404 Not Found"}},
		{302, "moved", []string{"status 302"}}, // a redirect without Location is not followed
		{500, long, []string{"status 500", strings.Repeat("e", 200)}},
	}
	for _, tt := range tests {
		srv, _ := server(t, tt.status, tt.body)
		res := measure(t, v1alpha1.WebMetric{URL: srv.URL})
		wantErr(t, res, tt.want...)
		if strings.Contains(res.Err.Error(), strings.Repeat("e", 201)) {
			t.Errorf("status %d: error quotes more than 200 bytes of the body", tt.status)
		}
	}
}

func TestTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshake is expected
	srv.StartTLS()
	defer srv.Close()
	wantErr(t, measure(t, v1alpha1.WebMetric{URL: srv.URL}), "certificate")
	res := measure(t, v1alpha1.WebMetric{URL: srv.URL, Insecure: true, JSONPath: "{.ok}"})
	if res.Err != nil || res.Value != true {
		t.Fatalf("insecure: %+v", res)
	}
}

func TestClientsAreReused(t *testing.T) {
	p := testProvider()
	if p.client == p.insecureClient {
		t.Fatal("one client for both")
	}
	conns := map[string]bool{}
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conns[r.RemoteAddr] = true
		mu.Unlock()
		_, _ = io.WriteString(w, `1`)
	}))
	defer srv.Close()
	for range 5 {
		if res := p.Measure(ctx, &v1alpha1.AnalysisRun{}, metric(v1alpha1.WebMetric{URL: srv.URL}), nil); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	if len(conns) != 1 {
		t.Errorf("%d connections for 5 sequential calls, want one kept alive", len(conns))
	}
}

func TestValues(t *testing.T) {
	const doc = `{
		"data": {"ok": true, "value": 0.95, "rate": "0.5", "name": "canary", "big": "1e3",
		         "nan": "NaN", "hex": "0x10", "padded": " 7 ", "null": null, "empty": [],
		         "nested": {"a": 1, "b": [1, "2"]}, "html": "<b>&</b>"},
		"items": [{"v": 1}, {"v": "2"}, {"w": 3}],
		"checks": [{"code": 200, "score": 0.7, "name": "a"}, {"code": 503, "score": 0.2, "name": "b"}]
	}`
	tests := []struct {
		path     string
		want     any
		wantText string
	}{
		{"{$.data.ok}", true, "true"},
		{"{.data.ok}", true, "true"},
		{"$.data.ok", true, "true"},
		{".data.value", 0.95, "0.95"},
		{" {.data.value} ", 0.95, "0.95"},
		{"{.data.rate}", 0.5, "0.5"},
		{"{.data.big}", 1000.0, "1000"},
		{"{.data.padded}", 7.0, "7"},
		{"{.data.nan}", "NaN", "NaN"},
		{"{.data.hex}", "0x10", "0x10"},
		{"{.data.name}", "canary", "canary"},
		{"{.data.html}", "<b>&</b>", "<b>&</b>"},
		{"{.data.nested}", map[string]any{"a": 1.0, "b": []any{1.0, "2"}}, `{"a":1,"b":[1,"2"]}`},
		{"{.data.empty}", []any{}, `[]`},
		{"{.items[0].v}", 1.0, "1"},
		{"{.items[-1].w}", 3.0, "3"},
		{"{.items[*].v}", []any{1.0, 2.0}, "[1,2]"},
		{"{.items[?(@.v)].v}", []any{1.0, 2.0}, "[1,2]"},
		{"{.data.ok}{.data.value}", []any{true, 0.95}, "[true,0.95]"},
		// Filters compare whole JSON numbers with integer literals, as kubectl's do.
		{"{.checks[?(@.code==200)].name}", "a", "a"},
		{"{.checks[?(@.code>=200)].code}", []any{200.0, 503.0}, "[200,503]"},
		{"{.checks[?(@.score>0.5)].name}", "a", "a"},
		{"{.checks[?(@.name=='b')].score}", 0.2, "0.2"},
		{"{.checks[0]}", map[string]any{"code": 200.0, "score": 0.7, "name": "a"}, `{"code":200,"name":"a","score":0.7}`},
		{"", nil, ""}, // the whole body: checked below
	}
	srv, _ := server(t, 200, doc)
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res := measure(t, v1alpha1.WebMetric{URL: srv.URL, JSONPath: tt.path})
			if res.Err != nil || res.NoData {
				t.Fatalf("%+v", res)
			}
			if tt.path == "" {
				m, ok := res.Value.(map[string]any)
				if !ok || m["data"].(map[string]any)["value"] != 0.95 {
					t.Fatalf("whole body %#v", res.Value)
				}
				if !strings.HasPrefix(res.Text, `{"checks":[{"code":200,"name":"a","score":0.7}`) {
					t.Errorf("text %q", res.Text)
				}
				return
			}
			if !reflect.DeepEqual(res.Value, tt.want) {
				t.Errorf("value %#v, want %#v", res.Value, tt.want)
			}
			if res.Text != tt.wantText {
				t.Errorf("text %q, want %q", res.Text, tt.wantText)
			}
		})
	}
}

func TestWholeBody(t *testing.T) {
	for body, want := range map[string]any{`"0.25"`: 0.25, `42`: 42.0, `"up"`: "up", `false`: false, ` [1, 2] `: []any{1.0, 2.0}} {
		srv, _ := server(t, 200, body)
		res := measure(t, v1alpha1.WebMetric{URL: srv.URL})
		if res.Err != nil || !reflect.DeepEqual(res.Value, want) {
			t.Errorf("body %s: %+v, want %#v", body, res, want)
		}
	}
}

func TestNoData(t *testing.T) {
	srv, _ := server(t, 200, `{"data": {"value": null, "list": [], "obj": null, "items": [{"x": 2}]}}`)
	for path, msg := range map[string]string{
		"{.data.missing}":          "jsonPath {.data.missing} found nothing",
		"{.nothing.at.all}":        "jsonPath {.nothing.at.all} found nothing",
		"{.data.list[0]}":          "jsonPath {.data.list[0]} found nothing",
		"{.data.list[*]}":          "jsonPath {.data.list[*]} found nothing",
		"{.data.obj.field}":        "jsonPath {.data.obj.field} found nothing",
		".data.missing":            "jsonPath {.data.missing} found nothing",
		"{.data.value}":            "jsonPath {.data.value} found null",
		"{.data.items[?(@.x==1)]}": "jsonPath {.data.items[?(@.x==1)]} found nothing",
	} {
		res := measure(t, v1alpha1.WebMetric{URL: srv.URL, JSONPath: path})
		if !res.NoData || res.Err != nil || res.Value != nil || res.Message != msg {
			t.Errorf("%s: %+v, want NoData %q", path, res, msg)
		}
	}
	for _, body := range []string{"", "  \n", "null"} {
		srv, _ := server(t, 200, body)
		if res := measure(t, v1alpha1.WebMetric{URL: srv.URL}); !res.NoData || res.Err != nil {
			t.Errorf("body %q: %+v, want NoData", body, res)
		}
	}
}

func TestBadJSONAndPaths(t *testing.T) {
	srv, _ := server(t, 200, `<html>oops</html>`)
	wantErr(t, measure(t, v1alpha1.WebMetric{URL: srv.URL, JSONPath: "{.a}"}), "not JSON", "<html>oops</html>")
	srv, _ = server(t, 200, `{"a": 1} trailing`)
	wantErr(t, measure(t, v1alpha1.WebMetric{URL: srv.URL}), "not JSON")

	srv, _ = server(t, 200, `{"a": {"b": 1}, "s": "x"}`)
	for path, want := range map[string]string{
		"{.a":         "jsonPath",
		"{.a[}":       "jsonPath",
		"{.a} {.s}":   "text outside braces",
		"value: {.a}": "text outside braces",
		"{.a[0]}":     "not array or slice",
	} {
		wantErr(t, measure(t, v1alpha1.WebMetric{URL: srv.URL, JSONPath: path}), want)
	}
}

func TestBodyLimit(t *testing.T) {
	big := `"` + strings.Repeat("a", maxBodyBytes) + `"`
	srv, _ := server(t, 200, big)
	wantErr(t, measure(t, v1alpha1.WebMetric{URL: srv.URL}), "larger than 1048576 bytes")

	fits := `"` + strings.Repeat("é", (maxBodyBytes-2)/2) + `"`
	srv, _ = server(t, 200, fits)
	res := measure(t, v1alpha1.WebMetric{URL: srv.URL})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if len(res.Text) > maxTextBytes || !strings.HasSuffix(res.Text, "é...") {
		t.Errorf("text of %d bytes ending %q, want at most %d cut on a rune", len(res.Text), res.Text[len(res.Text)-8:], maxTextBytes)
	}
}

// The values work with the conditions users write.
func TestConditions(t *testing.T) {
	srv, _ := server(t, 200, `{"data": {"ok": true, "value": "0.95", "checks": {"ok": true}, "list": [1, 2]}}`)
	tests := []struct{ path, cond string }{
		{"{.data.ok}", "result == true"},
		{"{.data.ok}", "result"},
		{"{.data.value}", "result > 0.9"},
		{"{.data.checks}", "result.ok"},
		{"{.data.list[*]}", "all(result, # > 0) && len(result) == 2"},
		{"", "result.data.ok && result.data.value == '0.95'"},
	}
	for _, tt := range tests {
		res := measure(t, v1alpha1.WebMetric{URL: srv.URL, JSONPath: tt.path})
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		out, err := expr.Eval(tt.cond, map[string]any{"result": res.Value})
		if err != nil || out != true {
			t.Errorf("%s with result %#v = %v, %v; want true", tt.cond, res.Value, out, err)
		}
	}
}

// Odd answers never panic the provider.
func TestNeverPanics(t *testing.T) {
	bodies := []string{`{}`, `[]`, `[[[]]]`, `{"a":[null,{"b":null}]}`, `"`, `1e999`, `{"a":1e400}`, "\xff\xfe"}
	paths := []string{"", "{}", "{.}", "{$}", "{..a}", "{.a[*].b}", "{.a[-5]}", "{.a[1:0]}", "{.a[::-1]}", "{range .a[*]}{.b}{end}", "{.a[?(@.b>1)]}", "{{", "}", "{@}", "{.a.b.c.d}"}
	for _, b := range bodies {
		srv, _ := server(t, 200, b)
		for _, p := range paths {
			res := measure(t, v1alpha1.WebMetric{URL: srv.URL, JSONPath: p})
			if strings.Contains(res.Message+errString(res.Err), "internal error") {
				t.Errorf("body %q path %q: %v", b, p, res.Err)
			}
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// An answer that echoes a header's or the query's secret does not carry it into the error.
func TestSecretsStayOut(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, "bad credentials: "+r.Header.Get("Authorization")+" / "+r.Header.Get("X-Api-Key")+" / "+r.URL.Query().Get("key"))
	}))
	defer srv.Close()
	res := measure(t, v1alpha1.WebMetric{URL: srv.URL + "/?key=query-s3cret", Headers: []v1alpha1.WebMetricHeader{
		{Key: "Authorization", Value: "Bearer tok-s3cret"},
		{Key: "X-Api-Key", Value: "api-s3cret"},
		{Key: "Accept", Value: "application/json"},
	}})
	wantErr(t, res, "status 401", "bad credentials: *** / *** / ***")
	if strings.Contains(res.Err.Error(), "s3cret") || strings.Contains(res.Message, "s3cret") {
		t.Errorf("a secret got out: %q", res.Err)
	}
}
