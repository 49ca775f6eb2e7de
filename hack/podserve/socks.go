package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// A SOCKS5 front (RFC 1928, CONNECT without authentication only) through which a proxy's
// HTTP client reaches pod IPs: each CONNECT names a pod's IP and port, and the tunnel is then
// served by the pod's app. A CONNECT to an address no running pod listens on is refused, as
// the pod's address would refuse it. Connections that do not start with SOCKS's version byte
// are podserve's own HTTP endpoints.

const (
	socksVersion    = 5
	handshakeTime   = 5 * time.Second
	maxTunnels      = 4096
	replySucceeded  = 0
	replyFailure    = 1
	replyRefused    = 5
	replyCmdUnsupp  = 7
	replyAddrUnsupp = 8
)

type targetKey struct{}

// target is the pod address a tunnel was opened to.
type target struct {
	IP   string
	Port int32
}

func (t target) String() string { return net.JoinHostPort(t.IP, strconv.Itoa(int(t.Port))) }

// targetOf is the tunnel's target in a request's context, for handlers of tunnelled requests.
func targetOf(ctx context.Context) (target, bool) {
	t, ok := ctx.Value(targetKey{}).(target)
	return t, ok
}

// tunnelConn is a connection whose SOCKS handshake is done; reads continue from the buffer.
type tunnelConn struct {
	net.Conn
	r      *bufio.Reader
	target *target // nil for a control connection
	done   func()
}

func (c *tunnelConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func (c *tunnelConn) Close() error {
	err := c.Conn.Close()
	if c.done != nil {
		c.done()
		c.done = nil
	}
	return err
}

// frontListener accepts TCP connections, does each one's SOCKS handshake in its own goroutine
// and hands the tunnels (and control connections) to the HTTP server that Accepts from it.
type frontListener struct {
	net.Listener
	has     func(target) bool
	conns   chan net.Conn
	tunnels chan struct{}
	once    sync.Once
	closed  chan struct{}
}

func newFrontListener(l net.Listener, has func(target) bool) *frontListener {
	f := &frontListener{Listener: l, has: has, conns: make(chan net.Conn), tunnels: make(chan struct{}, maxTunnels), closed: make(chan struct{})}
	go f.acceptLoop()
	return f
}

func (f *frontListener) acceptLoop() {
	for {
		c, err := f.Listener.Accept()
		if err != nil {
			f.Close()
			return
		}
		go f.handshake(c)
	}
}

func (f *frontListener) Accept() (net.Conn, error) {
	select {
	case c := <-f.conns:
		return c, nil
	case <-f.closed:
		return nil, net.ErrClosed
	}
}

func (f *frontListener) Close() error {
	var err error
	f.once.Do(func() { close(f.closed); err = f.Listener.Close() })
	return err
}

func (f *frontListener) handshake(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(handshakeTime))
	r := bufio.NewReader(c)
	first, err := r.Peek(1)
	if err != nil {
		c.Close()
		return
	}
	tc := &tunnelConn{Conn: c, r: r}
	if first[0] == socksVersion {
		t, err := f.socksConnect(c, r)
		if err != nil {
			c.Close()
			return
		}
		tc.target = &t
		tc.done = func() { <-f.tunnels }
	}
	_ = c.SetDeadline(time.Time{})
	select {
	case f.conns <- tc:
	case <-f.closed:
		tc.Close()
	}
}

// socksConnect reads a SOCKS5 greeting and CONNECT request, and answers it: succeeded when a
// pod listens on the target and a tunnel slot is free, refused otherwise.
func (f *frontListener) socksConnect(c net.Conn, r *bufio.Reader) (target, error) {
	var greeting [2]byte
	if _, err := io.ReadFull(r, greeting[:]); err != nil {
		return target{}, err
	}
	methods := make([]byte, greeting[1])
	if _, err := io.ReadFull(r, methods); err != nil {
		return target{}, err
	}
	noAuth := false
	for _, m := range methods {
		noAuth = noAuth || m == 0
	}
	if !noAuth {
		_, _ = c.Write([]byte{socksVersion, 0xff})
		return target{}, errors.New("socks: client offers no method without authentication")
	}
	if _, err := c.Write([]byte{socksVersion, 0}); err != nil {
		return target{}, err
	}
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return target{}, err
	}
	if head[0] != socksVersion {
		return target{}, fmt.Errorf("socks: version %d", head[0])
	}
	var ip net.IP
	switch head[3] {
	case 1:
		ip = make(net.IP, 4)
	case 4:
		ip = make(net.IP, 16)
	default:
		_ = reply(c, replyAddrUnsupp)
		return target{}, errors.New("socks: only IP addresses are pod addresses")
	}
	if _, err := io.ReadFull(r, ip); err != nil {
		return target{}, err
	}
	var port [2]byte
	if _, err := io.ReadFull(r, port[:]); err != nil {
		return target{}, err
	}
	if head[1] != 1 {
		_ = reply(c, replyCmdUnsupp)
		return target{}, errors.New("socks: only CONNECT")
	}
	t := target{IP: ip.String(), Port: int32(binary.BigEndian.Uint16(port[:]))}
	if !f.has(t) {
		_ = reply(c, replyRefused)
		return target{}, fmt.Errorf("socks: no pod listens on %s", t)
	}
	select {
	case f.tunnels <- struct{}{}:
	default:
		_ = reply(c, replyFailure)
		return target{}, errors.New("socks: too many tunnels")
	}
	if err := reply(c, replySucceeded); err != nil {
		<-f.tunnels
		return target{}, err
	}
	return t, nil
}

func reply(c net.Conn, code byte) error {
	_, err := c.Write([]byte{socksVersion, code, 0, 1, 0, 0, 0, 0, 0, 0})
	return err
}

// connContext puts a tunnel's target into its requests' context (http.Server.ConnContext).
func connContext(ctx context.Context, c net.Conn) context.Context {
	if tc, ok := c.(*tunnelConn); ok && tc.target != nil {
		return context.WithValue(ctx, targetKey{}, *tc.target)
	}
	return ctx
}
