// Package metricsapi is a small external metrics API (external.metrics.k8s.io/v1beta1) over a
// real Prometheus, for e2e tests of HorizontalPodAutoscalers: each metric is a PromQL query,
// answered with its current value when the HPA controller asks, through the kube-apiserver's
// aggregation layer. It is what KEDA's or prometheus-adapter's external metrics do, reduced
// to what an HPA reads.
//
// It serves TLS on loopback with a throwaway certificate, so its APIService skips
// verification; Register points the aggregator at it through an ExternalName Service
// "localhost" (the API server refuses loopback endpoints, not loopback ExternalNames).
// Every answer is counted per metric: a test waits for the HPA to have read a metric N more
// times instead of sleeping through sync periods.
package metricsapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	externalv1beta1 "k8s.io/metrics/pkg/apis/external_metrics/v1beta1"
)

// Group and Version are the API the server serves.
const (
	Group   = "external.metrics.k8s.io"
	Version = "v1beta1"
)

// Server answers external metrics from Prometheus queries.
type Server struct {
	srv     *httptest.Server
	prom    promv1.API
	queries map[string]string

	mu     sync.Mutex
	served map[string]int
	last   map[string]float64
}

// Start serves each metric name of queries as the value of its PromQL query at promURL.
func Start(promURL string, queries map[string]string) (*Server, error) {
	c, err := promapi.NewClient(promapi.Config{Address: promURL})
	if err != nil {
		return nil, fmt.Errorf("prometheus client for %s: %w", promURL, err)
	}
	s := &Server{prom: promv1.NewAPI(c), queries: queries, served: map[string]int{}, last: map[string]float64{}}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.EnableHTTP2 = true
	s.srv.StartTLS()
	return s, nil
}

// Port is the loopback port the server listens on.
func (s *Server) Port() int32 {
	_, port, _ := net.SplitHostPort(s.srv.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	return int32(p)
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Served is how many times metric has been answered with a value.
func (s *Server) Served(metric string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.served[metric]
}

// Last is the value metric was last answered with.
func (s *Server) Last(metric string) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last[metric]
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	prefix := "/apis/" + Group + "/" + Version
	switch path := strings.TrimSuffix(r.URL.Path, "/"); {
	case path == prefix:
		s.writeJSON(w, s.resources())
	case strings.HasPrefix(path, prefix+"/namespaces/"):
		// .../namespaces/{ns}/{metric}
		parts := strings.Split(strings.TrimPrefix(path, prefix+"/namespaces/"), "/")
		if len(parts) != 2 {
			http.NotFound(w, r)
			return
		}
		s.answer(w, r.Context(), parts[1])
	case path == "/healthz" || path == "/readyz" || path == "/livez":
		_, _ = w.Write([]byte("ok"))
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) resources() *metav1.APIResourceList {
	list := &metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: Group + "/" + Version}
	for name := range s.queries {
		list.APIResources = append(list.APIResources, metav1.APIResource{Name: name, Namespaced: true, Kind: "ExternalMetricValueList", Verbs: metav1.Verbs{"get"}})
	}
	return list
}

func (s *Server) answer(w http.ResponseWriter, ctx context.Context, metric string) {
	query, ok := s.queries[metric]
	if !ok {
		http.Error(w, fmt.Sprintf("no external metric %q", metric), http.StatusNotFound)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	value, err := s.query(ctx, query)
	if err != nil {
		http.Error(w, fmt.Sprintf("external metric %q: %v", metric, err), http.StatusServiceUnavailable)
		return
	}
	s.mu.Lock()
	s.served[metric]++
	s.last[metric] = value
	s.mu.Unlock()
	s.writeJSON(w, &externalv1beta1.ExternalMetricValueList{
		TypeMeta: metav1.TypeMeta{Kind: "ExternalMetricValueList", APIVersion: Group + "/" + Version},
		Items: []externalv1beta1.ExternalMetricValue{{
			MetricName: metric,
			Timestamp:  metav1.Now(),
			Value:      *resource.NewMilliQuantity(int64(value*1000), resource.DecimalSI),
		}},
	})
}

// query is the value of a PromQL query that yields one sample.
func (s *Server) query(ctx context.Context, query string) (float64, error) {
	result, _, _, err := s.prom.Query(ctx, query, time.Now())
	if err != nil {
		return 0, err
	}
	vec, ok := result.(model.Vector)
	if !ok || len(vec) != 1 {
		return 0, fmt.Errorf("query %q gave %s, want one sample", query, result)
	}
	return float64(vec[0].Value), nil
}

func (s *Server) writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// Manifest is the ExternalName Service (in namespace ns) and APIService that register the
// server with the cluster's aggregation layer.
func (s *Server) Manifest(ns string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Service
metadata: {name: external-metrics, namespace: %[1]s}
spec: {type: ExternalName, externalName: localhost}
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: %[2]s.%[3]s}
spec:
  group: %[3]s
  version: %[2]s
  service: {namespace: %[1]s, name: external-metrics, port: %[4]d}
  insecureSkipTLSVerify: true
  groupPriorityMinimum: 100
  versionPriority: 100
`, ns, Version, Group, s.Port())
}
