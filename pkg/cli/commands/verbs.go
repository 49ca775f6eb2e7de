package commands

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/cli/action"
)

// decide is a verb's decision on the Rollout as it is now.
type decide func(ctx context.Context, s *session, ro *v1alpha1.Rollout) (action.Change, error)

// act reads the Rollout, decides, and writes the change with the resourceVersion it decided
// on; if the Rollout changed in between, it reads and decides again (the new state may refuse
// the verb). It prints the one line saying what was done.
func (o *Options) act(ctx context.Context, name string, verb decide) error {
	s, err := o.connect()
	if err != nil {
		return err
	}
	var done action.Change
	err = retry.OnError(retry.DefaultRetry, changedMeanwhile, func() error {
		ro, err := s.rollout(ctx, name)
		if err != nil {
			return err
		}
		change, err := verb(ctx, s, ro)
		if err != nil {
			return err
		}
		patch := client.RawPatch(change.Type, change.Patch)
		if change.Status {
			err = s.c.Status().Patch(ctx, ro, patch, &client.SubResourcePatchOptions{PatchOptions: client.PatchOptions{FieldManager: FieldManager}})
		} else {
			err = s.c.Patch(ctx, ro, patch, client.FieldOwner(FieldManager))
		}
		if err != nil {
			return fmt.Errorf("patch rollout %s/%s: %w", s.ns, name, err)
		}
		done = change
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(o.Streams.Out, done.Done)
	if done.Warning != "" {
		fmt.Fprintln(o.Streams.ErrOut, "warning:", done.Warning)
	}
	return nil
}

// changedMeanwhile: the patch's precondition (resourceVersion, or a JSON patch test) failed.
func changedMeanwhile(err error) bool {
	return apierrors.IsConflict(err) || apierrors.IsInvalid(err)
}

func simple(verb func(*v1alpha1.Rollout) (action.Change, error)) decide {
	return func(_ context.Context, _ *session, ro *v1alpha1.Rollout) (action.Change, error) { return verb(ro) }
}

func (o *Options) verb(use, short, example string, verb func(*cobra.Command) decide) *cobra.Command {
	return &cobra.Command{
		Use:               use + " NAME",
		Short:             short,
		Example:           example,
		Args:              oneRollout(use),
		ValidArgsFunction: o.completeRollout,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.act(cmd.Context(), args[0], verb(cmd))
		},
	}
}

func newPromote(o *Options) *cobra.Command {
	var full bool
	cmd := o.verb("promote", "End the pause a Rollout is in (a pause step, an Inconclusive analysis, a blue-green preview); --full skips every remaining step",
		"  kubectl ramp promote web\n  kubectl ramp promote web --full",
		func(*cobra.Command) decide {
			if full {
				return simple(action.PromoteFull)
			}
			return simple(action.Promote)
		})
	cmd.Flags().BoolVar(&full, "full", false, "skip every remaining step (canary) or switch at once (blue-green)")
	return cmd
}

func newAbort(o *Options) *cobra.Command {
	return o.verb("abort", "Stop the release: traffic back to the stable revision, the Rollout Degraded", "  kubectl ramp abort web",
		func(*cobra.Command) decide { return simple(action.Abort) })
}

func newRetry(o *Options) *cobra.Command {
	return o.verb("retry", "Start an aborted release again from its first step", "  kubectl ramp retry web",
		func(*cobra.Command) decide { return simple(action.Retry) })
}

func newPause(o *Options) *cobra.Command {
	return o.verb("pause", "Hold a Rollout where it is (spec.paused)", "  kubectl ramp pause web",
		func(*cobra.Command) decide { return simple(action.Pause) })
}

func newResume(o *Options) *cobra.Command {
	return o.verb("resume", "Let a Rollout held by `kubectl ramp pause` go on", "  kubectl ramp resume web",
		func(*cobra.Command) decide { return simple(action.Resume) })
}

func newRestart(o *Options) *cobra.Command {
	return o.verb("restart", "Replace every pod of a Rollout, a few at a time (spec.restartAt)", "  kubectl ramp restart web",
		func(*cobra.Command) decide {
			return simple(func(ro *v1alpha1.Rollout) (action.Change, error) { return action.Restart(ro, o.Now()) })
		})
}

func newUndo(o *Options) *cobra.Command {
	var to int64
	cmd := o.verb("undo", "Put the pod template of an earlier revision back (the one before the current one by default)",
		"  kubectl ramp undo web\n  kubectl ramp undo web --to-revision 3",
		func(*cobra.Command) decide {
			return func(ctx context.Context, s *session, ro *v1alpha1.Rollout) (action.Change, error) {
				owned, err := s.replicaSets(ctx, ro)
				if err != nil {
					return action.Change{}, err
				}
				return action.Undo(ro, owned, to)
			}
		})
	cmd.Flags().Int64Var(&to, "to-revision", 0, "the revision to go back to (see `kubectl ramp get rollout NAME`); 0 means the one before the current one")
	return cmd
}

func newSet(o *Options) *cobra.Command {
	set := &cobra.Command{Use: "set", Short: "Change a Rollout's pod template"}
	image := &cobra.Command{
		Use:               "image NAME CONTAINER=IMAGE...",
		Short:             "Set container images, which starts a release (CONTAINER may be * for all)",
		Example:           "  kubectl ramp set image web web=registry.example/web:2.1",
		ValidArgsFunction: o.completeRollout,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) < 2 {
				return fmt.Errorf("usage: kubectl ramp set image NAME CONTAINER=IMAGE...")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.act(cmd.Context(), args[0], simple(func(ro *v1alpha1.Rollout) (action.Change, error) {
				return action.SetImage(ro, args[1:])
			}))
		},
	}
	set.AddCommand(image)
	return set
}
