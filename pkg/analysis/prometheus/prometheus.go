// Package prometheus is the analysis provider that measures a metric with a PromQL query.
//
// An instant query (or a range query when rangeQuery is set) runs against the metric's
// address with its timeout, headers, authentication and TLS setting. Its answer becomes the
// value the conditions see:
//
//   - a scalar, or a vector of one sample: a float64;
//   - a vector of several samples: a []float64, ordered by label set;
//   - a matrix (range query): a []float64 of every value, series by series in label-set
//     order, each in time order;
//   - an empty vector or matrix: NoData ("query returned no data");
//   - NaN stays NaN (conditions test it with isNaN).
//
// An unreachable server, a timeout or a query Prometheus rejects is an Err carrying
// Prometheus's (or the HTTP client's) own text; warnings go in Message. Bearer tokens and
// passwords never appear in either.
package prometheus

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/analysis"
	"github.com/ramp-dev/ramp/pkg/egress"
)

// ProviderType is the name of this provider.
const ProviderType = "prometheus"

// DefaultTimeout bounds a query whose metric sets no timeout.
const DefaultTimeout = 30 * time.Second

// maxTimeoutSeconds caps a metric's timeout as admission does, for a run the API server did
// not validate: a query never holds its measurement longer.
const maxTimeoutSeconds = v1alpha1.MaxProviderTimeoutSeconds

// DefaultClientCacheSize is how many clients (one per address, authentication and TLS
// setting) a Provider keeps.
const DefaultClientCacheSize = 64

// NoDataMessage is the Message of a query that found nothing.
const NoDataMessage = "query returned no data"

// MaxResponseBytes bounds a query's answer: a range query over many series is the largest a
// metric needs; beyond it the measurement is an Error rather than the controller's memory.
const MaxResponseBytes = 8 << 20

// clientGrace is how much longer than the query's timeout the HTTP request may take, so that
// Prometheus's own "query timed out" answer arrives before the client gives up.
const clientGrace = time.Second

// Provider measures metrics with PromQL. It is safe for concurrent use.
type Provider struct {
	now       func() time.Time
	cacheSize int
	// base, when set, carries every request (tests); insecure is then not applied.
	base   http.RoundTripper
	egress *egress.Policy

	mu       sync.Mutex
	secure   http.RoundTripper
	insecure http.RoundTripper
	clients  map[clientKey]*cachedClient
	// tick orders the clients by last use, for eviction.
	tick uint64
}

// Option configures a Provider.
type Option func(*Provider)

// WithClock makes the Provider read the time (now() in range expressions) from now.
func WithClock(now func() time.Time) Option {
	return func(p *Provider) { p.now = now }
}

// WithTransport sends every request through rt instead of the Provider's own transports;
// the metric's insecure setting is then rt's business.
func WithTransport(rt http.RoundTripper) Option {
	return func(p *Provider) { p.base = rt }
}

// WithEgress makes every query connect only where policy allows (the zero Policy, which denies
// loopback, link-local and metadata addresses, when unset).
func WithEgress(policy *egress.Policy) Option {
	return func(p *Provider) { p.egress = policy }
}

// WithClientCacheSize bounds how many clients the Provider keeps (DefaultClientCacheSize
// when n < 1).
func WithClientCacheSize(n int) Option {
	return func(p *Provider) { p.cacheSize = n }
}

// New returns a Provider.
func New(opts ...Option) *Provider {
	p := &Provider{now: time.Now, cacheSize: DefaultClientCacheSize, clients: map[clientKey]*cachedClient{}, egress: &egress.Policy{}}
	for _, o := range opts {
		o(p)
	}
	if p.cacheSize < 1 {
		p.cacheSize = DefaultClientCacheSize
	}
	return p
}

var _ analysis.Provider = (*Provider)(nil)

// Type is "prometheus".
func (p *Provider) Type() string { return ProviderType }

// Measure runs the metric's query once.
func (p *Provider) Measure(ctx context.Context, _ *v1alpha1.AnalysisRun, metric v1alpha1.Metric, _ *v1alpha1.Measurement) (res analysis.Result) {
	spec := metric.Provider.Prometheus
	if spec == nil {
		return errResult(errors.New("the metric has no prometheus provider"))
	}
	secrets := secretsOf(spec)
	defer func() {
		// Never panic on user input, and never let a secret out, whatever the path.
		if r := recover(); r != nil {
			res = errResult(fmt.Errorf("prometheus provider: internal error: %v", r))
		}
		res.Message = redact(res.Message, secrets)
		if res.Err != nil {
			if red := redact(res.Err.Error(), secrets); red != res.Err.Error() {
				res.Err = errors.New(red)
			}
		}
	}()
	if strings.TrimSpace(spec.Query) == "" {
		return errResult(errors.New("prometheus query is empty"))
	}
	client, err := p.client(spec)
	if err != nil {
		return errResult(err)
	}
	timeout := DefaultTimeout
	if spec.Timeout != nil && *spec.Timeout > 0 {
		timeout = time.Duration(min(*spec.Timeout, maxTimeoutSeconds)) * time.Second
	}
	queryAPI := promv1.NewAPI(headerClient{Client: client, headers: spec.Headers})
	ctx, cancel := context.WithTimeout(ctx, timeout+clientGrace)
	defer cancel()

	var (
		value    model.Value
		warnings promv1.Warnings
		infos    promv1.Infos
	)
	if spec.RangeQuery != nil {
		r, rerr := ParseRange(*spec.RangeQuery, p.now())
		if rerr != nil {
			return errResult(rerr)
		}
		value, warnings, infos, err = queryAPI.QueryRange(ctx, spec.Query, r, promv1.WithTimeout(timeout))
	} else {
		value, warnings, infos, err = queryAPI.Query(ctx, spec.Query, p.now(), promv1.WithTimeout(timeout))
	}
	if err != nil {
		return errResult(queryError(err))
	}
	res = toResult(value)
	if note := notes(warnings, infos); note != "" {
		if res.Message != "" {
			res.Message += "; "
		}
		res.Message += note
	}
	return res
}

// errResult is an Error measurement whose message is the error's text.
func errResult(err error) analysis.Result {
	return analysis.Result{Err: err, Message: err.Error()}
}

// queryError keeps Prometheus's own error text ("bad_data: 1:5: parse error: ...") and
// says plainly when the query ran out of time.
func queryError(err error) error {
	var apiErr *promv1.Error
	if errors.As(err, &apiErr) {
		return apiErr
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("prometheus query timed out: %w", err)
	}
	return err
}

// notes turns Prometheus's warnings and infos into one line.
func notes(warnings promv1.Warnings, infos promv1.Infos) string {
	var parts []string
	if len(warnings) > 0 {
		parts = append(parts, "warnings: "+strings.Join(warnings, "; "))
	}
	if len(infos) > 0 {
		parts = append(parts, "info: "+strings.Join(infos, "; "))
	}
	return strings.Join(parts, "; ")
}

// toResult turns a query's answer into the value the conditions see.
func toResult(v model.Value) analysis.Result {
	switch v := v.(type) {
	case *model.Scalar:
		if v == nil {
			return noData()
		}
		f := float64(v.Value)
		return analysis.Result{Value: f, Text: analysis.ExactValue(f)}
	case *model.String:
		if v == nil {
			return noData()
		}
		return analysis.Result{Value: v.Value, Text: v.Value}
	case model.Vector:
		if len(v) == 0 {
			return noData()
		}
		samples := append(model.Vector(nil), v...)
		sort.SliceStable(samples, func(i, j int) bool {
			return labelsLess(samples[i].Metric, samples[j].Metric)
		})
		values := make([]float64, 0, len(samples))
		for _, s := range samples {
			if s.Histogram != nil {
				return nativeHistogram()
			}
			values = append(values, float64(s.Value))
		}
		// A list even of one sample, as in Argo Rollouts: conditions say result[0].
		return analysis.Result{Value: values, Text: analysis.ExactValues(values)}
	case model.Matrix:
		streams := append(model.Matrix(nil), v...)
		sort.SliceStable(streams, func(i, j int) bool {
			return labelsLess(streams[i].Metric, streams[j].Metric)
		})
		var values []float64
		for _, s := range streams {
			if len(s.Histograms) > 0 {
				return nativeHistogram()
			}
			for _, p := range s.Values {
				values = append(values, float64(p.Value))
			}
		}
		if len(values) == 0 {
			return noData()
		}
		return analysis.Result{Value: values, Text: analysis.ExactValues(values)}
	case nil:
		return noData()
	default:
		return errResult(fmt.Errorf("prometheus returned a %s, which the provider does not handle", v.Type()))
	}
}

func noData() analysis.Result {
	return analysis.Result{NoData: true, Message: NoDataMessage}
}

func nativeHistogram() analysis.Result {
	return errResult(errors.New("the query returned native histograms: reduce them to numbers, as with histogram_quantile"))
}

// labelsLess is Prometheus's order of label sets (fewer labels first, then by names and
// values), so that a vector's values keep their places from one measurement to the next.
func labelsLess(a, b model.Metric) bool {
	return model.LabelSet(a).Before(model.LabelSet(b))
}

// secretsOf lists the strings that must never appear in a message.
func secretsOf(spec *v1alpha1.PrometheusMetric) []string {
	var s []string
	if a := spec.Authentication; a != nil {
		if a.BearerToken != "" {
			s = append(s, a.BearerToken)
		}
		if a.Basic != nil && a.Basic.Password != "" {
			// The password, and the header value that carries it.
			s = append(s, a.Basic.Password,
				base64.StdEncoding.EncodeToString([]byte(a.Basic.Username+":"+a.Basic.Password)))
		}
	}
	if u, err := url.Parse(spec.Address); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			s = append(s, pw)
		}
	}
	return s
}

// redact replaces every secret in text by ***.
func redact(text string, secrets []string) string {
	for _, s := range secrets {
		text = strings.ReplaceAll(text, s, "***")
	}
	return text
}

// clientKey identifies a client: what its transport and authentication depend on. Secrets
// are kept as digests.
type clientKey struct {
	address  string
	auth     [sha256.Size]byte
	insecure bool
}

type cachedClient struct {
	client  api.Client
	lastUse uint64
}

// client returns the cached client of the metric's address, authentication and TLS
// setting, building it the first time.
func (p *Provider) client(spec *v1alpha1.PrometheusMetric) (api.Client, error) {
	address := strings.TrimSpace(spec.Address)
	if address == "" {
		return nil, errors.New("prometheus address is empty")
	}
	u, err := url.Parse(address)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The address is not repeated: it may hold user information.
		return nil, errors.New("prometheus address is not an http or https URL, such as http://prometheus.monitoring:9090")
	}
	var bearer, user, pass string
	if a := spec.Authentication; a != nil {
		bearer = a.BearerToken
		if a.Basic != nil {
			user, pass = a.Basic.Username, a.Basic.Password
		}
		if bearer != "" && a.Basic != nil {
			return nil, errors.New("prometheus authentication sets both bearerToken and basic: choose one")
		}
	}
	key := clientKey{
		address:  address,
		auth:     sha256.Sum256([]byte(bearer + "\x00" + user + "\x00" + pass)),
		insecure: spec.Insecure,
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	p.tick++
	if c, ok := p.clients[key]; ok {
		c.lastUse = p.tick
		return c.client, nil
	}
	rt := egress.LimitResponses(p.transport(spec.Insecure), MaxResponseBytes)
	if bearer != "" || user != "" || pass != "" {
		rt = &authRoundTripper{next: rt, bearer: bearer, user: user, pass: pass}
	}
	client, err := api.NewClient(api.Config{Address: address, RoundTripper: rt})
	if err != nil {
		return nil, err
	}
	if len(p.clients) >= p.cacheSize {
		p.evictOldest()
	}
	p.clients[key] = &cachedClient{client: client, lastUse: p.tick}
	return client, nil
}

// evictOldest drops the least recently used client. p.mu is held.
func (p *Provider) evictOldest() {
	var oldest clientKey
	first := true
	var min uint64
	for k, c := range p.clients {
		if first || c.lastUse < min {
			oldest, min, first = k, c.lastUse, false
		}
	}
	if !first {
		delete(p.clients, oldest)
	}
}

// transport is the shared transport for a TLS setting. p.mu is held.
func (p *Provider) transport(insecure bool) http.RoundTripper {
	if p.base != nil {
		return p.base
	}
	if insecure {
		if p.insecure == nil {
			p.insecure = p.egress.Transport(true)
		}
		return p.insecure
	}
	if p.secure == nil {
		p.secure = p.egress.Transport(false)
	}
	return p.secure
}

// cachedClients is how many clients the Provider holds (tests).
func (p *Provider) cachedClients() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.clients)
}

// authRoundTripper adds a bearer token or basic auth to each request. It replaces any
// Authorization header the metric's headers set.
type authRoundTripper struct {
	next       http.RoundTripper
	bearer     string
	user, pass string
}

func (a *authRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	if a.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+a.bearer)
	} else {
		req.SetBasicAuth(a.user, a.pass)
	}
	return a.next.RoundTrip(req)
}

// headerClient adds the metric's headers to each request of a cached client; the headers may
// differ from one measurement to the next (args), so they are not part of the cache key.
type headerClient struct {
	api.Client
	headers []v1alpha1.WebMetricHeader
}

func (c headerClient) Do(ctx context.Context, req *http.Request) (*http.Response, []byte, error) {
	for _, h := range c.headers {
		if h.Key == "" {
			continue
		}
		if strings.EqualFold(h.Key, "Host") {
			req.Host = h.Value
			continue
		}
		req.Header.Set(h.Key, h.Value)
	}
	return c.Client.Do(ctx, req)
}
