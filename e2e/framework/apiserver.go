package framework

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ramp-dev/ramp/pkg/testenv"
)

// RestartAPIServer stops the local cluster's kube-apiserver (SIGTERM, then SIGKILL after 10
// s), waits until it has exited, starts it again with the same command
// line, and waits until it is ready. The new process belongs to the cluster, not the test: it
// outlives the test binary and hack/cluster-down.sh stops it by its PID file.
func (c *Cluster) RestartAPIServer(t testing.TB) {
	t.Helper()
	if c.ClusterDir == "" {
		t.Fatal("RAMP_E2E_CLUSTER_DIR is not set: run the e2e suite with hack/e2e.sh")
	}
	began := time.Now()
	pidFile := filepath.Join(c.ClusterDir, "pids", "kube-apiserver")
	pid, argv, err := runningComponent(pidFile, "kube-apiserver")
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatalf("stop kube-apiserver (pid %d): %v", pid, err)
	}
	// It stops serving at once but waits up to its request timeout (60 s) for open requests
	// before it exits: after 10 s it is killed, as a crashed API server would be.
	exited := func() bool { _, _, err := runningComponent(pidFile, "kube-apiserver"); return err != nil }
	for deadline := time.Now().Add(10 * time.Second); !exited() && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	if !exited() {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	testenv.Eventually(t, 30*time.Second, "kube-apiserver exited", func(context.Context) (bool, string, error) {
		return exited(), fmt.Sprintf("pid %d still runs", pid), nil
	})

	logFile, err := os.OpenFile(filepath.Join(c.ClusterDir, "logs", "kube-apiserver.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // as cluster-up starts it
	if err := cmd.Start(); err != nil {
		t.Fatalf("start kube-apiserver: %v", err)
	}
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Process.Release()
	testenv.Eventually(t, 2*time.Minute, "kube-apiserver ready again", func(ctx context.Context) (bool, string, error) {
		body, err := c.Clientset.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err != nil {
			return false, err.Error(), nil
		}
		return string(body) == "ok", string(body), nil
	})
	// Ready, it still denies for a few seconds while its RBAC informers catch up.
	c.mu.Lock()
	c.restarts = append(c.restarts, Window{From: began, To: time.Now().Add(15 * time.Second)})
	c.mu.Unlock()
}

// Restarts are the spans in which RestartAPIServer had the API server down or starting.
func (c *Cluster) Restarts() []Window {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Window(nil), c.restarts...)
}

// runningComponent reads a PID file of cluster-up and returns the PID and command line of the
// process, or an error when it is gone (or the PID was reused by another program).
func runningComponent(pidFile, name string) (int, []string, error) {
	data, err := os.ReadFile(pidFile)
	if err != nil {
		return 0, nil, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return 0, nil, fmt.Errorf("%s: %w", pidFile, err)
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return 0, nil, fmt.Errorf("%s (pid %d) is not running: %w", name, pid, err)
	}
	argv := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
	if len(argv) == 0 || filepath.Base(argv[0]) != name {
		return 0, nil, errors.New(name + " is not running: its PID is another program's")
	}
	if state, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && bytes.Contains(state, []byte(") Z ")) {
		return 0, nil, errors.New(name + " has exited (a zombie)")
	}
	return pid, argv, nil
}
