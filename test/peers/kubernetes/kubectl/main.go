// Command kubectl is the Kubernetes CLI, built from the published k8s.io/kubectl module the way
// k8s.io/kubernetes' cmd/kubectl does.
package main

import (
	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"
)

func main() {
	if err := cli.RunNoErrOutput(cmd.NewDefaultKubectlCommand()); err != nil {
		util.CheckErr(err)
	}
}
