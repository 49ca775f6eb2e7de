package analysis

import (
	"strings"
	"testing"
)

// FuzzRedact: a secret (without the mask's own character) never survives redaction, whatever
// text surrounds it.
func FuzzRedact(f *testing.F) {
	for _, seed := range []struct{ text, secret string }{
		{"Bearer s3cr3t", "s3cr3t"},
		{`{"token":"a\"b"}`, `a"b`},
		{"url?q=a+b%2F", "a b/"},
		{"s3cr3t\n", "s3cr3t\n"},
		{"aaaa", "aa"},
	} {
		f.Add(seed.text, seed.secret)
	}
	f.Fuzz(func(t *testing.T, prefix, secret string) {
		if strings.TrimSpace(secret) == "" || strings.Contains(secret, "*") {
			return
		}
		text := prefix + secret + prefix
		if got := Redact(text, []string{secret}); strings.Contains(got, secret) {
			t.Fatalf("Redact(%q, %q) = %q: the secret survives", text, secret, got)
		}
	})
}
