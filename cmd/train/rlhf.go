package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/tinyseek/tinyseek/configs"
	"github.com/tinyseek/tinyseek/rlhf"
)

func init() { laterStages = append(laterStages, newRLHFCmd) }

// rlhfFlags are the flags both RLHF commands share: config layers
// (stage defaults < --config < flags < --set) and the run folder.
type rlhfFlags struct {
	config        string
	sets          []string
	steps, batch  int
	lr            float64
	seed          int64
	out           string
	resume        bool
	stopAfter     int
	init          string
	data, prompts string
	reward        string
}

func (f *rlhfFlags) register(cmd *cobra.Command, out string) {
	fl := cmd.Flags()
	fl.StringVar(&f.config, "config", "", "YAML config file (train.*, "+
		"reward.* and ppo.* keys)")
	fl.StringArrayVar(&f.sets, "set", nil, "override a key, e.g. "+
		"--set ppo.kl_coef=0.1 --set train.lr=1e-5")
	fl.IntVar(&f.steps, "steps", 0, "optimizer steps (reward) or PPO "+
		"iterations (train.steps)")
	fl.IntVar(&f.batch, "batch", 0, "pairs per micro-batch "+
		"(train.batch_size, reward)")
	fl.Float64Var(&f.lr, "lr", 0, "peak learning rate (train.lr)")
	fl.Int64Var(&f.seed, "seed", -1, "random seed (train.seed)")
	fl.StringVar(&f.out, "out", out, "run folder")
	fl.BoolVar(&f.resume, "resume", false, "continue from the run "+
		"folder's latest checkpoint")
	fl.IntVar(&f.stopAfter, "stop-after", 0, "save and stop after this "+
		"step, as an interrupt would")
}

// stageConfig holds the stage-specific sections of a config file.
type stageConfig struct {
	Reward rlhf.RewardConfig `yaml:"reward"`
	PPO    rlhf.PPOConfig    `yaml:"ppo"`
}

// load resolves the train section through configs.Load and the
// reward/ppo sections here, both strictly.
func (f *rlhfFlags) load(cmd *cobra.Command, defaults string) (
	configs.Config, stageConfig, error) {
	sc := stageConfig{Reward: rlhf.DefaultRewardConfig(),
		PPO: rlhf.DefaultPPOConfig()}
	srcs := []configs.Source{{Name: "rlhf defaults",
		YAML: []byte(defaults)}}
	var trainSets, stageSets []string
	if f.config != "" {
		b, err := os.ReadFile(f.config)
		if err != nil {
			return configs.Config{}, sc, err
		}
		var tree map[string]any
		if err := yaml.Unmarshal(b, &tree); err != nil {
			return configs.Config{}, sc, fmt.Errorf("%s: %w", f.config, err)
		}
		rest := map[string]any{}
		for k, v := range tree {
			if k == "reward" || k == "ppo" {
				stageSets = append(stageSets, flatten(k, v)...)
			} else {
				rest[k] = v
			}
		}
		rb, _ := yaml.Marshal(rest)
		srcs = append(srcs, configs.Source{Name: f.config, YAML: rb})
	}
	flag := func(name, key string, v any) {
		if cmd.Flags().Changed(name) {
			trainSets = append(trainSets, fmt.Sprintf("%s=%v", key, v))
		}
	}
	flag("steps", "train.steps", f.steps)
	flag("batch", "train.batch_size", f.batch)
	flag("lr", "train.lr", f.lr)
	flag("seed", "train.seed", f.seed)
	for _, kv := range f.sets {
		if strings.HasPrefix(kv, "reward.") || strings.HasPrefix(kv, "ppo.") {
			stageSets = append(stageSets, kv)
		} else {
			trainSets = append(trainSets, kv)
		}
	}
	cfg, err := configs.Load(srcs, trainSets)
	if err != nil {
		return cfg, sc, err
	}
	for _, kv := range stageSets {
		if err := sc.set(kv); err != nil {
			return cfg, sc, err
		}
	}
	return cfg, sc, nil
}

// flatten turns {k: {a: 1}} into ["k.a=1"].
func flatten(prefix string, v any) []string {
	m, ok := v.(map[string]any)
	if !ok {
		b, _ := yaml.Marshal(v)
		return []string{prefix + "=" + strings.TrimSpace(string(b))}
	}
	var out []string
	for k, x := range m {
		out = append(out, flatten(prefix+"."+k, x)...)
	}
	return out
}

// set applies one "reward.key=value" or "ppo.key=value", rejecting
// unknown keys.
func (sc *stageConfig) set(kv string) error {
	key, val, ok := strings.Cut(kv, "=")
	sec, name, ok2 := strings.Cut(key, ".")
	if !ok || !ok2 {
		return fmt.Errorf("--set %q: want section.key=value", kv)
	}
	var target any = &sc.Reward
	if sec == "ppo" {
		target = &sc.PPO
	}
	doc := fmt.Sprintf("%s: %s\n", name, val)
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(target); err != nil {
		return fmt.Errorf("--set %s: %w", kv, err)
	}
	return nil
}

func (f *rlhfFlags) common(cfg configs.Config, out string) (rlhf.Common,
	error) {
	log, err := logger()
	return rlhf.Common{Config: cfg, Out: out, Resume: f.resume, Log: log,
		Progress: os.Stderr, StopAfter: f.stopAfter}, err
}

func newRLHFCmd() *cobra.Command {
	var f rlhfFlags
	cmd := &cobra.Command{
		Use:   "rlhf",
		Short: "Align the SFT model: reward model, then PPO",
		Long: "Without a subcommand, train the reward model into " +
			"OUT/reward, then PPO\ninto OUT/ppo, both from --init " +
			"(default runs/sft) with built-in data.\n\n" +
			"  train pretrain && train sft && train rlhf\n\n" +
			"runs the whole chain. --steps, --lr and --stop-after apply " +
			"to both stages.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRLHFBoth(cmd, f)
		},
	}
	f.register(cmd, "runs/rlhf")
	cmd.Flags().StringVar(&f.init, "init", "runs/sft", "SFT checkpoint "+
		"(run or checkpoint folder)")
	cmd.Flags().StringVar(&f.data, "data", "", "preference JSONL "+
		"(default: built-in pairs)")
	cmd.Flags().StringVar(&f.prompts, "prompts", "", "PPO prompt JSONL "+
		"(default: built-in task prompts)")
	cmd.AddCommand(newRewardCmd(), newPPOCmd())
	return cmd
}

func runRLHFBoth(cmd *cobra.Command, f rlhfFlags) error {
	rf, pf := f, f
	rf.out = filepath.Join(f.out, "reward")
	if err := runRewardCmd(cmd, rf); err != nil {
		return err
	}
	pf.out = filepath.Join(f.out, "ppo")
	pf.reward = rf.out
	return runPPOCmd(cmd, pf)
}

func newRewardCmd() *cobra.Command {
	var f rlhfFlags
	cmd := &cobra.Command{
		Use:   "reward",
		Short: "Train a reward model on chosen/rejected pairs",
		Long: "Train the SFT backbone plus a scalar head with the " +
			"Bradley–Terry loss.\n--data takes JSONL lines " +
			`{"prompt","chosen","rejected"[,"margin"]} or` + "\n" +
			`Human/Assistant transcript pairs {"chosen","rejected"}.`,
		Example: "  train rlhf reward --init runs/sft --out runs/rlhf/reward\n" +
			"  train rlhf reward --data rlhf/testdata/hh_pairs.jsonl " +
			"--out runs/hh-reward",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRewardCmd(cmd, f)
		},
	}
	f.register(cmd, "runs/rlhf/reward")
	cmd.Flags().StringVar(&f.init, "init", "runs/sft", "SFT checkpoint")
	cmd.Flags().StringVar(&f.data, "data", "", "preference JSONL "+
		"(default: built-in pairs)")
	return cmd
}

func runRewardCmd(cmd *cobra.Command, f rlhfFlags) error {
	cfg, sc, err := f.load(cmd, rlhf.RewardDefaults)
	if err != nil {
		return err
	}
	c, err := f.common(cfg, f.out)
	if err != nil {
		return err
	}
	res, err := rlhf.RunReward(cmd.Context(), rlhf.RewardOptions{
		Common: c, Init: f.init, Data: f.data, Reward: sc.Reward})
	if err != nil {
		return err
	}
	m := res.Metrics
	fmt.Printf("reward step %d val_accuracy %.4f val_loss %.4f "+
		"val_margin %.4f\n", res.Steps, m["val_accuracy"], m["val_loss"],
		m["val_margin"])
	fmt.Printf("checkpoint %s\n", res.Dir)
	return nil
}

func newPPOCmd() *cobra.Command {
	var f rlhfFlags
	cmd := &cobra.Command{
		Use:   "ppo",
		Short: "Optimise the policy with PPO against the reward model",
		Long: "PPO with a per-token KL penalty to the frozen --policy " +
			"(the reference);\nthe critic starts from --reward. --prompts " +
			`takes JSONL lines {"prompt"} or pair lines.`,
		Example: "  train rlhf ppo --policy runs/sft --reward " +
			"runs/rlhf/reward --out runs/rlhf/ppo\n" +
			"  train rlhf ppo --set ppo.target_kl=1 --set ppo.kl_coef=0.1",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPPOCmd(cmd, f)
		},
	}
	f.register(cmd, "runs/rlhf/ppo")
	cmd.Flags().StringVar(&f.init, "policy", "runs/sft", "SFT checkpoint "+
		"(policy and reference)")
	cmd.Flags().StringVar(&f.reward, "reward", "runs/rlhf/reward",
		"reward checkpoint (reward model and critic)")
	cmd.Flags().StringVar(&f.prompts, "prompts", "", "prompt JSONL "+
		"(default: built-in task prompts)")
	return cmd
}

func runPPOCmd(cmd *cobra.Command, f rlhfFlags) error {
	cfg, sc, err := f.load(cmd, rlhf.PPODefaults)
	if err != nil {
		return err
	}
	c, err := f.common(cfg, f.out)
	if err != nil {
		return err
	}
	res, err := rlhf.RunPPO(cmd.Context(), rlhf.PPOOptions{Common: c,
		Policy: f.init, Reward: f.reward, Prompts: f.prompts,
		PPO: sc.PPO})
	if err != nil {
		return err
	}
	b, a := res.Before.Metrics, res.After.Metrics
	fmt.Printf("ppo step %d eval_score %.4f -> %.4f eval_kl %.4f -> %.4f "+
		"task_accuracy %.3f -> %.3f\n", res.Steps, b["eval_score"],
		a["eval_score"], b["eval_kl"], a["eval_kl"],
		b["eval_task_accuracy"], a["eval_task_accuracy"])
	for i := range min(5, len(res.After.Samples)) {
		fmt.Printf("before: %s\nafter:  %s\n", res.Before.Samples[i],
			res.After.Samples[i])
	}
	fmt.Printf("checkpoint %s\n", res.Dir)
	return nil
}
