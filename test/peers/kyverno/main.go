// Command kubectl-kyverno is the upstream Kyverno CLI, built from its released module as a peer for the
// parity tests. Upstream's module carries `replace` directives, so `go install pkg@version` refuses it;
// this wrapper module requires it instead (and repeats those replaces in its own go.mod).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/kyverno/kyverno/cmd/cli/kubectl-kyverno/commands"
	"github.com/kyverno/kyverno/cmd/cli/kubectl-kyverno/commands/apply"
	"github.com/kyverno/kyverno/cmd/cli/kubectl-kyverno/experimental"
	"github.com/kyverno/kyverno/cmd/cli/kubectl-kyverno/log"
)

func main() {
	root := commands.RootCommand(experimental.IsEnabled())
	if err := log.Configure(); err != nil {
		fmt.Fprintln(os.Stderr, "kyverno: configuring logs:", err)
		os.Exit(1)
	}
	// Upstream exposes the klog/go flags (-v and friends) on every command; keep that surface identical.
	root.PersistentFlags().AddGoFlagSet(flag.CommandLine)
	if err := root.Execute(); err != nil {
		// `apply --warn-exit-code N` asks for a specific exit status when only warnings were produced.
		if warn, ok := err.(apply.WarnExitCodeError); ok {
			os.Exit(warn.ExitCode)
		}
		os.Exit(1)
	}
}
