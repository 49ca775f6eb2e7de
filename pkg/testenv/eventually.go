package testenv

import (
	"context"
	"testing"
	"time"
)

// PollInterval is how often Eventually checks; short, since every check is a cheap read.
const PollInterval = 250 * time.Millisecond

// Eventually calls check until it reports done, failing the test when timeout passes first.
// check returns a description of what it saw, shown on failure, and an error that is treated
// as "not yet" (the last one is shown too).
func Eventually(t testing.TB, timeout time.Duration, what string, check func(ctx context.Context) (done bool, saw string, err error)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var (
		saw     string
		lastErr error
	)
	for {
		var done bool
		done, saw, lastErr = check(ctx)
		if done && lastErr == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("timed out after %s waiting for %s; last saw: %s; last error: %v", timeout, what, saw, lastErr)
		case <-time.After(PollInterval):
		}
	}
}
