package main

import (
	"fmt"
	"math"
	"os"

	"github.com/spf13/cobra"

	"github.com/tinyseek/tinyseek/configs"
	"github.com/tinyseek/tinyseek/data"
	"github.com/tinyseek/tinyseek/sft"
)

func init() { laterStages = append(laterStages, newSFTCmd) }

type sftOptions struct {
	run       runFlags
	init      string
	data      string
	out       string
	resume    bool
	skipBad   bool
	stopAfter int
}

func newSFTCmd() *cobra.Command {
	var o sftOptions
	cmd := &cobra.Command{
		Use:   "sft",
		Short: "Fine-tune a checkpoint on prompt/response pairs",
		Long: "Supervised fine-tuning: teach a pretrained model the chat " +
			"template,\ntraining only on assistant tokens and each " +
			"assistant turn's <|end|>.\nWithout --data it uses the " +
			"built-in tasks and scores held-out answers\nagainst the " +
			"init checkpoint's. --data takes JSONL lines of\n" +
			"{\"prompt\": ..., \"response\": ...} or {\"messages\": " +
			"[{\"role\": ..., \"content\": ...}]}.\nThe model and " +
			"tokenizer come from --init; only model.dropout may change.",
		Example: "  train sft\n" +
			"  train sft --init runs/pretrain --data chats.jsonl --out " +
			"runs/chat\n  train sft --resume --steps 800",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSFT(cmd, o)
		},
	}
	o.run.register(cmd, "tiny")
	f := cmd.Flags()
	f.MarkHidden("preset")
	f.StringVar(&o.init, "init", "runs/pretrain", "checkpoint to start "+
		"from (run folder or checkpoint folder)")
	f.StringVar(&o.data, "data", "", "JSONL examples (default: built-in "+
		"tasks)")
	f.StringVar(&o.out, "out", "runs/sft", "run folder")
	f.BoolVar(&o.resume, "resume", false, "continue from the run "+
		"folder's latest checkpoint")
	f.BoolVar(&o.skipBad, "skip-bad-lines", false, "skip and count "+
		"malformed JSONL lines instead of failing")
	f.IntVar(&o.stopAfter, "stop-after", 0, "save and stop after this "+
		"step, as an interrupt would")
	return cmd
}

// settings resolves sft defaults < --config < flags < --set.
func (o sftOptions) settings(cmd *cobra.Command) (sft.Settings, error) {
	if cmd.Flags().Changed("preset") {
		return sft.Settings{}, fmt.Errorf("sft: --preset does not " +
			"apply: the model comes from --init")
	}
	var file *configs.Source
	if o.run.config != "" {
		src, err := configs.LoadFile(o.run.config)
		if err != nil {
			return sft.Settings{}, err
		}
		file = &src
	}
	r := o.run
	sets := trainFlagSets(cmd, r.steps, r.batch, r.seq, r.lr, r.seed)
	return sft.LoadConfig(file, append(sets, o.run.sets...))
}

func runSFT(cmd *cobra.Command, o sftOptions) error {
	st, err := o.settings(cmd)
	if err != nil {
		return err
	}
	log, err := logger()
	if err != nil {
		return err
	}
	res, err := sft.Run(cmd.Context(), sft.Options{Settings: st,
		Init: o.init, Data: o.data, SkipBadLines: o.skipBad, Out: o.out,
		Resume: o.resume, Log: log, Progress: os.Stderr,
		StopAfter:  o.stopAfter,
		StepsGiven: stepsGiven(cmd, o.run.sets, o.run.config)})
	if err != nil {
		return err
	}
	printSFT(res)
	fmt.Printf("checkpoint %s\n", res.Dir)
	return nil
}

// printSFT writes the held-out results to stdout, the init
// checkpoint's beside the fine-tuned model's.
func printSFT(res sft.Result) {
	if res.Metrics == nil {
		fmt.Printf("stopped after step %d, before any evaluation; "+
			"continue with --resume\n", res.Steps)
		return
	}
	fmt.Printf("step %d val_loss %.4f\n", res.Steps,
		res.Metrics["val_loss"])
	init := res.InitScore
	if init == nil {
		fmt.Printf("end_rate %.3f accuracy %s\n", res.Score.EndRate(),
			pct(res.Score.Accuracy()))
		return
	}
	fmt.Printf("%-12s %8s %8s\n", "", "sft", "init")
	fmt.Printf("%-12s %8.3f %8.3f\n", "end_rate", res.Score.EndRate(),
		init.EndRate())
	if res.Score.Checked == 0 {
		return
	}
	for _, k := range data.TaskKinds {
		if _, ok := res.Score.ByKind[k]; ok {
			fmt.Printf("%-12s %8s %8s\n", "acc_"+k,
				pct(res.Score.KindAccuracy(k)), pct(init.KindAccuracy(k)))
		}
	}
	fmt.Printf("%-12s %8s %8s\n", "accuracy", pct(res.Score.Accuracy()),
		pct(init.Accuracy()))
}

func pct(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.3f", v)
}
