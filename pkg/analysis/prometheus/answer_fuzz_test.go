package prometheus

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// answerTransport answers every request with one fixed Prometheus HTTP response.
type answerTransport struct {
	status int
	body   []byte
}

func (a answerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: a.status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(a.body)), Request: req}, nil
}

// FuzzPrometheusAnswer feeds the provider arbitrary answers from a Prometheus server (which a
// tenant may run) and range expressions: every answer is a measurement, never a panic the
// provider had to recover from, with a value of a kind the conditions know and a bounded
// message.
func FuzzPrometheusAnswer(f *testing.F) {
	for _, body := range []string{
		`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"v":"2"},"value":[1700000000,"0.25"]}]}}`,
		`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"],[2,"NaN"],[3,"+Inf"]]}]}}`,
		`{"status":"success","data":{"resultType":"scalar","result":[1,"-Inf"]}}`,
		`{"status":"success","data":{"resultType":"string","result":[1,"hello"]},"warnings":["w"],"infos":["i"]}`,
		`{"status":"error","errorType":"bad_data","error":"1:5: parse error"}`,
		`{"status":"success","data":{"resultType":"vector","result":null}}`,
		`{"status":"success","data":{"resultType":"histogram","result":[]}}`,
		`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"histogram":[1,{"count":"2","sum":"3","buckets":[[0,"0","1","2"]]}]}]}}`,
	} {
		f.Add(200, []byte(body), "", "")
		f.Add(422, []byte(body), `now() - duration("5m")`, "30s")
	}
	f.Add(200, []byte(`{}`), `now() - duration("99999999h")`, "0")
	f.Add(503, []byte(`<html>`), `1700000000`, "-1s")
	f.Fuzz(func(t *testing.T, status int, body []byte, start, step string) {
		if status < 100 || status > 599 {
			return
		}
		p := New(WithTransport(answerTransport{status: status, body: body}), WithClock(func() time.Time { return time.Unix(1.7e9, 0) }))
		spec := &v1alpha1.PrometheusMetric{Address: "http://prometheus.test", Query: "up"}
		if start != "" {
			spec.RangeQuery = &v1alpha1.PrometheusRangeQuery{Start: start, Step: step}
		}
		res := p.Measure(context.Background(), &v1alpha1.AnalysisRun{}, metricOf(spec), nil)
		if res.Err != nil && strings.Contains(res.Err.Error(), "internal error") {
			t.Fatalf("the provider panicked and recovered: %v", res.Err)
		}
		switch res.Value.(type) {
		case nil, string, float64, []float64:
		default:
			t.Fatalf("value of kind %T", res.Value)
		}
		if res.Err == nil && !res.NoData && res.Text == "" && res.Value != "" {
			t.Fatalf("a value with no text: %+v", res)
		}
	})
}
