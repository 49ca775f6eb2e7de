//go:build scale

package scale

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// percentile is the p-th percentile (0..100) of ds, nearest rank; 0 for none.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) + " ms"
}

// procSample is a process's resident memory and CPU time so far.
type procSample struct {
	rssBytes int64
	cpu      time.Duration
	at       time.Time
}

func sampleProc(pid int) (procSample, error) {
	s := procSample{at: time.Now()}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			s.rssBytes = kb * 1024
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// Fields after the command name (which may hold spaces, in parentheses): utime is 14th, stime 15th.
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	s.cpu = time.Duration(utime+stime) * (time.Second / 100) // USER_HZ is 100 on Linux
	return s, nil
}

// cpuShare is the share of one core the process used between two samples.
func cpuShare(a, b procSample) float64 {
	return float64(b.cpu-a.cpu) / float64(b.at.Sub(a.at))
}

// apiWrites is the API server's count of write requests (POST, PUT, PATCH, DELETE), by
// group/resource/subresource, from its /metrics.
func apiWrites(ctx context.Context) (map[string]float64, error) {
	body, err := cluster.Clientset.Discovery().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		rest, ok := strings.CutPrefix(line, "apiserver_request_total{")
		if !ok {
			continue
		}
		labels, value, ok := strings.Cut(rest, "} ")
		if !ok {
			continue
		}
		l := map[string]string{}
		for _, kv := range strings.Split(labels, ",") {
			k, v, _ := strings.Cut(kv, "=")
			l[k] = strings.Trim(v, `"`)
		}
		switch l["verb"] {
		case "POST", "PUT", "PATCH", "DELETE", "APPLY":
		default:
			continue
		}
		if l["dry_run"] != "" {
			continue
		}
		n, _ := strconv.ParseFloat(value, 64)
		key := l["group"] + "/" + l["resource"]
		if l["subresource"] != "" {
			key += "/" + l["subresource"]
		}
		out[key] += n
	}
	return out, nil
}

// rampResources are the resources only ramp writes in the write-count phase (pods are the
// ReplicaSet controller's, and so is ReplicaSet status; ramp's Events are counted apart, since
// the scheduler writes events.k8s.io Events too).
var rampResources = []string{
	"rollouts.ramp.dev/rollouts/status", "apps/replicasets", "/services", "networking.k8s.io/ingresses",
	"rollouts.ramp.dev/analysisruns",
}
