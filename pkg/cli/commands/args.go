package commands

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// rolloutKinds are the names `get` and `list` accept for Rollouts.
var rolloutKinds = []string{"rollout", "rollouts", "ro"}

// kindThen accepts a KIND naming Rollouts followed by n more arguments; usage is the error.
func kindThen(n int, usage string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n+1 || !slices.Contains(rolloutKinds, strings.ToLower(args[0])) {
			return errors.New(usage)
		}
		return nil
	}
}

// oneRollout accepts exactly one Rollout name.
func oneRollout(verb string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != 1 {
			return fmt.Errorf("usage: kubectl ramp %s NAME (the Rollout's name; list them with `kubectl ramp list rollouts`)", verb)
		}
		return nil
	}
}

// completeRollout completes the first argument with the names of the namespace's Rollouts.
func (o *Options) completeRollout(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return o.rolloutNames(cmd, prefix), cobra.ShellCompDirectiveNoFileComp
}

// completeKindAndRollout completes "rollout NAME".
func (o *Options) completeKindAndRollout(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
	switch len(args) {
	case 0:
		return []string{"rollout"}, cobra.ShellCompDirectiveNoFileComp
	case 1:
		return o.rolloutNames(cmd, prefix), cobra.ShellCompDirectiveNoFileComp
	}
	return nil, cobra.ShellCompDirectiveNoFileComp
}

func (o *Options) rolloutNames(cmd *cobra.Command, prefix string) []string {
	s, err := o.connect()
	if err != nil {
		return nil
	}
	var list v1alpha1.RolloutList
	if err := s.c.List(cmd.Context(), &list, client.InNamespace(s.ns)); err != nil {
		return nil
	}
	var names []string
	for _, ro := range list.Items {
		if strings.HasPrefix(ro.Name, prefix) {
			names = append(names, ro.Name)
		}
	}
	return names
}
