package framework

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BuildPlugin builds kubectl-ramp into dir, where kubectl finds it as a plugin once dir is on
// PATH.
func BuildPlugin(dir string) (string, error) {
	bin := filepath.Join(dir, "kubectl-ramp")
	cmd := exec.Command("go", "build", "-ldflags", "-X main.version=e2e", "-o", bin, "./cmd/kubectl-ramp")
	cmd.Dir = RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build kubectl-ramp: %w\n%s", err, out)
	}
	return bin, nil
}

// PluginResult is what one kubectl ramp command printed and how it ended.
type PluginResult struct {
	Stdout, Stderr string
	Code           int
}

func (r PluginResult) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
}

// Ramp runs `kubectl ramp ARGS` through the cluster's kubectl, which finds the plugin on
// PATH, as the cluster's administrator in namespace ns. It fails the test only if the command
// cannot run at all or does not end within timeout; the exit code is the caller's to check.
func (c *Cluster) Ramp(t testing.TB, plugin, ns string, timeout time.Duration, args ...string) PluginResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := c.rampCommand(ctx, plugin, ns, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := PluginResult{Stdout: stdout.String(), Stderr: stderr.String(), Code: cmd.ProcessState.ExitCode()}
	var exit *exec.ExitError
	if ctx.Err() != nil {
		t.Fatalf("kubectl ramp %s did not end within %s\n%s", strings.Join(args, " "), timeout, res)
	} else if err != nil && !errors.As(err, &exit) {
		t.Fatalf("kubectl ramp %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// Background is a kubectl ramp command left running (get --watch), read while it runs.
type Background struct {
	cmd    *exec.Cmd
	stdout *syncBuffer
	done   chan error
}

// RampBackground starts `kubectl ramp ARGS` and leaves it running; it is interrupted when the
// test ends if it still runs.
func (c *Cluster) RampBackground(t testing.TB, plugin, ns string, args ...string) *Background {
	t.Helper()
	cmd := c.rampCommand(context.Background(), plugin, ns, args...)
	b := &Background{cmd: cmd, stdout: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = b.stdout, b.stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("start kubectl ramp %s: %v", strings.Join(args, " "), err)
	}
	go func() { b.done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return b
}

// Output is everything the command printed so far.
func (b *Background) Output() string { return b.stdout.String() }

// Interrupt sends SIGINT (Ctrl-C) to the command (kubectl passes it on to the plugin, its
// child, through the process group) and waits up to timeout for it to end.
func (b *Background) Interrupt(timeout time.Duration) (exitCode int, err error) {
	if err := syscall.Kill(-b.cmd.Process.Pid, syscall.SIGINT); err != nil {
		return -1, err
	}
	select {
	case <-b.done:
		return b.cmd.ProcessState.ExitCode(), nil
	case <-time.After(timeout):
		return -1, fmt.Errorf("still running %s after SIGINT", timeout)
	}
}

func (c *Cluster) rampCommand(ctx context.Context, plugin, ns string, args ...string) *exec.Cmd {
	// kubectl finds a plugin only when its name comes first: the kubeconfig goes by env.
	all := append([]string{"ramp", "-n", ns}, args...)
	cmd := exec.CommandContext(ctx, filepath.Join(c.BinDir, "kubectl"), all...)
	cmd.Dir = RepoRoot()
	cmd.Env = append(os.Environ(), "KUBECONFIG="+c.Kubeconfig, "PATH="+filepath.Dir(plugin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// syncBuffer is a bytes.Buffer written by a process and read by the test at the same time.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
