package main

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// globalOptions are the flags every command shares.
type globalOptions struct {
	logLevel string
}

var global globalOptions

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "train",
		Short: "Train a DeepSeek-style language model end to end on a CPU",
		Long: "train runs the tinyseek pipeline: prepare data, pretrain, " +
			"fine-tune (sft),\nalign (rlhf), then generate and evaluate. " +
			"With no data flags each stage\nuses built-in data and the " +
			"previous stage's default run folder, so\n\n" +
			"  train pretrain && train sft && train rlhf\n\n" +
			"runs the whole chain on a fresh machine.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&global.logLevel, "log-level", "info",
		"log level: debug, info, warn or error")
	root.AddCommand(newDataCmd(), newPretrainCmd(), newGenerateCmd(),
		newEvalCmd(), newBenchCmd())
	addLaterStages(root)
	return root
}

// logger writes slog text lines to stderr at the chosen level.
func logger() (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(global.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn "+
			"or error", global.logLevel)
	}
	h := slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl})
	return slog.New(h), nil
}

// parseIDs reads "1,2,3" or "1 2 3" into token ids.
func parseIDs(s string) ([]int32, error) {
	f := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\n' || r == '\t'
	})
	ids := make([]int32, 0, len(f))
	for _, x := range f {
		// Plain decimal only: no sign, prefix, octal or underscores.
		v, err := strconv.ParseUint(x, 10, 31)
		if err != nil || x[0] == '+' || (len(x) > 1 && x[0] == '0') {
			return nil, fmt.Errorf("token id %q is not a decimal "+
				"non-negative integer", x)
		}
		ids = append(ids, int32(v))
	}
	return ids, nil
}
