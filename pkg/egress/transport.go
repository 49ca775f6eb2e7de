package egress

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"
)

// Resolver looks names up; net.DefaultResolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Resolve is host's addresses: itself when it is one, else what r (net.DefaultResolver when
// nil) answers.
func Resolve(ctx context.Context, r Resolver, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	if r == nil {
		r = net.DefaultResolver
	}
	return r.LookupNetIP(ctx, "ip", host)
}

// Dialer connects only where the policy allows.
type Dialer struct {
	Policy   *Policy
	Resolver Resolver
	Dialer   net.Dialer
}

// DialContext resolves addr's host itself, drops the addresses the policy refuses, and dials
// the others in turn. When every address is refused the error is the policy's.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("port %q: %w", portText, err)
	}
	ips, err := Resolve(ctx, d.Resolver, host)
	if err != nil {
		return nil, err
	}
	var refused, dialErr error
	for _, ip := range ips {
		target := netip.AddrPortFrom(ip.Unmap(), uint16(port))
		if err := d.Policy.Check(host, target); err != nil {
			refused = err
			continue
		}
		conn, err := d.Dialer.DialContext(ctx, network, target.String())
		if err == nil {
			return conn, nil
		}
		dialErr = err
	}
	if dialErr != nil {
		return nil, dialErr
	}
	if refused != nil {
		return nil, refused
	}
	return nil, fmt.Errorf("%s resolves to no address", host)
}

// Transport is an HTTP transport whose every connection, redirects included, goes through the
// policy. It uses no proxy: a proxy would make the connection on the policy's behalf, to
// addresses it never sees.
func (p *Policy) Transport(insecure bool) *http.Transport {
	d := &Dialer{Policy: p, Dialer: net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = d.DialContext
	if insecure {
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the metric asks for it
	}
	return t
}

// Unwrap finds the policy's refusal in a client error (net/http wraps the dialer's error in
// url.Error and net.OpError), nil when there is none.
func Unwrap(err error) *RefusedError {
	var r *RefusedError
	if errors.As(err, &r) {
		return r
	}
	return nil
}
