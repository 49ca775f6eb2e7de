// Command ramp-controller runs the ramp controllers in a controller-runtime manager.
package main

import (
	"crypto/sha256"
	"crypto/tls"
	"flag"
	"fmt"
	"math"
	"os"

	"github.com/KimMachineGun/automemlimit/memlimit"
	networkingistio "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	rolloutsv1alpha1 "github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/controllers"
	"github.com/ramp-dev/ramp/pkg/egress"
)

// leaderElectionID names the Lease the replicas compete for.
const leaderElectionID = "ramp-controller.rollouts.ramp.dev"

func main() {
	var (
		metricsAddr   string
		metricsSecure bool
		probeAddr     string
		leaderElect   bool
		leaderElectNS string
		leaderElectID string
		enableHTTP2   bool
		pprofAddr     string
		shard         string
		qps           float64
		burst         int
		opts          controllers.Options
	)
	flag.StringVar(&metricsAddr, "metrics-bind-address", ":8443",
		"Address the metrics endpoint binds to (:8443 for HTTPS, :8080 for HTTP, 0 to disable).")
	flag.BoolVar(&metricsSecure, "metrics-secure", true,
		"Serve metrics over HTTPS, allowing only callers the API server authorizes for GET /metrics.")
	flag.StringVar(&probeAddr, "health-probe-bind-address", ":8081", "Address the /healthz and /readyz probes bind to.")
	flag.BoolVar(&leaderElect, "leader-elect", false,
		"Elect a leader so that only one replica reconciles; turn on when running more than one.")
	flag.StringVar(&leaderElectNS, "leader-election-namespace", "",
		"Namespace of the leader-election Lease; empty means the controller's own namespace when in a cluster.")
	flag.StringVar(&leaderElectID, "leader-election-id", "",
		"Name of the leader-election Lease; empty means "+leaderElectionID+", with the shard's selector hashed in when --watches-label-selector is set.")
	flag.IntVar(&opts.RolloutWorkers, "rollout-workers", controllers.DefaultRolloutWorkers, "Rollouts reconciled at once.")
	flag.IntVar(&opts.AnalysisWorkers, "analysis-workers", controllers.DefaultAnalysisWorkers, "AnalysisRuns measured at once.")
	flag.StringVar(&shard, "watches-label-selector", "",
		"Drive only the Rollouts (and AnalysisRuns) whose labels match this selector, such as shard=a or '!shard': "+
			"one controller per shard, each with its own leader election.")
	flag.Float64Var(&qps, "kube-api-qps", 0,
		"Client-side limit on requests per second to the API server; 0 leaves controller-runtime's default (no client-side limit: the API server's priority and fairness throttles).")
	flag.IntVar(&burst, "kube-api-burst", 0, "Burst above --kube-api-qps; 0 leaves the default.")
	flag.StringVar(&pprofAddr, "pprof-bind-address", "", "Address for net/http/pprof profiles (such as 127.0.0.1:6060); empty disables it.")
	flag.BoolVar(&enableHTTP2, "enable-http2", false,
		"Allow HTTP/2 on the metrics server (off by default: HTTP/2 Rapid Reset, CVE-2023-44487).")
	zapOpts := zap.Options{}
	var egressAllow, egressAllowHosts, egressDeny string
	flag.StringVar(&egressAllow, "analysis-egress-allow-cidrs", "",
		"Comma-separated CIDRs the web and Prometheus providers may always reach, loopback and link-local included. With this or --analysis-egress-allow-hosts set, nothing else is reachable.")
	flag.StringVar(&egressAllowHosts, "analysis-egress-allow-hosts", "",
		"Comma-separated host names (or *.domain) the providers may reach, as long as they resolve outside the denied ranges.")
	flag.StringVar(&egressDeny, "analysis-egress-deny-cidrs", "",
		"Comma-separated CIDRs to deny beside the defaults (loopback, link-local and cloud metadata, multicast, unspecified).")
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	printVersionIfAsked()

	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	log := ctrl.Log.WithName("setup")
	// The cache is most of the heap, and Go's GC lets the heap grow to twice what is live
	// before collecting: in a container, collect before 90% of its memory limit instead.
	// Unset outside a cgroup limit, and GOMEMLIMIT, when set, wins.
	if limit, err := memlimit.Set(memlimit.WithRatio(0.9), memlimit.WithProvider(memlimit.FromCgroup)); err == nil && limit > 0 && limit < math.MaxInt64 {
		log.Info("Go memory limit from the container's", "bytes", limit)
	}

	metricsOpts := metricsserver.Options{BindAddress: metricsAddr, SecureServing: metricsSecure}
	if metricsSecure {
		metricsOpts.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	if !enableHTTP2 {
		metricsOpts.TLSOpts = []func(*tls.Config){func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }}
	}

	if shard != "" {
		sel, err := labels.Parse(shard)
		if err != nil {
			log.Error(err, "invalid --watches-label-selector")
			os.Exit(1)
		}
		opts.Shard = sel
	}
	policy, err := egress.ParsePolicy(egressAllow, egressAllowHosts, egressDeny)
	if err != nil {
		log.Error(err, "invalid analysis egress flags")
		os.Exit(1)
	}
	opts.Egress = policy
	if leaderElectID == "" {
		leaderElectID = shardLeaseName(shard)
	}
	cfg := ctrl.GetConfigOrDie()
	if qps > 0 {
		cfg.QPS = float32(qps)
	}
	if burst > 0 {
		cfg.Burst = burst
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                        newScheme(),
		Cache:                         controllers.CacheOptions(opts),
		Metrics:                       metricsOpts,
		HealthProbeBindAddress:        probeAddr,
		PprofBindAddress:              pprofAddr,
		LeaderElection:                leaderElect,
		LeaderElectionID:              leaderElectID,
		LeaderElectionNamespace:       leaderElectNS,
		LeaderElectionReleaseOnCancel: true,
	})
	if err != nil {
		log.Error(err, "unable to create manager")
		os.Exit(1)
	}
	if err := controllers.SetupWithManager(mgr, opts); err != nil {
		log.Error(err, "unable to set up controllers")
		os.Exit(1)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		log.Error(err, "unable to set up health check")
		os.Exit(1)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		log.Error(err, "unable to set up ready check")
		os.Exit(1)
	}

	log.Info("starting manager", "version", version, "leaderElect", leaderElect, "lease", leaderElectID, "shard", shard,
		"rolloutWorkers", opts.RolloutWorkers, "analysisWorkers", opts.AnalysisWorkers, "metricsAddr", metricsAddr, "probeAddr", probeAddr)
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		log.Error(err, "manager exited with an error")
		os.Exit(1)
	}
}

// shardLeaseName is the leader-election Lease of a shard: each shard elects its own leader.
func shardLeaseName(selector string) string {
	if selector == "" {
		return leaderElectionID
	}
	sum := sha256.Sum256([]byte(selector))
	return fmt.Sprintf("%x.%s", sum[:5], leaderElectionID)
}

func newScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(rolloutsv1alpha1.AddToScheme(s))
	utilruntime.Must(networkingistio.AddToScheme(s))
	utilruntime.Must(gatewayv1.Install(s))
	return s
}
