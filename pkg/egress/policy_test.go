package egress

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestPolicyCheck(t *testing.T) {
	loopback := netip.MustParsePrefix("127.0.0.0/8")
	api := netip.MustParseAddrPort("127.0.0.1:6443")
	cases := []struct {
		name   string
		policy Policy
		host   string
		addr   string
		want   string // "" when allowed, else a part of the refusal
	}{
		{"public address", Policy{}, "example.com", "93.184.216.34:443", ""},
		{"cloud metadata", Policy{}, "169.254.169.254", "169.254.169.254:80", "link-local"},
		{"metadata as IPv4-mapped IPv6", Policy{}, "::ffff:169.254.169.254", "[::ffff:169.254.169.254]:80", "link-local"},
		{"loopback by name", Policy{}, "localhost", "127.0.0.1:9090", "loopback"},
		{"IPv6 loopback", Policy{}, "::1", "[::1]:9090", "loopback"},
		{"unspecified", Policy{}, "0.0.0.0", "0.0.0.0:80", "unspecified"},
		{"Alibaba metadata", Policy{}, "100.100.100.200", "100.100.100.200:80", "metadata"},
		{"operator denies a range", Policy{Deny: []netip.Prefix{netip.MustParsePrefix("10.96.0.0/12")}}, "kube-dns", "10.96.0.10:53", "--analysis-egress-deny-cidrs"},
		{"operator allows loopback", Policy{Allow: []netip.Prefix{loopback}}, "localhost", "127.0.0.1:9090", ""},
		{"allowlist refuses the rest", Policy{Allow: []netip.Prefix{loopback}}, "example.com", "93.184.216.34:443", "only the operator's"},
		{"allowed host", Policy{AllowHosts: []string{"prometheus.monitoring.svc"}}, "Prometheus.Monitoring.svc.", "10.0.0.7:9090", ""},
		{"allowed subdomain", Policy{AllowHosts: []string{"*.example.com"}}, "metrics.example.com", "93.184.216.34:443", ""},
		{"the wildcard is not the domain", Policy{AllowHosts: []string{"*.example.com"}}, "example.com", "93.184.216.34:443", "only the operator's"},
		{"an allowed name that resolves to metadata", Policy{AllowHosts: []string{"evil.example.com"}}, "evil.example.com", "169.254.169.254:80", "link-local"},
		{"the API server even on an allowed range", Policy{Allow: []netip.Prefix{loopback}, Never: []netip.AddrPort{api}}, "127.0.0.1", "127.0.0.1:6443", "API server"},
		{"another port of the API server's address", Policy{Allow: []netip.Prefix{loopback}, Never: []netip.AddrPort{api}}, "127.0.0.1", "127.0.0.1:9090", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.policy.Check(c.host, netip.MustParseAddrPort(c.addr))
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && err == nil:
				t.Fatalf("allowed; want a refusal saying %q", c.want)
			case c.want != "" && !strings.Contains(err.Error(), c.want):
				t.Fatalf("refusal %q does not say %q", err, c.want)
			case c.want != "" && !IsRefused(err):
				t.Fatalf("%v is not a RefusedError", err)
			}
		})
	}
}

type fakeResolver map[string][]netip.Addr

func (r fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := r[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// The resolved address is what is checked, not the name: a name the attacker controls may
// point anywhere.
func TestDialerChecksResolvedAddresses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	defer srv.Close()
	port := netip.MustParseAddrPort(srv.Listener.Addr().String()).Port()
	policy := &Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	d := &Dialer{Policy: policy, Resolver: fakeResolver{
		"rebind.example": {netip.MustParseAddr("169.254.169.254")},
		"mixed.example":  {netip.MustParseAddr("169.254.169.254"), netip.MustParseAddr("127.0.0.1")},
	}}
	ctx := context.Background()
	if _, err := d.DialContext(ctx, "tcp", net.JoinHostPort("rebind.example", "80")); !IsRefused(err) {
		t.Fatalf("dial of a name resolving to metadata: %v, want the policy's refusal", err)
	}
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort("mixed.example", portText(port)))
	if err != nil {
		t.Fatalf("dial of a name with one allowed address: %v", err)
	}
	_ = conn.Close()
}

func portText(p uint16) string { return fmt.Sprint(p) }

// Every redirect hop is dialled through the policy.
func TestTransportChecksEveryRedirectHop(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "secret") }))
	defer target.Close()
	// 127.0.0.2 is loopback too, and outside what the policy allows.
	hop := strings.Replace(target.URL, "127.0.0.1", "127.0.0.2", 1)
	first := httptest.NewServer(http.RedirectHandler(hop, http.StatusFound))
	defer first.Close()
	policy := &Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	client := &http.Client{Transport: policy.Transport(false)}
	resp, err := client.Get(first.URL)
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		t.Fatalf("the redirect to %s was followed (body %q)", hop, body)
	}
	var refused *RefusedError
	if !errors.As(err, &refused) || refused.Addr.Addr() != netip.MustParseAddr("127.0.0.2") {
		t.Fatalf("err %v: want the policy refusing 127.0.0.2", err)
	}
}

func TestLimitResponses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, strings.Repeat("x", 100))
	}))
	defer srv.Close()
	allow := &Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	for _, c := range []struct {
		limit   int64
		tooLong bool
	}{{99, true}, {100, false}, {1000, false}} {
		client := &http.Client{Transport: LimitResponses(allow.Transport(false), c.limit)}
		resp, err := client.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		var tooLarge *ErrTooLarge
		if got := errors.As(err, &tooLarge); got != c.tooLong || int64(len(body)) > c.limit {
			t.Errorf("limit %d: read %d bytes, err %v; want too large: %v, never more than the limit", c.limit, len(body), err, c.tooLong)
		}
	}
}

func TestParsePrefixes(t *testing.T) {
	got, err := ParsePrefixes(" 10.0.0.0/8, 192.168.1.7 ,,fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "192.168.1.7/32", "fd00::/8"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("got %v, want %v", got, want)
		}
	}
	if _, err := ParsePrefixes("10.0.0.0/33"); err == nil {
		t.Error("10.0.0.0/33 parsed")
	}
	if _, err := ParsePrefixes("prometheus"); err == nil || !strings.Contains(err.Error(), "neither a CIDR nor an address") {
		t.Errorf("a name in a CIDR list: %v", err)
	}
}

func TestParsePolicy(t *testing.T) {
	p, err := ParsePolicy("127.0.0.0/8", " prometheus.monitoring.svc, *.example.com ,", "10.96.0.0/12")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Allow) != 1 || len(p.Deny) != 1 || strings.Join(p.AllowHosts, ",") != "prometheus.monitoring.svc,*.example.com" {
		t.Errorf("policy %+v", p)
	}
	if _, err := ParsePolicy("", "", "nonsense"); err == nil || !strings.Contains(err.Error(), "--analysis-egress-deny-cidrs") {
		t.Errorf("a bad deny list: %v, want an error naming the flag", err)
	}
}
