package commands

import (
	"fmt"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/cli/render"
)

func newList(o *Options) *cobra.Command {
	var all bool
	var output string
	cmd := &cobra.Command{
		Use:   "list rollouts",
		Short: "List Rollouts: strategy, phase, step, weight, available pods, age",
		Example: `  kubectl ramp list rollouts
  kubectl ramp list rollouts -A`,
		Args:      kindThen(0, "usage: kubectl ramp list rollouts [-A]"),
		ValidArgs: []string{"rollouts"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := o.connect()
			if err != nil {
				return err
			}
			var opts []client.ListOption
			where := "in any namespace"
			if !all {
				opts, where = append(opts, client.InNamespace(s.ns)), "in namespace "+s.ns
			}
			var list v1alpha1.RolloutList
			if err := s.c.List(cmd.Context(), &list, opts...); err != nil {
				return fmt.Errorf("list rollouts %s: %w", where, err)
			}
			if output != "" {
				return o.printObject(&list, output)
			}
			if len(list.Items) == 0 {
				_, err := fmt.Fprintf(o.Streams.ErrOut, "No rollouts found %s.\n", where)
				return err
			}
			return render.WriteList(o.Streams.Out, list.Items, o.Now(), all, render.Options{Color: o.terminal()})
		},
	}
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "list the Rollouts of every namespace")
	outputFlag(cmd, &output)
	return cmd
}
