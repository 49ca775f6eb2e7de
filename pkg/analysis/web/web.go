// Package web is the web analysis provider: it calls an HTTP endpoint and picks the measured
// value from its JSON answer with a kubectl-style JSONPath.
//
// A measurement is one GET, POST or PUT (the body is sent with POST and PUT, as JSON unless a
// Content-Type header says otherwise) bounded by timeoutSeconds (10 when unset). Its answer
// becomes the value the conditions see:
//
//   - jsonPath unset: the whole JSON body;
//   - jsonPath ({$.data.ok}, {.data.value}, or .data.value without braces) picking one value:
//     that value, a JSON number or a string holding a decimal number ("0.5") as a float64,
//     a bool, a string, a map[string]any or a []any;
//   - jsonPath picking several values ({.items[*].v}): a []any of them;
//   - jsonPath picking nothing, or null, and an empty body: NoData.
//
// A status other than 2xx is an Err quoting the first 200 bytes of the body; a body that is
// not JSON or exceeds 1 MiB, a timeout and an unreachable server are Errs too. Messages never
// show the URL's query or password, nor the values of headers such as Authorization.
package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/util/jsonpath"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/analysis"
	"github.com/ramp-dev/ramp/pkg/egress"
)

const (
	// defaultTimeout bounds a call whose metric sets no timeoutSeconds.
	defaultTimeout = 10 * time.Second
	// maxBodyBytes is the largest response body read; a longer one is an error.
	maxBodyBytes = 1 << 20
	// errorBodyBytes is how much of a non-2xx answer's body an error quotes.
	errorBodyBytes = 200
	// maxTextBytes bounds Result.Text, which the AnalysisRun's status records.
	maxTextBytes = analysis.MaxStoredBytes
)

// Provider calls web endpoints. It is safe for concurrent use and keeps its connections
// between measurements.
type Provider struct {
	client, insecureClient *http.Client
}

var _ analysis.Provider = (*Provider)(nil)

// Option configures a Provider.
type Option func(*options)

type options struct{ egress *egress.Policy }

// WithEgress makes every call, each redirect hop included, connect only where policy allows
// (the zero Policy, which denies loopback, link-local and metadata addresses, when unset).
func WithEgress(policy *egress.Policy) Option {
	return func(o *options) { o.egress = policy }
}

// New returns a web provider with two HTTP clients: one that verifies TLS certificates and one
// for metrics marked insecure.
func New(opts ...Option) *Provider {
	o := options{egress: &egress.Policy{}}
	for _, opt := range opts {
		opt(&o)
	}
	return &Provider{client: newClient(o.egress, false), insecureClient: newClient(o.egress, true)}
}

func newClient(policy *egress.Policy, insecure bool) *http.Client {
	// No Client.Timeout: each call is bounded by its metric's timeoutSeconds through its context.
	return &http.Client{Transport: policy.Transport(insecure), CheckRedirect: limitRedirects}
}

// maxRedirects is how many redirects a call follows; each hop is checked by the egress policy.
const maxRedirects = 5

func limitRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	return nil
}

// Type is "web".
func (p *Provider) Type() string { return "web" }

// Measure calls the metric's URL once. prev is ignored: a web measurement never stays Running.
func (p *Provider) Measure(ctx context.Context, _ *v1alpha1.AnalysisRun, metric v1alpha1.Metric, _ *v1alpha1.Measurement) (res analysis.Result) {
	web := metric.Provider.Web
	if web == nil {
		return errResult(fmt.Errorf("metric %s has no web provider", metric.Name))
	}
	defer func() {
		// Never panic on user input, and never let a header's secret out in a message.
		if r := recover(); r != nil {
			res = analysis.Result{Err: fmt.Errorf("web provider: internal error: %v", r)}
		}
		if res.Err != nil {
			text := redactSecrets(res.Err.Error(), secretsOf(web))
			if text != res.Err.Error() {
				res.Err = errors.New(text)
			}
			res = errResult(res.Err)
		}
	}()
	body, err := p.call(ctx, web)
	if err != nil {
		return errResult(err)
	}
	return pick(body, web.JSONPath)
}

// call makes the request and returns the body of a 2xx answer.
func (p *Provider) call(ctx context.Context, web *v1alpha1.WebMetric) ([]byte, error) {
	method := strings.ToUpper(web.Method)
	if method == "" {
		method = http.MethodGet
	}
	if method != http.MethodGet && method != http.MethodPost && method != http.MethodPut {
		return nil, fmt.Errorf("method %q: use GET, POST or PUT", web.Method)
	}
	u, err := url.Parse(web.URL)
	if err != nil {
		return nil, fmt.Errorf("url: %v", redactErr(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("url %s: want an http:// or https:// URL with a host", redact(u))
	}
	timeout := defaultTimeout
	if web.TimeoutSeconds > 0 {
		// Capped as admission does, for a run the API server did not validate.
		timeout = time.Duration(min(web.TimeoutSeconds, v1alpha1.MaxProviderTimeoutSeconds)) * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var reqBody io.Reader
	if (method == http.MethodPost || method == http.MethodPut) && web.Body != "" {
		reqBody = strings.NewReader(web.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), reqBody)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %v", method, redact(u), redactErr(err))
	}
	for _, h := range web.Headers {
		if strings.EqualFold(h.Key, "Host") {
			req.Host = h.Value
			continue
		}
		req.Header.Add(h.Key, h.Value)
	}
	if reqBody != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	client := p.client
	if web.Insecure {
		client = p.insecureClient
	}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			return nil, fmt.Errorf("%s %s: no answer within %s", method, redact(u), timeout)
		}
		if refused := egress.Unwrap(err); refused != nil {
			return nil, fmt.Errorf("%s %s: %w", method, redact(u), refused)
		}
		return nil, fmt.Errorf("%s %s: %v", method, redact(u), redactErr(err))
	}
	defer func() {
		// Drain a little so the connection can be reused, then close.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		_ = resp.Body.Close()
	}()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, errorBodyBytes))
		return nil, fmt.Errorf("%s %s: status %s: %s", method, redact(u), resp.Status, analysis.Excerpt(string(snippet), errorBodyBytes))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s %s: body not read within %s", method, redact(u), timeout)
		}
		return nil, fmt.Errorf("%s %s: read body: %v", method, redact(u), redactErr(err))
	}
	if len(body) > maxBodyBytes {
		return nil, fmt.Errorf("%s %s: the response body is larger than %d bytes", method, redact(u), maxBodyBytes)
	}
	return body, nil
}

// errResult is an Error measurement whose message is the error's text.
func errResult(err error) analysis.Result {
	return analysis.Result{Err: err, Message: err.Error()}
}

// notSecret are headers whose values are never secrets.
var notSecret = map[string]bool{"Accept": true, "Content-Type": true, "User-Agent": true, "Host": true}

// secretsOf are the values that may be secrets (from args fed by Secrets): those of the
// headers, such as an Authorization header's token, and of the URL's query and password. An
// answer that echoes one does not carry it into a message.
func secretsOf(web *v1alpha1.WebMetric) []string {
	var s []string
	add := func(v string) {
		if v = strings.TrimSpace(v); len(v) >= minSecretLen {
			s = append(s, v)
		}
	}
	for _, h := range web.Headers {
		if notSecret[http.CanonicalHeaderKey(h.Key)] {
			continue
		}
		add(h.Value)
		if _, token, ok := strings.Cut(strings.TrimSpace(h.Value), " "); ok {
			add(token) // Bearer <token>, Basic <credentials>
		}
	}
	if u, err := url.Parse(web.URL); err == nil {
		if pw, ok := u.User.Password(); ok {
			add(pw)
		}
		for _, vs := range u.Query() {
			for _, v := range vs {
				add(v)
			}
		}
	}
	return s
}

// minSecretLen is the length below which a value is not hidden: hiding "1" or "true"
// everywhere would garble messages, and secrets are longer.
const minSecretLen = 6

// redactSecrets replaces every secret in text by ***, longest first.
func redactSecrets(text string, secrets []string) string {
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	for _, s := range secrets {
		text = strings.ReplaceAll(text, s, "***")
	}
	return text
}

// redact is a URL without its user info and query, which may hold secrets from args.
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery = ""
	c.ForceQuery = false
	c.Fragment = ""
	c.RawFragment = ""
	return c.String()
}

// redactErr drops the URL an error of net/http quotes (it may hold secrets); the caller names
// the URL, redacted.
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// pick decodes the body and picks the value at jsonPath (the whole body when empty).
func pick(body []byte, path string) analysis.Result {
	if len(bytes.TrimSpace(body)) == 0 {
		return analysis.Result{NoData: true, Message: "the response body is empty"}
	}
	data, err := decode(body)
	if err != nil {
		return analysis.Result{Err: fmt.Errorf("the response body is not JSON (%v): %s", err, snippet(body))}
	}
	path = strings.TrimSpace(path)
	if path == "" {
		if data == nil {
			return analysis.Result{NoData: true, Message: "the response body is null"}
		}
		return result(normalize(data))
	}
	if !strings.Contains(path, "{") {
		path = "{" + path + "}" // $.data.ok or .data.ok, as kubectl's relaxed form
	}
	values, found, err := find(data, path)
	if err != nil {
		return analysis.Result{Err: err}
	}
	if !found {
		return analysis.Result{NoData: true, Message: fmt.Sprintf("jsonPath %s found nothing", path)}
	}
	if len(values) == 1 {
		if values[0] == nil {
			return analysis.Result{NoData: true, Message: fmt.Sprintf("jsonPath %s found null", path)}
		}
		return result(normalize(values[0]))
	}
	list := make([]any, len(values))
	for i, v := range values {
		list[i] = normalize(v)
	}
	return result(list)
}

// decode parses JSON as Kubernetes does for kubectl's JSONPath: whole numbers as int64 and
// others as float64, so that filters such as {.items[?(@.code==200)]} compare like kinds.
func decode(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var data any
	if err := dec.Decode(&data); err != nil {
		return nil, err
	}
	if rest := bytes.TrimSpace(body[dec.InputOffset():]); len(rest) > 0 {
		return nil, fmt.Errorf("data after the JSON value at offset %d", dec.InputOffset())
	}
	return numbers(data), nil
}

// numbers replaces the json.Numbers in v, in place, by int64 or float64.
func numbers(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64() // valid JSON: only an overflow fails, and it gives ±Inf
		return f
	case map[string]any:
		for k, e := range v {
			v[k] = numbers(e)
		}
	case []any:
		for i, e := range v {
			v[i] = numbers(e)
		}
	}
	return v
}

// floats turns the int64s of a decoded value into float64s, in a copy: conditions see every
// JSON number as a float64.
func floats(v any) any {
	switch v := v.(type) {
	case int64:
		return float64(v)
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = floats(e)
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, e := range v {
			l[i] = floats(e)
		}
		return l
	}
	return v
}

// find evaluates a kubectl-style JSONPath: the values it picks, in order; found is false when
// it picks nothing.
func find(data any, path string) (values []any, found bool, err error) {
	parsed, err := jsonpath.Parse("jsonPath", path)
	if err != nil {
		return nil, false, fmt.Errorf("jsonPath %s: %v", path, err)
	}
	for _, n := range parsed.Root.Nodes {
		if n.Type() == jsonpath.NodeText {
			return nil, false, fmt.Errorf("jsonPath %s: text outside braces; write one expression such as {.data.value}", path)
		}
	}
	jp := jsonpath.New("jsonPath").AllowMissingKeys(true)
	if err := jp.Parse(path); err != nil {
		return nil, false, fmt.Errorf("jsonPath %s: %v", path, err)
	}
	results, err := jp.FindResults(data)
	if err != nil {
		if strings.Contains(err.Error(), "out of bounds") {
			return nil, false, nil // an index past the end of a list finds nothing
		}
		return nil, false, fmt.Errorf("jsonPath %s: %v", path, err)
	}
	for _, rs := range results {
		for _, r := range rs {
			values = append(values, valueOf(r))
		}
	}
	return values, len(values) > 0, nil
}

func valueOf(r reflect.Value) any {
	if !r.IsValid() || !r.CanInterface() {
		return nil
	}
	return r.Interface()
}

// numeric is a decimal number as text ("0.5", "-3", "1e-3"): no NaN, Inf, hex or underscores.
var numeric = regexp.MustCompile(`^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$`)

// normalize makes a picked value what conditions see: JSON numbers as float64, and a string
// holding a number as the number, as services often quote numbers.
func normalize(v any) any {
	s, ok := v.(string)
	if !ok {
		return floats(v)
	}
	t := strings.TrimSpace(s)
	if !numeric.MatchString(t) {
		return v
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return v // out of range
	}
	return f
}

func result(v any) analysis.Result {
	return analysis.Result{Value: v, Text: render(v)}
}

// render renders a value as a measurement records it: a string as itself, anything else as
// compact JSON, cut to 1 KiB.
func render(v any) string {
	var s string
	if str, ok := v.(string); ok {
		s = str
	} else {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			s = fmt.Sprint(v)
		} else {
			s = strings.TrimSuffix(buf.String(), "\n")
		}
	}
	return analysis.Truncate(s, maxTextBytes)
}

// snippet is the start of a body for an error message.
func snippet(body []byte) string {
	return analysis.Excerpt(string(body), errorBodyBytes)
}
