package analysis

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func TestCompileErrors(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want string // substring of the error
	}{
		{"", "empty"},
		{"   ", "empty"},
		{"result <", `condition "result <"`},
		{"result < 5 )", "unexpected token"},
		{"1", "gives a int, not a bool"},
		{"'x'", "gives a string, not a bool"},
		{"1 + 2", "not a bool"},
		{"isNaN(1, 2)", "too many arguments"},
		{"default(result)", "not enough arguments"},
		{"len(1)", "invalid argument for len"},
		{"nosuch(result)", "unknown name nosuch"},
		{"foo > 1", "unknown name foo"},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			c, err := Compile(tc.expr)
			if err == nil {
				t.Fatalf("Compile(%q) = %v, want an error containing %q", tc.expr, c, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Compile(%q) error = %q, want it to contain %q", tc.expr, err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestConditionEval(t *testing.T) {
	nan := math.NaN()
	web := map[string]any{
		"data": map[string]any{"ok": true, "rate": 0.02, "status": "green", "items": []any{1.0, 2.0, 3.0}},
	}
	for _, tc := range []struct {
		name    string
		expr    string
		result  any
		want    bool
		wantErr string // substring; empty: no error
	}{
		// scalars, floats compared with ints
		{"float below int", "result < 5", 4.5, true, ""},
		{"float above int", "result < 5", 5.5, false, ""},
		{"float equals int", "result == 5", 5.0, true, ""},
		{"float vs float", "result <= 0.05", 0.05, true, ""},
		{"int result", "result > 1", 2, true, ""},
		{"int64 result", "result > 1", int64(0), false, ""},
		{"NaN compares false", "result < 5", nan, false, ""},
		{"NaN compares false >=", "result >= 5", nan, false, ""},
		{"and or", "result > 1 && result < 3 || result == 10", 10.0, true, ""},
		{"not", "!(result > 1)", 0.5, true, ""},
		// vectors
		{"index", "result[0] < 5", []float64{4, 9}, true, ""},
		{"index second", "result[1] < 5", []float64{4, 9}, false, ""},
		{"negative index", "result[-1] == 9", []float64{4, 9}, true, ""},
		{"index out of range", "result[2] < 5", []float64{4, 9}, false, "out of range"},
		{"index on empty", "result[0] < 5", []float64{}, false, "out of range"},
		{"len vector", "len(result) == 2", []float64{4, 9}, true, ""},
		{"len empty vector", "len(result) == 0", []float64{}, true, ""},
		{"len nil vector", "len(result) == 0", []float64(nil), true, ""},
		{"all", "all(result, # < 10)", []float64{4, 9}, true, ""},
		{"any", "any(result, # > 5)", []float64{4, 9}, true, ""},
		{"none", "none(result, # > 50)", []float64{4, 9}, true, ""},
		{"filter count", "len(filter(result, # > 5)) == 1", []float64{4, 9}, true, ""},
		{"map sum", "sum(map(result, # * 2)) == 26", []float64{4, 9}, true, ""},
		{"max", "max(result) < 10", []float64{4, 9}, true, ""},
		{"mean", "mean(result) == 6.5", []float64{4, 9}, true, ""},
		{"count", "count(result, # > 5) == 1", []float64{4, 9}, true, ""},
		{"find", "find(result, # > 5) == 9", []float64{4, 9}, true, ""},
		{"findIndex", "findIndex(result, # > 5) == 1", []float64{4, 9}, true, ""},
		{"one", "one(result, # > 5)", []float64{4, 9}, true, ""},
		{"reduce", "reduce(result, #acc + #, 0) == 13", []float64{4, 9}, true, ""},
		{"sum with predicate", "sum(result, # * 2) == 26", []float64{4, 9}, true, ""},
		{"sortBy", "sortBy(result, -#)[0] == 9", []float64{4, 9}, true, ""},
		{"groupBy", "len(groupBy(result, # > 5)) == 2", []float64{4, 9}, true, ""},
		{"first last min", "first(result) == 4 && last(result) == 9 && min(result) == 4", []float64{4, 9}, true, ""},
		{"index variable", "all(map(result, #index), # < 2)", []float64{4, 9}, true, ""},
		{"nested predicates", "all(result, any(result, # > 0))", []float64{4, 9}, true, ""},
		{"typed range", "sum(map(1..3, # * 2)) == 12", nil, true, ""},
		{"vector compared as scalar", "result < 5", []float64{4}, false, `compares result with a number, but result is a list here ([]float64 [4]): compare one of its values, as in "result[0] < 5"`},
		{"vector compared for equality", "result == 0", []float64{0}, false, `as in "result[0] == 0"`},
		{"number on the left", "0.95 <= result && isNaN(result) == false", []float64{1}, false, `as in "0.95 <= result[0] && isNaN(result[0]) == false"`},
		{"negative number", "result > -1", []float64{1}, false, `as in "result[0] > -1"`},
		{"indexed vector", "result[0] >= 0.95", []float64{0.99}, true, ""},
		{"scalar compared", "result < 5", 4.0, true, ""},
		{"list functions are fine", "len(result) > 0 && result[0] < 5", []float64{4}, true, ""},
		// helpers
		{"isNaN true", "isNaN(result)", nan, true, ""},
		{"isNaN false", "isNaN(result)", 1.0, false, ""},
		{"isNaN int", "isNaN(result)", 3, false, ""},
		{"isNaN of float32 NaN", "isNaN(result)", float32(math.NaN()), true, ""},
		{"isNaN of element", "isNaN(result[0])", []float64{nan}, true, ""},
		{"isNaN all", "all(result, !isNaN(#))", []float64{1, nan}, false, ""},
		{"isNaN of a list", "isNaN(result)", []float64{1}, false, "isNaN wants a number, got []float64 [1] (for a list use"},
		{"isNaN of a string", "isNaN(result)", "x", false, "isNaN wants a number, got string x"},
		{"isNaN of nil", "isNaN(result)", nil, false, "isNaN wants a number, got nil"},
		{"isInf +", "isInf(result)", math.Inf(1), true, ""},
		{"isInf -", "isInf(result)", math.Inf(-1), true, ""},
		{"isInf finite", "isInf(result)", 1e300, false, ""},
		{"default nil", "default(result, 0) == 0", nil, true, ""},
		{"default NaN", "default(result, 0) < 1", nan, true, ""},
		{"default empty vector", "default(result, [7])[0] == 7", []float64{}, true, ""},
		{"default empty list", "len(default(result, [1, 2])) == 2", []any{}, true, ""},
		{"default keeps value", "default(result, 0) == 3", 3.0, true, ""},
		{"default keeps vector", "default(result, [7])[0] == 1", []float64{1}, true, ""},
		{"default keeps zero", "default(result, 5) == 0", 0.0, true, ""},
		{"default keeps empty string", "default(result, 'x') == ''", "", true, ""},
		{"default nil map", "default(result, 1) == 1", map[string]any(nil), true, ""},
		// JSON values (web)
		{"json bool", "result.data.ok", web, true, ""},
		{"json bool ==", "result.data.ok == true", web, true, ""},
		{"json number", "result.data.rate < 0.05", web, true, ""},
		{"json string", "result.data.status == 'green'", web, true, ""},
		{"json index syntax", "result['data']['status'] in ['green', 'blue']", web, true, ""},
		{"json list", "len(result.data.items) == 3 && result.data.items[2] == 3", web, true, ""},
		{"json list all", "all(result.data.items, # > 0)", web, true, ""},
		{"json missing key is nil", "result.data.nope == nil", web, true, ""},
		{"json missing deep", "result.nope.deeper == 1", web, false, "cannot fetch deeper"},
		{"optional chaining", "result?.nope?.deeper == nil", web, true, ""},
		{"bare bool", "result", true, true, ""},
		{"bare bool false", "result", false, false, ""},
		{"string", "result == 'ok'", "ok", true, ""},
		{"string contains", "result contains 'rr'", "error", true, ""},
		{"top-level json list", "result[0] == 'a'", []any{"a", 1.0}, true, ""},
		{"nil result", "result == nil", nil, true, ""},
		// non-bool results at run time
		{"non-bool float", "result", 0.5, false, `condition "result" gives float64 0.5, not a bool`},
		{"non-bool nil", "result", nil, false, "gives nil, not a bool"},
		{"non-bool json", "result.data.rate", web, false, "gives float64 0.02, not a bool"},
		{"non-bool list", "result", []float64{1}, false, "gives []float64 [1], not a bool"},
		{"non-bool from default", "default(result, 1)", nil, false, "gives int 1, not a bool"},
		// run-time errors, never panics
		{"fetch from float", "result.a == 1", 1.0, false, "cannot fetch a from float64"},
		{"all on scalar", "all(result, # < 5)", 1.0, false, `condition "all(result, # < 5)"`},
		{"len on scalar", "len(result) == 1", 1.0, false, "invalid argument for len"},
		{"division by zero int", "1 / result > 0", 0, true, ""}, // expr divides as floats: +Inf
		{"modulo by zero", "5 % result == 0", 0, false, "integer divide by zero"},
		{"string vs number", "result < 5", "abc", false, "invalid operation"},
		{"nil vs number", "result < 5", nil, false, "invalid operation"},
		{"nested loops are bounded", "let x = 1..99999; all(x, all(x, true))", nil, false, "loop iterations"},
		{"memory is bounded", "len(1..100000000) > 0", nil, false, "memory budget exceeded"},
		{"repeat is bounded", "len(repeat('x', 100000000)) > 0", nil, false, "memory budget exceeded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Compile(tc.expr)
			if err != nil {
				t.Fatalf("Compile(%q): %v", tc.expr, err)
			}
			got, err := c.Eval(tc.result)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("Eval(%q, %v) = %v, want an error containing %q", tc.expr, tc.result, got, tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("Eval(%q, %v) error = %q, want it to contain %q", tc.expr, tc.result, err, tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.expr) {
					t.Errorf("error %q does not name the expression %q", err, tc.expr)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error spans lines: %q", err)
				}
				if got {
					t.Errorf("Eval returned true with an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("Eval(%q, %v): %v", tc.expr, tc.result, err)
			}
			if got != tc.want {
				t.Errorf("Eval(%q, %v) = %v, want %v", tc.expr, tc.result, got, tc.want)
			}
		})
	}
}

// A compiled condition is evaluated many times, with different results, and may be shared.
func TestConditionReuseAndConcurrency(t *testing.T) {
	c := MustCompile("all(result, # < 5)")
	done := make(chan error)
	for i := 0; i < 8; i++ {
		go func(i int) {
			var err error
			for j := 0; j < 200 && err == nil; j++ {
				v := []float64{float64(i % 7), float64(j % 3)}
				var got bool
				got, err = c.Eval(v)
				if err == nil && got != (i%7 < 5) {
					err = fmt.Errorf("Eval(%v) = %v", v, got)
				}
			}
			done <- err
		}(i)
	}
	for i := 0; i < 8; i++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	// The loop budget is per evaluation: many cheap evaluations never exhaust it.
	c2 := MustCompile("all(result, # >= 0)")
	v := make([]float64, 1000)
	for i := 0; i < 200; i++ {
		if ok, err := c2.Eval(v); err != nil || !ok {
			t.Fatalf("evaluation %d: %v, %v", i, ok, err)
		}
	}
}

func TestConditionLoopBudgetIsFast(t *testing.T) {
	c := MustCompile("let x = 1..99999; all(x, all(x, all(x, true)))")
	start := time.Now()
	if _, err := c.Eval(nil); err == nil {
		t.Fatal("want an error")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("a costly condition took %s to be stopped", d)
	}
}

func TestConditionNilAndString(t *testing.T) {
	var c *Condition
	if _, err := c.Eval(1.0); err == nil {
		t.Error("nil condition: want an error")
	}
	if c.String() != "" {
		t.Error("nil condition has a non-empty String")
	}
	if got := MustCompile("result > 1").String(); got != "result > 1" {
		t.Errorf("String() = %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("MustCompile of a bad expression did not panic")
		}
	}()
	MustCompile("result <")
}

func FuzzConditionEval(f *testing.F) {
	for _, seed := range []struct {
		expr string
		x    float64
	}{
		{"result < 5", 4},
		{"result[0] > 1", 2},
		{"isNaN(result)", math.NaN()},
		{"isInf(result) || result > 1e308", math.Inf(1)},
		{"default(result, 0) >= 0", -1},
		{"len(result) == 0", 0},
		{"all(result, # < 5)", 1},
		{"result.data.ok == true", 1},
		{"result % 2 == 0", 3},
		{"1 / result > 0", 0},
		{"let x = 1..10; any(x, # == result)", 5},
		{"result", 0.5},
		{"", 0},
		{"result <", 0},
	} {
		f.Add(seed.expr, seed.x)
	}
	f.Fuzz(func(t *testing.T, expression string, x float64) {
		c, err := Compile(expression)
		if err != nil {
			return
		}
		web := map[string]any{"data": map[string]any{"ok": x > 0, "v": x, "items": []any{x, "s", nil}}}
		for _, result := range []any{x, []float64{x, -x}, []float64{}, web, []any{x}, nil, "s", x > 0} {
			ok, err := c.Eval(result)
			if err != nil && ok {
				t.Fatalf("Eval(%q, %v) = true with error %v", expression, result, err)
			}
		}
	})
}
