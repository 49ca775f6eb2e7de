package controllers

import (
	"context"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"time"

	"k8s.io/client-go/rest"

	"github.com/ramp-dev/ramp/pkg/egress"
)

// apiServerEndpoints are the addresses the controller reaches its API server at (its
// kubeconfig's, and the in-cluster Service's): analysis must never call them with the
// controller's network position, whatever ranges the operator allows.
func apiServerEndpoints(ctx context.Context, cfg *rest.Config) []netip.AddrPort {
	var out []netip.AddrPort
	add := func(host, port string) {
		p, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		ips, _ := egress.Resolve(ctx, nil, host)
		for _, ip := range ips {
			out = append(out, netip.AddrPortFrom(ip.Unmap(), uint16(p)))
		}
	}
	if u, err := url.Parse(cfg.Host); err == nil && u.Hostname() != "" {
		port := u.Port()
		switch {
		case port == "" && u.Scheme == "http":
			port = "80"
		case port == "":
			port = "443"
		}
		add(u.Hostname(), port)
	}
	if h, p := os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT"); h != "" && p != "" {
		add(h, p)
	}
	return out
}

// egressPolicy is the operator's policy with the API server added to what is never reached.
func (o Options) egressPolicy(ctx context.Context, cfg *rest.Config) *egress.Policy {
	p := egress.Policy{}
	if o.Egress != nil {
		p = *o.Egress
	}
	p.Never = append(append([]netip.AddrPort(nil), p.Never...), apiServerEndpoints(ctx, cfg)...)
	return &p
}
