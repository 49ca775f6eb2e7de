// Package commands is the kubectl-ramp command tree: cobra commands that read and patch
// Rollouts through a controller-runtime client and print with the pure renderers of pkg/cli.
package commands

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// FieldManager is the field manager of every write kubectl-ramp makes.
const FieldManager = "kubectl-ramp"

// Options is what every command shares. Tests replace NewClient, Namespace and Now.
type Options struct {
	Flags   *genericclioptions.ConfigFlags
	Streams genericiooptions.IOStreams
	// NewClient connects to the cluster of the kubeconfig flags.
	NewClient func() (client.WithWatch, error)
	// Namespace is the namespace of -n, or the kubeconfig context's.
	Namespace func() (string, error)
	Now       func() time.Time
	NoColor   bool
	Version   string
}

// NewOptions is the Options of the real binary.
func NewOptions(streams genericiooptions.IOStreams, version string) *Options {
	flags := genericclioptions.NewConfigFlags(true)
	o := &Options{Flags: flags, Streams: streams, Now: time.Now, Version: version}
	o.NewClient = func() (client.WithWatch, error) {
		cfg, err := flags.ToRESTConfig()
		if err != nil {
			return nil, fmt.Errorf("kubeconfig: %w", err)
		}
		c, err := client.NewWithWatch(cfg, client.Options{Scheme: Scheme})
		if err != nil {
			return nil, fmt.Errorf("connect to the cluster: %w", err)
		}
		return c, nil
	}
	o.Namespace = func() (string, error) {
		ns, _, err := flags.ToRawKubeConfigLoader().Namespace()
		return ns, err
	}
	return o
}

// NewRoot is the kubectl-ramp command with every subcommand.
func NewRoot(o *Options) *cobra.Command {
	root := &cobra.Command{
		Use:   "kubectl-ramp",
		Short: "Drive ramp Rollouts: watch, promote, abort, and read their timeline",
		Long: `kubectl ramp drives ramp Rollouts from a terminal or a CI pipeline.

Install it on your PATH as kubectl-ramp and call it as "kubectl ramp ...".`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Usage and completion say "kubectl ramp", the way users call it.
		Annotations: map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl ramp"},
	}
	root.SetIn(o.Streams.In)
	root.SetOut(o.Streams.Out)
	root.SetErr(o.Streams.ErrOut)
	if o.Flags != nil {
		o.Flags.AddFlags(root.PersistentFlags())
	}
	root.PersistentFlags().BoolVar(&o.NoColor, "no-color", false, "plain text: no colour or redrawing, even on a terminal")
	root.AddCommand(
		newGet(o), newList(o),
		newPromote(o), newAbort(o), newRetry(o), newPause(o), newResume(o), newRestart(o), newUndo(o), newSet(o),
		newStatus(o), newTimeline(o), newPlan(o), newLint(o), newConvert(o), newVersion(o),
	)
	return root
}

// ExitError ends kubectl-ramp with Code; its message, if any, is printed first.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// Run executes the command line and returns the process's exit code, having printed any error.
func Run(root *cobra.Command, args []string, errOut io.Writer) int {
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var exit *ExitError
	if errors.As(err, &exit) {
		if exit.Err != nil {
			fmt.Fprintln(errOut, "error:", exit.Err)
		}
		return exit.Code
	}
	fmt.Fprintln(errOut, "error:", err)
	return 1
}

// terminal: out is a terminal and colour is allowed (--no-color, NO_COLOR), so kubectl-ramp
// colours and redraws in place.
func (o *Options) terminal() bool {
	if o.NoColor || os.Getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := o.Streams.Out.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
