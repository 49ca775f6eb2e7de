// Package prometheus runs a real Prometheus server for tests: a child process of the test on
// a free loopback port, scraping the given targets every second, with its data in the test's
// temporary directory. The binary comes from RAMP_PROMETHEUS, which the Makefile sets from
// hack/prometheus.sh:
//
//	RAMP_PROMETHEUS=$(hack/prometheus.sh) go test -tags integration ./pkg/analysis/prometheus/
//
// Stop and Start simulate an outage and a recovery: the server comes back on the same port
// with the same data.
package prometheus

import (
	"github.com/ramp-dev/ramp/e2e/framework"

	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// EnvBinary names the environment variable that holds the Prometheus binary's path.
const EnvBinary = "RAMP_PROMETHEUS"

// ReadyTimeout bounds how long a start waits for /-/ready.
const ReadyTimeout = 60 * time.Second

// stopTimeout is how long Stop waits after SIGTERM before it kills.
const stopTimeout = 15 * time.Second

// Server is a Prometheus child process.
type Server struct {
	t       testing.TB
	bin     string
	dir     string
	addr    string // 127.0.0.1:port
	logPath string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Binary returns the Prometheus binary named by RAMP_PROMETHEUS, or an error that says how
// to set it.
func Binary() (string, error) {
	bin := os.Getenv(EnvBinary)
	if bin == "" {
		return "", fmt.Errorf("%s is unset: it names the Prometheus binary these tests run; "+
			"run them as RAMP_PROMETHEUS=$(hack/prometheus.sh) go test -tags integration ..., "+
			"or with make test-integration", EnvBinary)
	}
	if st, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("%s=%s: %w (hack/prometheus.sh prints a valid path)", EnvBinary, bin, err)
	} else if st.IsDir() || st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%s=%s is not an executable file", EnvBinary, bin)
	}
	return bin, nil
}

// Start runs Prometheus scraping the targets (host:port, /metrics) every second and waits
// until it is ready. The test fails at once when RAMP_PROMETHEUS is unset or the server does
// not come up; the server stops when the test ends.
func Start(t testing.TB, scrapeTargets []string) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := &Server{t: t, bin: bin, dir: dir, logPath: filepath.Join(dir, "prometheus.log")}
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), config(scrapeTargets), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			s.dumpLog()
		}
		s.Stop()
	})
	// A free port may be taken between our look and Prometheus's bind: try a few.
	for attempt := 0; ; attempt++ {
		s.addr = framework.FreeAddr(t)
		err := s.start()
		if err == nil {
			return s
		}
		if attempt < 3 && strings.Contains(s.logTail(), "address already in use") {
			continue
		}
		t.Fatalf("prometheus did not start: %v", err) // the cleanup shows its log
	}
}

// Address is the server's base URL, http://127.0.0.1:port.
func (s *Server) Address() string { return "http://" + s.addr }

// HostPort is the server's 127.0.0.1:port.
func (s *Server) HostPort() string { return s.addr }

// Start starts the server again after Stop, on the same port with the same data, and waits
// until it is ready; it fails the test that started the server (call it from that test's
// goroutine) if the server does not come back. It does nothing while the server runs.
func (s *Server) Start() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatalf("prometheus did not restart: %v", err) // the cleanup shows its log
	}
}

// Stop stops the server (SIGTERM, then SIGKILL after 15 s) and waits until it has exited. It
// does nothing when the server is not running.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd, s.done = nil, nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(stopTimeout):
		_ = cmd.Process.Kill()
		<-done
	}
}

// Running reports whether the server process is alive.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done == nil {
		return false
	}
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// WaitTargetsUp waits until Prometheus has scraped every target successfully; after timeout
// it returns an error with the targets' states.
func (s *Server) WaitTargetsUp(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		up, state, err := s.targetsUp()
		if err == nil && up {
			return nil
		}
		if err != nil {
			state = err.Error()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("prometheus targets not up after %v: %s", timeout, state)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (s *Server) targetsUp() (bool, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.Address()+"/api/v1/targets?state=active", nil)
	if err != nil {
		return false, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, "", err
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			ActiveTargets []struct {
				ScrapeURL string `json:"scrapeUrl"`
				Health    string `json:"health"`
				LastError string `json:"lastError"`
			} `json:"activeTargets"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return false, "", err
	}
	targets := body.Data.ActiveTargets
	if len(targets) == 0 {
		return false, "no active targets yet", nil
	}
	var states []string
	up := true
	for _, tg := range targets {
		states = append(states, fmt.Sprintf("%s %s %s", tg.ScrapeURL, tg.Health, tg.LastError))
		up = up && tg.Health == "up"
	}
	return up, strings.Join(states, "; "), nil
}

// start runs the process and waits for /-/ready.
func (s *Server) start() error {
	s.mu.Lock()
	if s.cmd != nil {
		s.mu.Unlock()
		return nil
	}
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	fmt.Fprintf(logf, "=== starting prometheus on %s at %s\n", s.addr, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(s.bin,
		"--config.file="+filepath.Join(s.dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(s.dir, "data"),
		"--web.listen-address="+s.addr,
		"--web.console.templates="+filepath.Join(s.dir, "consoles"),
		"--web.console.libraries="+filepath.Join(s.dir, "console_libraries"),
		"--log.level=info",
	)
	cmd.Dir = s.dir
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		logf.Close()
		s.mu.Unlock()
		return err
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(done)
	}()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()

	if err := s.waitReady(done); err != nil {
		s.Stop()
		return err
	}
	return nil
}

// waitReady polls /-/ready until it answers 200, the process exits, or ReadyTimeout passes.
func (s *Server) waitReady(exited <-chan struct{}) error {
	deadline := time.Now().Add(ReadyTimeout)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		select {
		case <-exited:
			return errors.New("the process exited: " + lastLine(s.logTail()))
		default:
		}
		resp, err := client.Get(s.Address() + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s/-/ready did not answer 200 within %v", s.Address(), ReadyTimeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// config is a configuration that scrapes the targets every second.
func config(targets []string) []byte {
	var b bytes.Buffer
	b.WriteString("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n")
	b.WriteString("scrape_configs:\n  - job_name: test\n    static_configs:\n      - targets: [")
	for i, tg := range targets {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(tg))
	}
	b.WriteString("]\n")
	return b.Bytes()
}

// logTail is the end of the server's log.
func (s *Server) logTail() string {
	data, err := os.ReadFile(s.logPath)
	if err != nil {
		return ""
	}
	const max = 8 << 10
	if len(data) > max {
		data = data[len(data)-max:]
	}
	return string(data)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func (s *Server) dumpLog() {
	s.t.Logf("prometheus log (%s), last part:\n%s", s.logPath, s.logTail())
}
