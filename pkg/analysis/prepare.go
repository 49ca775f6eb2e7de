package analysis

import (
	"fmt"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// Prepare readies a metric for measuring, as a run does when it starts: its {{args.name}}
// placeholders filled in from args (see Substitute) and its successCondition and
// failureCondition compiled (nil when unset). A placeholder naming no arg and a condition
// that does not compile are errors that name the metric.
func Prepare(metric v1alpha1.Metric, args map[string]string) (resolved v1alpha1.Metric, success, failure *Condition, err error) {
	resolved, err = Substitute(metric, args)
	if err != nil {
		return metric, nil, nil, err
	}
	if success, err = compileField(metric.Name, "successCondition", resolved.SuccessCondition); err != nil {
		return metric, nil, nil, err
	}
	if failure, err = compileField(metric.Name, "failureCondition", resolved.FailureCondition); err != nil {
		return metric, nil, nil, err
	}
	return resolved, success, failure, nil
}

// compileField compiles one of a metric's conditions; nil when it is unset.
func compileField(metric, field, expression string) (*Condition, error) {
	if expression == "" {
		return nil, nil
	}
	c, err := Compile(expression)
	if err != nil {
		return nil, &conditionError{field: field, err: fmt.Errorf("metric %s: %w", metric, err)}
	}
	return c, nil
}

// conditionError is a condition that does not compile, with the metric field it is in, for
// ValidateTemplate to point at.
type conditionError struct {
	field string // successCondition or failureCondition
	err   error
}

func (e *conditionError) Error() string { return e.err.Error() }
func (e *conditionError) Unwrap() error { return e.err }
