package testenv

import (
	"io"
	"net"
	"sync"
	"testing"
)

// BlackHole listens on loopback, accepts connections and never answers, as a hung server; it
// closes everything when the test ends. It returns the listener's host:port.
func BlackHole(t testing.TB) string {
	t.Helper()
	return NewHole(t).Addr
}

// Hole is a BlackHole that also tells what its clients did.
type Hole struct {
	Addr string

	mu       sync.Mutex
	accepted int
	closed   map[int]bool // by connection, counting from 1: the client closed its end
}

// NewHole starts a black hole and closes it when the test ends.
func NewHole(t testing.TB) *Hole {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &Hole{Addr: l.Addr().String(), closed: map[int]bool{}}
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			h.mu.Lock()
			h.accepted++
			n := h.accepted
			conns = append(conns, c)
			h.mu.Unlock()
			go func() { // reading ends when the client closes its end (or the test does)
				_, _ = io.Copy(io.Discard, c)
				h.mu.Lock()
				h.closed[n] = true
				h.mu.Unlock()
			}()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return h
}

// FirstStillOpen is how many connections the hole accepted, and whether the client still
// holds the first one open (it has not given up on its answer).
func (h *Hole) FirstStillOpen() (accepted int, open bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.accepted, h.accepted > 0 && !h.closed[1]
}
