package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ramp-dev/ramp/pkg/cli/outcome"
)

func newStatus(o *Options) *cobra.Command {
	var timeout time.Duration
	var watch, pauseOK bool
	cmd := &cobra.Command{
		Use:   "status NAME",
		Short: "Wait until a Rollout is Healthy (exit 0), Degraded (1), waiting for a human (2) or the timeout passes (3), printing each transition",
		Long: `status is made for CI pipelines. It watches the Rollout and prints a line for each change of
phase, step or message, then ends with:
  0  Healthy: the release is done
  1  Degraded: aborted, failed analysis, invalid spec, progress deadline exceeded
  2  Paused: waiting for a human: a pause step without a duration, an Inconclusive analysis, a
     blue-green preview to promote, spec.paused (--wait-for-pause-ok keeps waiting instead).
     Timed pauses end by themselves: status waits through them.
  3  the timeout passed first (or, with --watch=false, the release is still going)`,
		Example:           `  kubectl ramp set image web web=web:2 && kubectl ramp status web --timeout 15m`,
		Args:              oneRollout("status"),
		ValidArgsFunction: o.completeRollout,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := o.connect()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			return o.waitStatus(ctx, s, args[0], watch, pauseOK)
		},
	}
	cmd.Flags().DurationVarP(&timeout, "timeout", "t", 0, "give up after this long (exit 3); 0 waits for ever")
	cmd.Flags().BoolVarP(&watch, "watch", "w", true, "wait for the release to end; false prints the state once")
	cmd.Flags().BoolVar(&pauseOK, "wait-for-pause-ok", false, "keep waiting through pauses instead of ending with exit 2")
	return cmd
}

// waitStatus prints each new state of the Rollout until it ends (or ctx does).
func (o *Options) waitStatus(ctx context.Context, s *session, name string, watch, pauseOK bool) error {
	var changes <-chan struct{}
	if watch {
		var err error
		if changes, err = s.watchRollout(ctx, name); err != nil {
			return err
		}
	}
	last := ""
	for {
		ro, err := s.rollout(ctx, name)
		if err != nil {
			if ctx.Err() != nil {
				return o.timedOut(ctx, last)
			}
			return err
		}
		got := outcome.Judge(ro)
		if got.Line != last {
			fmt.Fprintf(o.Streams.Out, "%s  %s\n", o.Now().Format(time.TimeOnly), got.Line)
			last = got.Line
		}
		switch {
		case got.Kind == outcome.Healthy:
			return nil
		case got.Kind == outcome.Degraded, got.Kind == outcome.Paused && !pauseOK:
			return &ExitError{Code: int(got.Kind)}
		case !watch:
			return &ExitError{Code: int(outcome.TimedOut)}
		}
		select {
		case <-ctx.Done():
			return o.timedOut(ctx, last)
		case _, ok := <-changes:
			if !ok {
				return o.timedOut(ctx, last)
			}
		}
	}
}

func (o *Options) timedOut(ctx context.Context, last string) error {
	why := "timed out"
	if errors.Is(ctx.Err(), context.Canceled) {
		why = "interrupted"
	}
	return &ExitError{Code: int(outcome.TimedOut), Err: fmt.Errorf("%s; the rollout was last %s", why, last)}
}
