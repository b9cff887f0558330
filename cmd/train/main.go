// Command train runs every stage of tinyseek: data preparation,
// pretraining, supervised fine-tuning, RLHF, generation, evaluation and
// benchmarks. Run `train --help` for the list.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	// Ctrl-C and SIGTERM cancel the context: training finishes its
	// step, saves a checkpoint and returns.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt,
		syscall.SIGTERM)
	defer stop()
	if err := newRootCmd().ExecuteContext(ctx); err != nil {
		// One line, even for errors.Join of several problems.
		msg := strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
		fmt.Fprintf(os.Stderr, "train: %s\n", msg)
		os.Exit(1)
	}
}
