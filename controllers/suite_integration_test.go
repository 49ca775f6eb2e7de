//go:build integration

package controllers_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"testing"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/ramp-dev/ramp/controllers"
	"github.com/ramp-dev/ramp/pkg/egress"
	"github.com/ramp-dev/ramp/pkg/testenv"
)

var env *testenv.Env

// TestMain runs the real reconciler in a manager against envtest's API server. There is no
// ReplicaSet controller there: tests play its part by writing ReplicaSet status.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if env, err = testenv.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	ctrl.SetLogger(zap.New(zap.UseDevMode(true), zap.WriteTo(os.Stderr)))
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{Scheme: env.Client.Scheme(), Cache: controllers.CacheOptions(controllers.Options{}), Metrics: metricsserver.Options{BindAddress: "0"}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "manager:", err)
		return 1
	}
	// Prometheus and the tests' endpoints listen on loopback.
	opts := controllers.Options{Egress: &egress.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}}
	if err := controllers.SetupWithManager(mgr, opts); err != nil {
		fmt.Fprintln(os.Stderr, "setup:", err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
		}
	}()
	return m.Run()
}
