package analysis

import "testing"

func TestReadableValue(t *testing.T) {
	for in, want := range map[string]string{
		"0.3999999999999999":         "0.4",
		"0.4000000000000002":         "0.4",
		"0.123456789":                "0.123457",
		"123456789":                  "123456789",
		"1234.56789":                 "1234.57",
		"0.000012345678":             "1.23457e-05",
		"-2.5":                       "-2.5",
		"0":                          "0",
		"NaN":                        "NaN",
		"+Inf":                       "+Inf",
		"[0.3999999999999999, 1]":    "[0.4, 1]",
		"[0.95]":                     "[0.95]",
		"[]":                         "[]",
		"ok":                         "ok",
		"[a, b]":                     "[a, b]",
		`{"ok":0.30000000000000004}`: `{"ok":0.30000000000000004}`,
	} {
		if got := ReadableValue(in); got != want {
			t.Errorf("ReadableValue(%q) = %q, want %q", in, got, want)
		}
	}
}
