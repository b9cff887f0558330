package main

import "github.com/spf13/cobra"

// addLaterStages registers the commands of the stages that build on
// pretraining (sft, rlhf) when they are compiled in.
func addLaterStages(root *cobra.Command) {
	for _, f := range laterStages {
		root.AddCommand(f())
	}
}

// laterStages is appended to by the files of those commands.
var laterStages []func() *cobra.Command
