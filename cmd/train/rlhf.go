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
	skipBad       bool
	// chain: the flags serve both stages of `train rlhf`, so PPO lets
	// through the keys only the reward stage reads.
	chain bool
}

// checkKey is rlhf.CheckKey, less the keys the chain's reward stage
// reads when f serves both stages.
func (f *rlhfFlags) checkKey(stage, key string) error {
	err := rlhf.CheckKey(stage, key)
	if err != nil && f.chain && rlhf.CheckKey("reward", key) == nil {
		return nil
	}
	return err
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
		"(train.batch_size; reward stage only)")
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
func (f *rlhfFlags) load(cmd *cobra.Command, stage, defaults string) (
	configs.Config, stageConfig, error) {
	sc := stageConfig{Reward: rlhf.DefaultRewardConfig(),
		PPO: rlhf.DefaultPPOConfig()}
	srcs := []configs.Source{{Name: "rlhf defaults",
		YAML: []byte(defaults)}}
	var trainSets []string
	type stageSet struct{ kv, origin string }
	var stageSets []stageSet
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
			if err := f.checkFileKeys(stage, k, v); err != nil {
				return configs.Config{}, sc, fmt.Errorf("%s: %w", f.config,
					err)
			}
			if k == "reward" || k == "ppo" {
				for _, kv := range flatten(k, v) {
					stageSets = append(stageSets,
						stageSet{kv, f.config + ":"})
				}
			} else {
				rest[k] = v
			}
		}
		rb, _ := yaml.Marshal(rest)
		srcs = append(srcs, configs.Source{Name: f.config, YAML: rb})
	}
	trainSets = append(trainSets,
		trainFlagSets(cmd, f.steps, f.batch, 0, f.lr, f.seed)...)
	for _, kv := range f.sets {
		if strings.HasPrefix(kv, "reward.") || strings.HasPrefix(kv, "ppo.") {
			stageSets = append(stageSets, stageSet{kv, "--set"})
		} else {
			trainSets = append(trainSets, kv)
		}
	}
	for _, kv := range trainSets {
		k, _, _ := strings.Cut(kv, "=")
		if err := f.checkKey(stage, strings.TrimSpace(k)); err != nil {
			return configs.Config{}, sc, err
		}
	}
	cfg, err := configs.Load(srcs, trainSets)
	if err != nil {
		return cfg, sc, err
	}
	for _, s := range stageSets {
		err := rlhf.SetKey(&sc.Reward, &sc.PPO, s.kv, s.origin)
		if err != nil {
			return cfg, sc, err
		}
	}
	if err := sc.Reward.Validate(); err != nil {
		return cfg, sc, err
	}
	return cfg, sc, sc.PPO.Validate()
}

// checkFileKeys applies checkKey to section sec of a config file.
func (f *rlhfFlags) checkFileKeys(stage, sec string, v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return f.checkKey(stage, sec)
	}
	for k := range m {
		if err := f.checkKey(stage, sec+"."+k); err != nil {
			return err
		}
	}
	return nil
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

func (f *rlhfFlags) common(cmd *cobra.Command, cfg configs.Config,
	out string) (rlhf.Common, error) {
	log, err := logger()
	return rlhf.Common{Config: cfg, Out: out, Resume: f.resume, Log: log,
		Progress: os.Stderr, StopAfter: f.stopAfter,
		StepsGiven: stepsGiven(cmd, f.sets, f.config)}, err
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
	cmd.Flags().BoolVar(&f.skipBad, "skip-bad-lines", false, "skip "+
		"and count malformed --data lines instead of failing")
	cmd.Flags().StringVar(&f.prompts, "prompts", "", "PPO prompt JSONL "+
		"(default: built-in task prompts)")
	cmd.AddCommand(newRewardCmd(), newPPOCmd())
	return cmd
}

// runRLHFBoth runs reward then PPO under OUT; with --resume each
// stage resumes or starts fresh on its own, and a reward stage that
// stops early keeps PPO from starting.
func runRLHFBoth(cmd *cobra.Command, f rlhfFlags) error {
	f.chain = true
	rf, pf := f, f
	rf.out = filepath.Join(f.out, "reward")
	pf.out = filepath.Join(f.out, "ppo")
	ro, err := rf.rewardOptions(cmd)
	if err != nil {
		return err
	}
	po, err := pf.ppoOptions(cmd)
	if err != nil {
		return err
	}
	res, err := rlhf.RunBoth(cmd.Context(), ro, po)
	if err != nil {
		return err
	}
	printReward(res.Reward)
	if res.PPO == nil {
		fmt.Printf("ppo not started: the reward model is not finished; "+
			"continue with the same command and --resume (out %s)\n",
			f.out)
		return nil
	}
	printPPO(*res.PPO)
	return nil
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
	cmd.Flags().BoolVar(&f.skipBad, "skip-bad-lines", false, "skip "+
		"and count malformed --data lines instead of failing")
	return cmd
}

func (f *rlhfFlags) rewardOptions(cmd *cobra.Command) (
	rlhf.RewardOptions, error) {
	cfg, sc, err := f.load(cmd, "reward", rlhf.RewardDefaults)
	if err != nil {
		return rlhf.RewardOptions{}, err
	}
	c, err := f.common(cmd, cfg, f.out)
	return rlhf.RewardOptions{Common: c, Init: f.init, Data: f.data,
		SkipBadLines: f.skipBad, Reward: sc.Reward}, err
}

func runRewardCmd(cmd *cobra.Command, f rlhfFlags) error {
	o, err := f.rewardOptions(cmd)
	if err != nil {
		return err
	}
	res, err := rlhf.RunReward(cmd.Context(), o)
	if err != nil {
		return err
	}
	printReward(res)
	return nil
}

// printReward reports the run's evaluation, or why there is none.
func printReward(res rlhf.RewardResult) {
	m := res.Metrics
	switch {
	case res.Finished:
		fmt.Printf("reward already finished at step %d\n", res.Steps)
	case res.Stopped:
		fmt.Printf("reward stopped after step %d (no evaluation yet); "+
			"continue with --resume\n", res.Steps)
	case m == nil:
		fmt.Printf("reward step %d (no evaluation)\n", res.Steps)
	default:
		fmt.Printf("reward step %d val_accuracy %.4f val_loss %.4f "+
			"val_margin %.4f\n", res.Steps, m["val_accuracy"],
			m["val_loss"], m["val_margin"])
	}
	fmt.Printf("checkpoint %s\n", res.Dir)
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
	// PPO's batches are ppo.rollout_batch and ppo.mini_batch.
	if err := cmd.Flags().MarkHidden("batch"); err != nil {
		panic(err)
	}
	cmd.Flags().StringVar(&f.init, "policy", "runs/sft", "SFT checkpoint "+
		"(policy and reference)")
	cmd.Flags().StringVar(&f.reward, "reward", "runs/rlhf/reward",
		"reward checkpoint (reward model and critic)")
	cmd.Flags().StringVar(&f.prompts, "prompts", "", "prompt JSONL "+
		"(default: built-in task prompts)")
	return cmd
}

func (f *rlhfFlags) ppoOptions(cmd *cobra.Command) (rlhf.PPOOptions,
	error) {
	cfg, sc, err := f.load(cmd, "ppo", rlhf.PPODefaults)
	if err != nil {
		return rlhf.PPOOptions{}, err
	}
	c, err := f.common(cmd, cfg, f.out)
	return rlhf.PPOOptions{Common: c, Policy: f.init, Reward: f.reward,
		Prompts: f.prompts, PPO: sc.PPO}, err
}

func runPPOCmd(cmd *cobra.Command, f rlhfFlags) error {
	o, err := f.ppoOptions(cmd)
	if err != nil {
		return err
	}
	res, err := rlhf.RunPPO(cmd.Context(), o)
	if err != nil {
		return err
	}
	printPPO(res)
	return nil
}

// withSE formats eval_score with its standard error when there is one.
func withSE(m map[string]float64) string {
	if se, ok := m["eval_score_se"]; ok {
		return fmt.Sprintf("%.4f ± %.4f", m["eval_score"], se)
	}
	return fmt.Sprintf("%.4f", m["eval_score"])
}

// printPPO reports before and after, or why there is no after.
func printPPO(res rlhf.PPOResult) {
	if res.Finished {
		fmt.Printf("ppo already finished at step %d\n", res.Steps)
	}
	switch {
	case res.After.Metrics == nil:
		// a finished run from before eval_after.json: nothing to show
	case res.Stopped:
		fmt.Printf("ppo stopped after step %d (no evaluation yet); "+
			"continue with --resume\n", res.Steps)
	default:
		b, a := res.Before.Metrics, res.After.Metrics
		fmt.Printf("ppo step %d eval_score %s -> %s eval_kl %.4f -> %.4f",
			res.Steps, withSE(b), withSE(a), b["eval_kl"], a["eval_kl"])
		if k3, ok := a["eval_kl_k3"]; ok { // absent in older runs
			fmt.Printf(" (k3 %.4f)", k3)
		}
		if _, ok := a["eval_task_accuracy"]; ok {
			fmt.Printf(" task_accuracy %.3f -> %.3f",
				b["eval_task_accuracy"], a["eval_task_accuracy"])
		}
		fmt.Println()
		if g, se, ok := rlhf.PairedGain(res.Before, res.After); ok {
			fmt.Printf("ppo score gain per held-out prompt %+.4f ± %.4f "+
				"(paired standard error)\n", g, se)
		}
		if g, ok := a["eval_gold_score"]; ok {
			fmt.Printf("ppo expected answers of the held-out tasks score "+
				"%.4f\n", g)
		}
		for i := range min(5, len(res.Before.Samples), len(res.After.Samples)) {
			fmt.Printf("before: %s\nafter:  %s\n", res.Before.Samples[i],
				res.After.Samples[i])
		}
	}
	fmt.Printf("checkpoint %s\n", res.Dir)
}
