package framework

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// DataPlane is the local cluster's Traefik and podserve, as cluster-up started them.
type DataPlane struct {
	// WebURL is Traefik's web entrypoint; WebPort its port, which a Gateway's listener names.
	WebURL  string
	WebPort int32
	// MetricsURL is Traefik's Prometheus endpoint.
	MetricsURL string
	// PodserveURL is podserve's own endpoints (/counts).
	PodserveURL string
}

// DataPlane reads the data plane's ports from the cluster's ports.env.
func (c *Cluster) DataPlane(t testing.TB) DataPlane {
	t.Helper()
	ports, err := readPorts(filepath.Join(c.ClusterDir, "ports.env"))
	if err != nil {
		t.Fatalf("the local data plane: %v (run the suite with make e2e)", err)
	}
	var web int32
	if _, err := fmt.Sscan(ports["TRAEFIK_WEB_PORT"], &web); err != nil || ports["PODSERVE_PORT"] == "" {
		t.Fatalf("ports.env has no Traefik or podserve port: %v", ports)
	}
	return DataPlane{
		WebURL:      fmt.Sprintf("http://127.0.0.1:%d/", web),
		WebPort:     web,
		MetricsURL:  "http://127.0.0.1:" + ports["TRAEFIK_ADMIN_PORT"] + "/metrics",
		PodserveURL: "http://127.0.0.1:" + ports["PODSERVE_PORT"],
	}
}

func readPorts(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(strings.TrimSpace(s.Text()), "="); ok {
			out[k] = v
		}
	}
	return out, s.Err()
}

// PodCount is what one pod answered, from podserve's /counts.
type PodCount struct {
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	Revision  string `json:"revision"`
	Requests  int64  `json:"requests"`
	Failures  int64  `json:"failures"`
}

// PodRequests sums podserve's request counts per revision of namespace ns: every request a pod
// received, whether or not its answer reached a client (mirrored requests' do not).
func (d DataPlane) PodRequests(ns string) (map[string]int64, error) {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(d.PodserveURL + "/counts")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var counts []PodCount
	if err := json.NewDecoder(resp.Body).Decode(&counts); err != nil {
		return nil, fmt.Errorf("podserve /counts: %w", err)
	}
	out := map[string]int64{}
	for _, pc := range counts {
		if pc.Namespace == ns {
			out[pc.Revision] += pc.Requests
		}
	}
	return out, nil
}
