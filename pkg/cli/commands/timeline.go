package commands

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ramp-dev/ramp/pkg/cli/history"
)

func newTimeline(o *Options) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "timeline NAME",
		Short: "A Rollout's history in order: time, revision, step, phase, weight, reason, message",
		Long: `timeline tells what happened to a Rollout, built from the Events the controller records for
each transition and from the Rollout's status. Events expire (after an hour by default): older
history is what the status still shows.`,
		Example: `  kubectl ramp timeline web
  kubectl ramp timeline web -o json | jq '.[] | select(.type == "Warning")'`,
		Args:              oneRollout("timeline"),
		ValidArgsFunction: o.completeRollout,
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "" && output != "json" {
				return fmt.Errorf("-o %s: timeline prints text (the default) or json", output)
			}
			s, err := o.connect()
			if err != nil {
				return err
			}
			ro, err := s.rollout(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			events, err := s.events(cmd.Context())
			if err != nil {
				return err
			}
			entries := history.Build(ro, events)
			if output == "json" {
				return history.WriteJSON(o.Streams.Out, entries)
			}
			return history.WriteText(o.Streams.Out, entries, history.Options{Color: o.terminal(), Now: o.Now()})
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "json for machines")
	return cmd
}
