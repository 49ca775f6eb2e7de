// Command kubectl-ramp is the kubectl plugin for ramp Rollouts: put it on the PATH and call it
// as `kubectl ramp ...`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/ramp-dev/ramp/pkg/cli/commands"
)

// version is set at build time: -ldflags "-X main.version=v0.1.0".
var version string

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	root := commands.NewRoot(commands.NewOptions(streams, version))
	root.SetContext(ctx)
	code := commands.Run(root, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}
