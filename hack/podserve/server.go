package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// Limits on what a pod's template can ask of podserve, and on the work one request may cause.
const (
	maxLatency     = 10 * time.Second
	maxBody        = 1 << 20
	maxInFlight    = 1024
	headerRevision = "X-Revision"
	headerPod      = "X-Pod"
)

// podBackend is a pod as podserve answers for it: who it is and how its template says it behaves.
type podBackend struct {
	Namespace, Name, Revision string
	FailPercent               int
	Latency                   time.Duration
}

// lookup finds the pod that would answer on ip:port, or false when none would (the connection
// would be refused).
type lookup func(ip string, port int32) (podBackend, bool)

// server answers, as the pods would, the requests that reach pods through podserve's tunnels
// (socks.go); requests on other connections are its own: /healthz and /counts.
type server struct {
	find     lookup
	inFlight chan struct{}

	mu     sync.Mutex
	counts map[string]*podCount
}

// podCount is what one pod answered, as /counts reports it.
type podCount struct {
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	Revision  string `json:"revision"`
	Requests  int64  `json:"requests"`
	Failures  int64  `json:"failures"`
}

func newServer(find lookup) *server {
	return &server{find: find, inFlight: make(chan struct{}, maxInFlight), counts: map[string]*podCount{}}
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t, tunnelled := targetOf(r.Context())
	if !tunnelled {
		s.serveControl(w, r)
		return
	}
	select {
	case s.inFlight <- struct{}{}:
		defer func() { <-s.inFlight }()
	default:
		http.Error(w, "podserve: too many requests in flight", http.StatusServiceUnavailable)
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxBody))
	pod, ok := s.find(t.IP, t.Port)
	if !ok {
		// The pod went away while its connection was open: the connection drops, as the
		// pod's process exiting would drop it.
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				_ = c.Close()
				return
			}
		}
		http.Error(w, "podserve: the pod is gone", http.StatusBadGateway)
		return
	}
	fail := s.count(pod)
	if pod.Latency > 0 {
		select {
		case <-time.After(pod.Latency):
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set(headerRevision, pod.Revision)
	w.Header().Set(headerPod, pod.Name)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	code := http.StatusOK
	if fail {
		code = http.StatusInternalServerError
	}
	w.WriteHeader(code)
	fmt.Fprintf(w, "revision %s pod %s/%s status %d\n", pod.Revision, pod.Namespace, pod.Name, code)
}

// count records a request to pod and says whether it fails. Failures are spread evenly, not
// drawn at random: of every 100 requests to a pod, exactly FailPercent fail.
func (s *server) count(pod podBackend) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := pod.Namespace + "/" + pod.Name
	c := s.counts[key]
	if c == nil {
		c = &podCount{Namespace: pod.Namespace, Pod: pod.Name, Revision: pod.Revision}
		s.counts[key] = c
	}
	n := c.Requests
	c.Requests++
	fail := (n+1)*int64(pod.FailPercent)/100 > n*int64(pod.FailPercent)/100
	if fail {
		c.Failures++
	}
	return fail
}

func (s *server) serveControl(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/healthz":
		fmt.Fprintln(w, "ok")
	case "/counts":
		s.mu.Lock()
		out := make([]podCount, 0, len(s.counts))
		for _, c := range s.counts {
			out = append(out, *c)
		}
		s.mu.Unlock()
		sort.Slice(out, func(i, j int) bool {
			return out[i].Namespace+"/"+out[i].Pod < out[j].Namespace+"/"+out[j].Pod
		})
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	default:
		http.NotFound(w, r)
	}
}

// backendFor says how pod answers on port: from the container that declares the port, its
// env FAIL_PERCENT (0-100) and LATENCY_MS (capped at maxLatency). False when no container
// declares the port.
func backendFor(pod *corev1.Pod, port int32) (podBackend, bool) {
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			if p.ContainerPort != port || (p.Protocol != "" && p.Protocol != corev1.ProtocolTCP) {
				continue
			}
			b := podBackend{Namespace: pod.Namespace, Name: pod.Name, Revision: revisionOf(pod)}
			for _, e := range c.Env {
				switch e.Name {
				case "FAIL_PERCENT":
					b.FailPercent = clampInt(e.Value, 0, 100)
				case "LATENCY_MS":
					b.Latency = min(time.Duration(clampInt(e.Value, 0, int(maxLatency/time.Millisecond)))*time.Millisecond, maxLatency)
				}
			}
			return b, true
		}
	}
	return podBackend{}, false
}

func revisionOf(pod *corev1.Pod) string {
	if h := pod.Labels[v1alpha1.PodTemplateHashLabel]; h != "" {
		return h
	}
	return pod.Labels["pod-template-hash"]
}

func clampInt(text string, lo, hi int) int {
	n, err := strconv.Atoi(strings.TrimSpace(text))
	if err != nil {
		return lo
	}
	return max(lo, min(n, hi))
}
