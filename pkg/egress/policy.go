// Package egress is the operator's policy for where analysis providers may connect: the web
// and Prometheus providers call URLs a namespace user writes, with the controller's network
// position, so an unchecked URL reaches whatever the controller can (cloud metadata, the API
// server, loopback services).
//
// The policy is enforced where the connection is made: every request, redirects included, is
// dialled by Policy.DialContext, which resolves the name itself and checks each resolved
// address, so neither a redirect nor a DNS answer changed between check and use can reach a
// refused address.
package egress

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// DefaultDeny are the addresses refused unless the operator allows them: loopback, link-local
// (cloud metadata at 169.254.169.254 among them), unspecified, multicast, and the metadata
// addresses that are not link-local (Alibaba Cloud's, AWS's IPv6 one).
var DefaultDeny = []netip.Prefix{
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("::/128"),
	netip.MustParsePrefix("224.0.0.0/4"),
	netip.MustParsePrefix("ff00::/8"),
	netip.MustParsePrefix("100.100.100.200/32"),
	netip.MustParsePrefix("fd00:ec2::254/128"),
}

// Policy says which addresses the providers may connect to. The zero Policy denies
// DefaultDeny and allows the rest.
type Policy struct {
	// Allow are address ranges always allowed, DefaultDeny included (a Prometheus on
	// loopback in a test cluster). When Allow or AllowHosts is set, nothing else is allowed.
	Allow []netip.Prefix
	// AllowHosts are host names allowed ("prometheus.monitoring.svc", or "*.example.com" for
	// its subdomains), as long as they resolve to addresses outside the deny list.
	AllowHosts []string
	// Deny are more address ranges to refuse, beside DefaultDeny.
	Deny []netip.Prefix
	// Never are endpoints refused whatever Allow says: the API server's.
	Never []netip.AddrPort
}

// RefusedError is a connection the policy refused.
type RefusedError struct {
	Host string
	Addr netip.AddrPort
	Rule string
}

func (e *RefusedError) Error() string {
	target := e.Addr.String()
	if e.Host != "" && e.Host != e.Addr.Addr().String() {
		target = fmt.Sprintf("%s (%s)", e.Host, e.Addr)
	}
	return fmt.Sprintf("the analysis egress policy refuses %s: %s", target, e.Rule)
}

// IsRefused tells whether err is, or wraps, a refusal of the policy.
func IsRefused(err error) bool {
	var r *RefusedError
	return errors.As(err, &r)
}

// Check is nil when a connection to addr, reached by the name host, is allowed.
func (p *Policy) Check(host string, addr netip.AddrPort) error {
	ip := addr.Addr().Unmap()
	addr = netip.AddrPortFrom(ip, addr.Port())
	refuse := func(rule string) error { return &RefusedError{Host: host, Addr: addr, Rule: rule} }
	for _, n := range p.Never {
		if n.Addr().Unmap() == ip && n.Port() == addr.Port() {
			return refuse("it is the Kubernetes API server, which analysis never calls")
		}
	}
	if contains(p.Allow, ip) {
		return nil
	}
	if contains(DefaultDeny, ip) {
		return refuse("loopback, link-local (cloud metadata), multicast and unspecified addresses are denied; " +
			"an operator allows a range with --analysis-egress-allow-cidrs")
	}
	if contains(p.Deny, ip) {
		return refuse("the operator denies it (--analysis-egress-deny-cidrs)")
	}
	if len(p.Allow) == 0 && len(p.AllowHosts) == 0 {
		return nil
	}
	if p.hostAllowed(host) {
		return nil
	}
	return refuse("only the operator's --analysis-egress-allow-cidrs and --analysis-egress-allow-hosts are allowed")
}

func (p *Policy) hostAllowed(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, h := range p.AllowHosts {
		h = strings.ToLower(strings.TrimSuffix(h, "."))
		if suffix, ok := strings.CutPrefix(h, "*."); ok {
			if strings.HasSuffix(host, "."+suffix) {
				return true
			}
		} else if host == h {
			return true
		}
	}
	return false
}

func contains(prefixes []netip.Prefix, ip netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// ParsePrefixes parses a comma-separated list of CIDRs or single addresses.
func ParsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("%q is neither a CIDR nor an address", f)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR: %v", f, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// ParsePolicy is the policy ramp-controller's flags give: comma-separated CIDRs (or addresses)
// to allow and to deny, and host names to allow.
func ParsePolicy(allowCIDRs, allowHosts, denyCIDRs string) (*Policy, error) {
	p := &Policy{}
	var err error
	if p.Allow, err = ParsePrefixes(allowCIDRs); err != nil {
		return nil, fmt.Errorf("--analysis-egress-allow-cidrs: %w", err)
	}
	if p.Deny, err = ParsePrefixes(denyCIDRs); err != nil {
		return nil, fmt.Errorf("--analysis-egress-deny-cidrs: %w", err)
	}
	for _, h := range strings.Split(allowHosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			p.AllowHosts = append(p.AllowHosts, h)
		}
	}
	return p, nil
}
