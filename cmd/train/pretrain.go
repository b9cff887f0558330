package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tinyseek/tinyseek/configs"
	"github.com/tinyseek/tinyseek/pretrain"
)

// runFlags are the config flags shared by the training commands.
type runFlags struct {
	config, preset string
	sets           []string
	steps, batch   int
	seq            int
	lr             float64
	seed           int64
}

func (f *runFlags) register(cmd *cobra.Command, preset string) {
	fl := cmd.Flags()
	fl.StringVar(&f.config, "config", "", "YAML config file (instead "+
		"of --preset)")
	fl.StringVar(&f.preset, "preset", preset, "built-in preset: "+
		fmt.Sprint(configs.Presets()))
	fl.StringArrayVar(&f.sets, "set", nil, "override any key, e.g. "+
		"--set train.warmup_steps=50 --set model.dropout=0.1")
	fl.IntVar(&f.steps, "steps", 0, "optimizer steps (train.steps)")
	fl.IntVar(&f.batch, "batch", 0, "sequences per micro-batch "+
		"(train.batch_size)")
	fl.IntVar(&f.seq, "seq", 0, "tokens per sequence (train.seq_len)")
	fl.Float64Var(&f.lr, "lr", 0, "peak learning rate (train.lr)")
	fl.Int64Var(&f.seed, "seed", -1, "random seed (train.seed)")
}

// load resolves defaults < preset or --config < flags < --set.
func (f *runFlags) load(cmd *cobra.Command) (configs.Config, error) {
	var src configs.Source
	var err error
	if f.config != "" {
		if cmd.Flags().Changed("preset") {
			return configs.Config{}, fmt.Errorf("give --config or " +
				"--preset, not both")
		}
		src, err = configs.LoadFile(f.config)
	} else {
		var b []byte
		b, err = configs.Preset(f.preset)
		src = configs.Source{Name: "preset " + f.preset, YAML: b}
	}
	if err != nil {
		return configs.Config{}, err
	}
	sets := trainFlagSets(cmd, f.steps, f.batch, f.seq, f.lr, f.seed)
	return configs.Load([]configs.Source{src}, append(sets, f.sets...))
}

// stepsGiven reports whether the user set train.steps, by --steps, a
// --set or (conservatively) a --config file; a resume without it
// keeps the run's recorded step count instead of a default.
func stepsGiven(cmd *cobra.Command, sets []string, config string) bool {
	if cmd.Flags().Changed("steps") || config != "" {
		return true
	}
	for _, kv := range sets {
		if k, _, _ := strings.Cut(kv, "="); strings.TrimSpace(k) ==
			"train.steps" {
			return true
		}
	}
	return false
}

// trainFlagSets turns the train flags the user gave into
// "train.key=value" overrides, which rank below --set. Flags a command
// does not have, or that were left alone, add nothing.
func trainFlagSets(cmd *cobra.Command, steps, batch, seq int, lr float64,
	seed int64) []string {
	var sets []string
	for _, f := range []struct {
		name, key string
		v         any
	}{{"steps", "train.steps", steps}, {"batch", "train.batch_size", batch},
		{"seq", "train.seq_len", seq}, {"lr", "train.lr", lr},
		{"seed", "train.seed", seed}} {
		// --seed -1 is the flag's "unset", even when typed out.
		unset := f.name == "seed" && seed == -1
		if cmd.Flags().Changed(f.name) && !unset {
			sets = append(sets, fmt.Sprintf("%s=%v", f.key, f.v))
		}
	}
	return sets
}

type pretrainOptions struct {
	run       runFlags
	data      string
	out       string
	resume    bool
	stopAfter int
}

func newPretrainCmd() *cobra.Command {
	var o pretrainOptions
	cmd := &cobra.Command{
		Use:   "pretrain",
		Short: "Pretrain the model by next-token prediction",
		Long: "Pretrain a DeepSeek-style model (MLA + MoE) by next-token " +
			"prediction.\nWithout --data it trains on the built-in corpus. " +
			"--data takes a text,\nJSONL or parquet file or folder (cleaned, " +
			"deduplicated and tokenized\ninto RUN/data first) or a folder " +
			"written by `train data prepare`.",
		Example: "  train pretrain\n" +
			"  train pretrain --preset shakespeare --data tinyshakespeare.txt" +
			" --out runs/shakespeare\n" +
			"  train pretrain --resume --steps 2000",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPretrain(cmd, o)
		},
	}
	o.run.register(cmd, "tiny")
	cmd.Flags().StringVar(&o.data, "data", "", "training text or "+
		"prepared data folder (default: built-in corpus)")
	cmd.Flags().StringVar(&o.out, "out", "runs/pretrain", "run folder")
	cmd.Flags().BoolVar(&o.resume, "resume", false, "continue from the "+
		"run folder's latest checkpoint")
	cmd.Flags().IntVar(&o.stopAfter, "stop-after", 0, "save and stop "+
		"after this step, as an interrupt would (the schedule still "+
		"spans --steps)")
	return cmd
}

func runPretrain(cmd *cobra.Command, o pretrainOptions) error {
	cfg, err := o.run.load(cmd)
	if err != nil {
		return err
	}
	if o.data != "" {
		cfg.Data.Path = o.data
	}
	log, err := logger()
	if err != nil {
		return err
	}
	res, err := pretrain.Run(cmd.Context(), pretrain.Options{
		Config: cfg, Out: o.out, Resume: o.resume, Log: log,
		Progress: os.Stderr, StopAfter: o.stopAfter,
		StepsGiven: stepsGiven(cmd, o.run.sets, o.run.config)})
	if err != nil {
		return err
	}
	printEval(res.Steps, res.Eval)
	fmt.Printf("checkpoint %s\n", res.Dir)
	return nil
}

// printEval writes the final metrics and sample to stdout.
func printEval(steps int, ev pretrain.Eval) {
	m := ev.Metrics
	if m == nil {
		fmt.Printf("stopped after step %d, before any evaluation; "+
			"continue with --resume\n", steps)
		return
	}
	if ev.Step != steps {
		fmt.Printf("stopped after step %d; the last evaluation, at step "+
			"%d:\n", steps, ev.Step)
	}
	fmt.Printf("step %d val_loss %.4f val_ppl %.3f val_bpb %.4f\n",
		ev.Step, m["val_loss"], m["val_ppl"], m["val_bpb"])
	if ev.Sample != "" {
		fmt.Printf("sample:\n%s\n", ev.Sample)
	}
}
