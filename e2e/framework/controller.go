package framework

import (
	"context"
	"errors"
	"fmt"
	"net"
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

	"github.com/ramp-dev/ramp/pkg/testenv"
)

// Prepare connects to the local control plane, installs ramp's CRDs and RBAC into it, and
// builds ramp-controller into dir: what every suite on the cluster does first.
func Prepare(dir string) (*Cluster, string, error) {
	c, err := Connect()
	if err != nil {
		return nil, "", err
	}
	if err := c.InstallRamp(); err != nil {
		return nil, "", fmt.Errorf("install ramp: %w", err)
	}
	bin, err := BuildController(dir)
	return c, bin, err
}

// BuildController compiles cmd/ramp-controller into dir and returns the binary's path.
func BuildController(dir string) (string, error) {
	bin := filepath.Join(dir, "ramp-controller")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/ramp-controller")
	cmd.Dir = RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build ramp-controller: %w\n%s", err, out)
	}
	return bin, nil
}

// Controller is ramp-controller running as a child process of the test, as the controller's
// ServiceAccount. Its output goes to a file that is written into the test log when the test
// fails.
type Controller struct {
	t          testing.TB
	bin        string
	kubeconfig string
	args       []string
	logPath    string
	ProbeAddr  string
	MetricAddr string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// StartController starts the controller binary with its own identity and free ports, waits
// until it reports ready, and stops it when the test ends. Extra flags go in args.
func (c *Cluster) StartController(t testing.TB, bin string, args ...string) *Controller {
	t.Helper()
	dir := t.TempDir()
	ctrl := &Controller{
		t: t, bin: bin, kubeconfig: c.ControllerKubeconfig, args: args,
		logPath:    filepath.Join(dir, "controller.log"),
		ProbeAddr:  FreeAddr(t),
		MetricAddr: FreeAddr(t),
	}
	t.Cleanup(func() {
		ctrl.Stop()
		if denial := RBACDenial(ctrl.Logs(), c.Restarts()...); denial != "" {
			t.Errorf("the controller was denied by RBAC, so config/rbac lacks a rule: %s", denial)
		}
		if t.Failed() {
			t.Logf("==== controller log ====\n%s", ctrl.Logs())
		}
	})
	ctrl.Start()
	return ctrl
}

// Start starts the process (again) and waits until /readyz answers 200.
func (c *Controller) Start() {
	c.t.Helper()
	logFile, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		c.t.Fatalf("controller log: %v", err)
	}
	args := append([]string{
		"--kubeconfig=" + c.kubeconfig,
		"--health-probe-bind-address=" + c.ProbeAddr,
		"--metrics-bind-address=" + c.MetricAddr,
		// The local cluster's Prometheus and the tests' endpoints listen on loopback; the API
		// server, on loopback too, stays refused.
		"--analysis-egress-allow-cidrs=127.0.0.0/8",
	}, c.args...)
	cmd := exec.Command(c.bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// The controller dies with the test binary, whatever way the test ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		c.t.Fatalf("start controller: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logFile.Close(); close(done) }()
	c.mu.Lock()
	c.cmd, c.done = cmd, done
	c.mu.Unlock()

	testenv.Eventually(c.t, 60*time.Second, "controller /readyz", func(ctx context.Context) (bool, string, error) {
		select {
		case <-done:
			return false, "", errors.New("controller exited: " + cmd.ProcessState.String())
		default:
		}
		code, err := httpStatus(ctx, "http://"+c.ProbeAddr+"/readyz")
		return code == http.StatusOK, "status " + strconv.Itoa(code), err
	})
}

// Stop sends SIGTERM and waits for the process to exit, killing it after 15 s.
func (c *Controller) Stop() {
	c.mu.Lock()
	cmd, done := c.cmd, c.done
	c.cmd = nil
	c.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// Kill ends the process at once, as a crash or an evicted pod would.
func (c *Controller) Kill() {
	c.mu.Lock()
	cmd, done := c.cmd, c.done
	c.cmd = nil
	c.mu.Unlock()
	if cmd != nil {
		_ = cmd.Process.Kill()
		<-done
	}
}

// Restart stops the controller and starts it again with the same flags and ports.
func (c *Controller) Restart() {
	c.t.Helper()
	c.Stop()
	c.Start()
}

// Exited reports whether the process has ended on its own.
func (c *Controller) Exited() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		return false
	}
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Pid is the running process's ID, 0 when it is not running.
func (c *Controller) Pid() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd == nil || c.cmd.Process == nil {
		return 0
	}
	return c.cmd.Process.Pid
}

// Logs returns everything the controller has written so far, across restarts.
func (c *Controller) Logs() string {
	data, err := os.ReadFile(c.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	return string(data)
}

func httpStatus(ctx context.Context, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// FreeAddr returns a loopback address with a port nothing listens on right now.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// RBACDenial returns the first log line in which the API server refused the controller's
// ServiceAccount for lack of permission, or "". (A namespace being deleted also answers
// "forbidden", in other words: that is not a missing rule.) Lines logged within one of the
// windows are skipped: an API server that has just started denies until its RBAC caches
// fill.
func RBACDenial(logs string, windows ...Window) string {
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(strings.ReplaceAll(line, `\"`, `"`), `User "system:serviceaccount:`+ControllerNamespace+`:ramp-controller" cannot`) && !loggedWithin(line, windows) {
			return line
		}
	}
	return ""
}

// Window is a span of time, such as an API server's restart.
type Window struct{ From, To time.Time }

// loggedWithin reports whether a JSON log line's "ts" (RFC 3339, whole seconds) falls in a
// window.
func loggedWithin(line string, windows []Window) bool {
	_, rest, ok := strings.Cut(line, `"ts":"`)
	if !ok {
		return false
	}
	stamp, _, _ := strings.Cut(rest, `"`)
	ts, err := time.Parse(time.RFC3339, stamp)
	if err != nil {
		return false
	}
	for _, w := range windows {
		if !ts.Before(w.From.Truncate(time.Second)) && !ts.After(w.To) {
			return true
		}
	}
	return false
}
