package egress

import (
	"fmt"
	"io"
	"net/http"
)

// ErrTooLarge is the read error of a response body past its limit.
type ErrTooLarge struct{ Limit int64 }

func (e *ErrTooLarge) Error() string {
	return fmt.Sprintf("the response is larger than %d bytes", e.Limit)
}

// LimitResponses makes every response body of next fail with ErrTooLarge once more than limit
// bytes are read, so that a provider reading a tenant's endpoint never holds more.
func LimitResponses(next http.RoundTripper, limit int64) http.RoundTripper {
	return limitedTransport{next: next, limit: limit}
}

type limitedTransport struct {
	next  http.RoundTripper
	limit int64
}

func (t limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	resp.Body = &limitedBody{body: resp.Body, left: t.limit, limit: t.limit}
	return resp, nil
}

type limitedBody struct {
	body        io.ReadCloser
	left, limit int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, &ErrTooLarge{Limit: b.limit}
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.body.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n - int(-b.left), &ErrTooLarge{Limit: b.limit}
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.body.Close() }
