package commands

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/ramp-dev/ramp/pkg/cli/convert"
	"github.com/ramp-dev/ramp/pkg/cli/lint"
)

func newLint(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "lint FILE...",
		Short: "Check Rollout and AnalysisTemplate YAML offline, with the CRD's validation and the controller's",
		Long: `lint checks each Rollout, AnalysisTemplate and ClusterAnalysisTemplate in the files the way the
cluster would: the CRD's schema and CEL rules (as the API server applies them), then the checks the
controller makes before it acts. It prints file, field path and fix for each problem, and exits 1
if there is any; warnings (allowed, but most likely not meant) are printed and do not fail it. Other kinds of objects in the files are skipped. FILE - reads standard input.`,
		Example: "  kubectl ramp lint rollout.yaml analysis.yaml",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			l, err := lint.New()
			if err != nil {
				return err
			}
			problems := 0
			for _, name := range files {
				content, err := o.read(name)
				if err != nil {
					return err
				}
				found, err := l.File(name, content)
				if err != nil {
					return err
				}
				for _, p := range found {
					fmt.Fprintln(o.Streams.Out, p)
					if !p.Warning {
						problems++
					}
				}
			}
			if problems > 0 {
				return &ExitError{Code: 1, Err: fmt.Errorf("%d problem(s) in %d file(s)", problems, len(files))}
			}
			fmt.Fprintf(o.Streams.ErrOut, "%d file(s): no problems\n", len(files))
			return nil
		},
	}
}

func newConvert(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "convert FILE",
		Short: "Turn Argo Rollouts manifests, or a Deployment, into ramp's (YAML on stdout, warnings on stderr)",
		Long: `convert reads argoproj.io/v1alpha1 Rollouts, AnalysisTemplates and ClusterAnalysisTemplates and
writes them as rollouts.ramp.dev/v1alpha1, and turns an apps/v1 Deployment into a Rollout with a
default canary. Every field ramp does not support is dropped with a warning on stderr. Other
objects pass through. FILE - reads standard input.`,
		Example: "  kubectl ramp convert argo-rollout.yaml > rollout.yaml && kubectl ramp lint rollout.yaml",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			content, err := o.read(args[0])
			if err != nil {
				return err
			}
			out, warnings, err := convert.Convert(content)
			if err != nil {
				return fmt.Errorf("convert %s: %w", args[0], err)
			}
			for _, w := range warnings {
				fmt.Fprintln(o.Streams.ErrOut, "warning:", w)
			}
			_, err = o.Streams.Out.Write(out)
			return err
		},
	}
}

// read is a file's content, or standard input for "-".
func (o *Options) read(name string) ([]byte, error) {
	if name == "-" {
		data, err := io.ReadAll(o.Streams.In)
		if err != nil {
			return nil, fmt.Errorf("read standard input: %w", err)
		}
		return data, nil
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read %w", err)
	}
	return data, nil
}
