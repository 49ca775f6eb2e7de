package analysis

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// Condition is a compiled successCondition or failureCondition: an expr expression over
// result that yields a bool. Compile it once and Eval it for each measurement; a Condition
// is safe for concurrent use.
//
// The expression sees:
//   - result: the provider's value, a float64, a []float64 or any JSON value
//     (map[string]any, []any, string, bool, float64, nil);
//   - isNaN(x), isInf(x): whether a number is NaN or ±Inf (false for integers);
//   - len(x): the length of a list (also []float64), a map or a string;
//   - default(x, d): d when x is nil, NaN or an empty list, x otherwise;
//   - the rest of expr's language: all(result, # < 5), result[0], result.data.ok, ...
type Condition struct {
	expression string
	program    *vm.Program
	// comparesResult: the expression compares result itself with a number (result < 0.05),
	// which is no test of a list: a Prometheus vector is one, as in Argo Rollouts.
	comparesResult bool
}

// conditionEnv is what an expression sees. Result is an interface, so the compiler leaves
// its type to run time.
type conditionEnv struct {
	Result any `expr:"result"`
	// steps counts loop iterations (predicate bodies) in one Eval.
	steps *int
}

// maxLoopSteps bounds the iterations of all the loops (all, filter, map, ...) of one Eval.
// expr bounds the memory an expression allocates but not its time: without this, nested
// loops over a long list (let x = 1..999999; all(x, all(x, true))) would hang a reconcile.
const maxLoopSteps = 100_000

// loopStepFunc is the name of the env method every predicate body is wrapped in.
const loopStepFunc = "LoopStep__"

// LoopStep__ counts one loop iteration and passes v through; past maxLoopSteps it stops the
// evaluation. Every predicate body is wrapped in a call to it (see loopBudget); it is a
// method of the env so that the count belongs to one Eval.
func (e conditionEnv) LoopStep__(v any) (any, error) {
	if e.steps == nil {
		return v, nil
	}
	*e.steps++
	if *e.steps > maxLoopSteps {
		return nil, fmt.Errorf("more than %d loop iterations: the condition is too costly", maxLoopSteps)
	}
	return v, nil
}

// loopBudget wraps each predicate body ({# < 5} in all(result, # < 5)) in LoopStep__.
type loopBudget struct{}

func (loopBudget) Visit(node *ast.Node) {
	p, ok := (*node).(*ast.PredicateNode)
	if !ok || p.Node == nil {
		return
	}
	if call, ok := p.Node.(*ast.CallNode); ok {
		if id, ok := call.Callee.(*ast.IdentifierNode); ok && id.Value == loopStepFunc {
			return // already wrapped
		}
	}
	p.Node = &ast.CallNode{Callee: &ast.IdentifierNode{Value: loopStepFunc}, Arguments: []ast.Node{p.Node}}
}

// conditionOptions are the options every condition is compiled with.
func conditionOptions() []expr.Option {
	return []expr.Option{
		expr.Env(conditionEnv{}),
		expr.Patch(loopBudget{}),
		expr.Function("isNaN", isNaNFunc, new(func(any) bool)),
		expr.Function("isInf", isInfFunc, new(func(any) bool)),
		expr.Function("default", defaultFunc, new(func(any, any) any)),
	}
}

// Compile parses and type-checks a condition. An empty expression is an error: a metric
// without a condition does not compile one.
func Compile(expression string) (c *Condition, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, fmt.Errorf("condition %q: cannot compile: %v", expression, r)
		}
	}()
	if strings.TrimSpace(expression) == "" {
		return nil, errors.New("condition is empty")
	}
	program, err := expr.Compile(expression, conditionOptions()...)
	if err != nil {
		return nil, fmt.Errorf("condition %q: %s", expression, oneLine(err))
	}
	if node := program.Node(); node != nil {
		if t := node.Type(); t != nil && t.Kind() != reflect.Bool && t.Kind() != reflect.Interface {
			return nil, fmt.Errorf("condition %q gives a %s, not a bool: compare it, as in result < 0.05", expression, t)
		}
	}
	return &Condition{expression: expression, program: program, comparesResult: comparesResult(program.Node())}, nil
}

// ComparesResult reports whether the condition compares result itself with a number, as in
// result < 0.05: right for a scalar, never true of a list (a list is not less than a number,
// and never equal to one), where result[0] < 0.05 is meant.
func (c *Condition) ComparesResult() bool { return c != nil && c.comparesResult }

// IndexedResult is the condition with each bare result as result[0].
func (c *Condition) IndexedResult() string { return indexResult(c.String()) }

func comparesResult(node ast.Node) bool {
	if node == nil {
		return false
	}
	v := &resultComparison{}
	ast.Walk(&node, v)
	return v.found
}

type resultComparison struct{ found bool }

func (v *resultComparison) Visit(node *ast.Node) {
	b, ok := (*node).(*ast.BinaryNode)
	if !ok {
		return
	}
	switch b.Operator {
	case "<", "<=", ">", ">=", "==", "!=":
	default:
		return
	}
	if (isResult(b.Left) && isNumber(b.Right)) || (isNumber(b.Left) && isResult(b.Right)) {
		v.found = true
	}
}

func isResult(n ast.Node) bool {
	id, ok := n.(*ast.IdentifierNode)
	return ok && id.Value == "result"
}

func isNumber(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.IntegerNode, *ast.FloatNode:
		return true
	case *ast.UnaryNode:
		return isNumber(n.Node)
	}
	return false
}

// indexResult is an expression with each bare result as result[0], for a hint.
func indexResult(expression string) string {
	var b strings.Builder
	for {
		i := strings.Index(expression, "result")
		if i < 0 {
			b.WriteString(expression)
			return b.String()
		}
		end := i + len("result")
		b.WriteString(expression[:end])
		before, after := byte(' '), byte(' ')
		if i > 0 {
			before = expression[i-1]
		}
		if end < len(expression) {
			after = expression[end]
		}
		if !isIdentByte(before) && !isIdentByte(after) && after != '[' && after != '.' && before != '.' {
			b.WriteString("[0]")
		}
		expression = expression[end:]
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// MustCompile is Compile for expressions known to be valid (tests, constants); it panics on
// an error.
func MustCompile(expression string) *Condition {
	c, err := Compile(expression)
	if err != nil {
		panic(err)
	}
	return c
}

// String is the expression as written.
func (c *Condition) String() string {
	if c == nil {
		return ""
	}
	return c.expression
}

// Eval evaluates the condition with result. It never panics: a run-time failure (an index
// out of range, a type mismatch, a panic in expr) and a result that is not a bool are errors
// that name the expression.
func (c *Condition) Eval(result any) (ok bool, err error) {
	if c == nil || c.program == nil {
		return false, errors.New("condition is not compiled")
	}
	defer func() {
		if r := recover(); r != nil {
			ok, err = false, fmt.Errorf("condition %q: %v", c.expression, r)
		}
	}()
	if c.comparesResult && isList(result) {
		return false, fmt.Errorf("condition %q compares result with a number, but result is a list here (%s): compare one of its values, as in %q",
			c.expression, describeType(result), indexResult(c.expression))
	}
	steps := 0
	out, err := expr.Run(c.program, conditionEnv{Result: result, steps: &steps})
	if err != nil {
		return false, fmt.Errorf("condition %q: %s", c.expression, oneLine(err))
	}
	b, isBool := out.(bool)
	if !isBool {
		return false, fmt.Errorf("condition %q gives %s, not a bool: compare it, as in result < 0.05", c.expression, describeType(out))
	}
	return b, nil
}

// oneLine is an expr error without the source snippet expr draws under it, fit for a
// status message: "cannot fetch a from float64 (column 8)".
func oneLine(err error) string {
	var fe *file.Error
	if errors.As(err, &fe) {
		if fe.Line > 0 {
			return fmt.Sprintf("%s (column %d)", fe.Message, fe.Column+1)
		}
		return fe.Message
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

// describeType names a value's type for a message ("float64 0.5", "nil").
func describeType(v any) string {
	if v == nil {
		return "nil"
	}
	s := fmt.Sprintf("%v", v)
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return fmt.Sprintf("%T %s", v, s)
}

func oneArg(name string, params []any) (any, error) {
	if len(params) != 1 {
		return nil, fmt.Errorf("%s takes 1 argument, got %d", name, len(params))
	}
	return params[0], nil
}

// toFloat turns any Go number into a float64; ok is false for anything else.
func toFloat(v any) (f float64, ok bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, uintptr:
		return reflect.ValueOf(x).Convert(reflect.TypeOf(float64(0))).Float(), true
	}
	return 0, false
}

func numberArg(name string, params []any) (float64, error) {
	v, err := oneArg(name, params)
	if err != nil {
		return 0, err
	}
	f, ok := toFloat(v)
	if !ok {
		hint := ""
		if v != nil && reflect.TypeOf(v).Kind() == reflect.Slice {
			hint = fmt.Sprintf(" (for a list use %s(result[0]) or all(result, %s(#)))", name, name)
		}
		return 0, fmt.Errorf("%s wants a number, got %s%s", name, describeType(v), hint)
	}
	return f, nil
}

func isNaNFunc(params ...any) (any, error) {
	f, err := numberArg("isNaN", params)
	if err != nil {
		return nil, err
	}
	return math.IsNaN(f), nil
}

func isInfFunc(params ...any) (any, error) {
	f, err := numberArg("isInf", params)
	if err != nil {
		return nil, err
	}
	return math.IsInf(f, 0), nil
}

func defaultFunc(params ...any) (any, error) {
	if len(params) != 2 {
		return nil, fmt.Errorf("default takes 2 arguments, got %d", len(params))
	}
	if isMissing(params[0]) {
		return params[1], nil
	}
	return params[0], nil
}

// isMissing: nil, NaN or an empty list.
func isMissing(v any) bool {
	if v == nil {
		return true
	}
	switch x := v.(type) {
	case float64:
		return math.IsNaN(x)
	case float32:
		return math.IsNaN(float64(x))
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		return rv.Len() == 0
	case reflect.Pointer, reflect.Interface, reflect.Map:
		return rv.IsNil()
	}
	return false
}

func isList(v any) bool {
	if v == nil {
		return false
	}
	k := reflect.TypeOf(v).Kind()
	return k == reflect.Slice || k == reflect.Array
}
