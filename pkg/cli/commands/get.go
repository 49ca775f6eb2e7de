package commands

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/ramp-dev/ramp/pkg/cli/render"
)

func newGet(o *Options) *cobra.Command {
	var watch bool
	var output string
	cmd := &cobra.Command{
		Use:   "get rollout NAME",
		Short: "Show a Rollout as a tree: steps, weights, revisions, pods and analysis runs",
		Example: `  kubectl ramp get rollout web
  kubectl ramp get rollout web --watch -n shop`,
		Args:              kindThen(1, "usage: kubectl ramp get rollout NAME"),
		ValidArgsFunction: o.completeKindAndRollout,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := o.connect()
			if err != nil {
				return err
			}
			if output != "" {
				if watch {
					return fmt.Errorf("--watch draws the tree: use it without -o")
				}
				ro, err := s.rollout(cmd.Context(), args[1])
				if err != nil {
					return err
				}
				return o.printObject(ro, output)
			}
			opts := render.Options{Color: o.terminal()}
			if !watch {
				t, err := s.tree(cmd.Context(), args[1], o.Now())
				if err != nil {
					return err
				}
				return render.WriteTree(o.Streams.Out, t, opts)
			}
			return o.watchTree(cmd.Context(), s, args[1], opts)
		},
	}
	outputFlag(cmd, &output)
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "redraw on every change of the Rollout or its ReplicaSets, pods and AnalysisRuns, until interrupted")
	return cmd
}

// watchTree redraws the tree on every change. On a terminal it redraws in place (and once a
// second, so that ages move); piped, it prints each new state once, separated by a blank line.
func (o *Options) watchTree(ctx context.Context, s *session, name string, opts render.Options) error {
	changes, err := s.watch(ctx, name)
	if err != nil {
		return err
	}
	var tick <-chan time.Time
	if opts.Color {
		ticker := time.NewTicker(time.Second)
		defer ticker.Stop()
		tick = ticker.C
	}
	var last []byte
	t, err := s.tree(ctx, name, o.Now())
	for {
		if ctx.Err() != nil {
			return nil // interrupted, perhaps in the middle of a read: that is how a watch ends
		}
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := render.WriteTree(&buf, t, opts); err != nil {
			return err
		}
		if !bytes.Equal(buf.Bytes(), last) {
			if err := o.draw(buf.Bytes(), last != nil, opts.Color); err != nil {
				return err
			}
			last = buf.Bytes()
		}
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-changes:
			if !ok {
				return nil
			}
			t, err = s.tree(ctx, name, o.Now())
		case <-tick:
			t.Now = o.Now()
		}
	}
}

// draw writes one state of the tree: in place on a terminal, after a blank line otherwise.
func (o *Options) draw(frame []byte, again, inPlace bool) error {
	out := o.Streams.Out
	switch {
	case inPlace:
		_, _ = io.WriteString(out, "\x1b[H\x1b[2J") // home, clear screen
	case again:
		_, _ = fmt.Fprintln(out)
	}
	_, err := out.Write(frame)
	return err
}
