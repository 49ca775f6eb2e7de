package prometheus

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// maxRangeExpression bounds the length of a start or end expression.
const maxRangeExpression = 512

// ParseRange evaluates a range query's start and end at now and parses its step. Start and
// end are expr expressions that give a time, as Argo Rollouts writes them:
//
//	now() - duration("5m")
//
// now() is the measurement's time and duration() takes Go's units (ms, s, m, h); an RFC 3339
// time ("2026-01-02T15:04:05Z") or a Unix time in seconds may be written instead. An empty
// end is now(). The step is a duration (30s, 1m, 1d) or a number of seconds.
func ParseRange(r v1alpha1.PrometheusRangeQuery, now time.Time) (promv1.Range, error) {
	if strings.TrimSpace(r.Start) == "" {
		return promv1.Range{}, errors.New("rangeQuery.start is empty: give an expression such as now() - duration(\"5m\")")
	}
	start, err := EvalTime(r.Start, now)
	if err != nil {
		return promv1.Range{}, fmt.Errorf("rangeQuery.start: %w", err)
	}
	end := now
	if strings.TrimSpace(r.End) != "" {
		if end, err = EvalTime(r.End, now); err != nil {
			return promv1.Range{}, fmt.Errorf("rangeQuery.end: %w", err)
		}
	}
	step, err := ParseStep(r.Step)
	if err != nil {
		return promv1.Range{}, fmt.Errorf("rangeQuery.step: %w", err)
	}
	if end.Before(start) {
		return promv1.Range{}, fmt.Errorf("rangeQuery: end (%s) is before start (%s)", end.UTC().Format(time.RFC3339), start.UTC().Format(time.RFC3339))
	}
	return promv1.Range{Start: start, End: end, Step: step}, nil
}

// EvalTime evaluates a start or end expression at now.
func EvalTime(expression string, now time.Time) (t time.Time, err error) {
	expression = strings.TrimSpace(expression)
	if len(expression) > maxRangeExpression {
		return time.Time{}, fmt.Errorf("expression is longer than %d characters", maxRangeExpression)
	}
	if t, err := time.Parse(time.RFC3339Nano, expression); err == nil {
		return t, nil
	}
	defer func() {
		if r := recover(); r != nil {
			t, err = time.Time{}, fmt.Errorf("%q: %v", expression, r)
		}
	}()
	program, err := expr.Compile(expression,
		expr.Env(map[string]any{}),
		expr.Function("now", func(...any) (any, error) { return now, nil }, new(func() time.Time)),
		expr.MaxNodes(64),
	)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: %w", expression, err)
	}
	out, err := expr.Run(program, map[string]any{})
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: %w", expression, err)
	}
	switch v := out.(type) {
	case time.Time:
		return v, nil
	case int:
		return time.Unix(int64(v), 0), nil
	case int64:
		return time.Unix(v, 0), nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			break
		}
		sec, frac := math.Modf(v)
		return time.Unix(int64(sec), int64(frac*1e9)), nil
	case string:
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q gives %v (%T), not a time: write something like now() - duration(\"5m\")", expression, out, out)
}

// ParseStep parses a range query's step: a Go or Prometheus duration, or seconds.
func ParseStep(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("step is empty: give a duration such as 30s or 1m")
	}
	var d time.Duration
	if gd, err := time.ParseDuration(s); err == nil {
		d = gd
	} else if md, err := model.ParseDuration(s); err == nil {
		d = time.Duration(md)
	} else if sec, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(sec) && !math.IsInf(sec, 0) && math.Abs(sec) < 1e9 {
		d = time.Duration(sec * float64(time.Second))
	} else {
		return 0, fmt.Errorf("%q is not a duration such as 30s or 1m", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration", s)
	}
	return d, nil
}
