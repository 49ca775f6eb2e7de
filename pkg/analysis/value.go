package analysis

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// readableDigits is how many significant digits a value keeps in messages.
const readableDigits = 6

// ReadableValue is a measurement's value as people read it in messages, Events and the
// plugin: a number, or a list of numbers as [a, b], at six significant digits, so that
// 0.3999999999999999 reads 0.4 (the measurement keeps the exact value). Integers keep every
// digit; anything that is not a number or a list of numbers is returned as it is.
func ReadableValue(text string) string {
	s := strings.TrimSpace(text)
	if inner, ok := strings.CutPrefix(s, "["); ok {
		inner, ok = strings.CutSuffix(inner, "]")
		if !ok {
			return text
		}
		if strings.TrimSpace(inner) == "" {
			return "[]"
		}
		parts := strings.Split(inner, ",")
		values := make([]float64, len(parts))
		for i, p := range parts {
			f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				return text
			}
			values[i] = f
		}
		return list(values, readableFloat)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return text
	}
	return readableFloat(f)
}

// ExactValue writes a measured number as Prometheus does: NaN, +Inf, -Inf or the shortest
// decimal that reads back as the same number. It is what a measurement keeps.
func ExactValue(f float64) string {
	if s, ok := notFinite(f); ok {
		return s
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// ExactValues writes a list of measured numbers as [a, b], each as ExactValue does.
func ExactValues(fs []float64) string { return list(fs, ExactValue) }

func list(fs []float64, format func(float64) string) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = format(f)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func notFinite(f float64) (string, bool) {
	switch {
	case math.IsNaN(f):
		return "NaN", true
	case math.IsInf(f, 1):
		return "+Inf", true
	case math.IsInf(f, -1):
		return "-Inf", true
	}
	return "", false
}

func readableFloat(f float64) string {
	if s, ok := notFinite(f); ok {
		return s
	}
	switch {
	case f == 0:
		return "0"
	case math.Abs(f) < 1e-4 || math.Abs(f) >= 1e21:
		return strconv.FormatFloat(f, 'g', readableDigits, 64)
	}
	intDigits := int(math.Floor(math.Log10(math.Abs(f)))) + 1
	out := strconv.FormatFloat(f, 'f', max(0, readableDigits-intDigits), 64)
	if strings.Contains(out, ".") {
		out = strings.TrimRight(strings.TrimRight(out, "0"), ".")
	}
	return out
}

// MaxStoredBytes bounds a measurement's value and its message as the run's status records
// them: a provider's answer is the tenant's to shape, and the run (with its retained
// measurements) must stay far below etcd's object size limit.
const MaxStoredBytes = 1024

// Truncate cuts s to at most n bytes on a rune boundary, marking the cut with "...".
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := max(n-len("..."), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// Excerpt is s fit for a log line or an Event: control characters (newlines included) as
// spaces, invalid UTF-8 replaced, and cut to at most n bytes.
func Excerpt(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return Truncate(s, n)
}
