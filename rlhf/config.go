package rlhf

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// SetKey applies one "reward.key=value" or "ppo.key=value" override
// to rc or pc. origin names where the pair came from ("--set" or a
// config file) and opens every error, so that a user sees the key
// and the value rather than Go's reflection vocabulary. Values are
// checked by Validate, not here.
func SetKey(rc *RewardConfig, pc *PPOConfig, kv, origin string) error {
	key, val, ok := strings.Cut(kv, "=")
	sec, name, ok2 := strings.Cut(key, ".")
	if !ok || !ok2 || (sec != "reward" && sec != "ppo") {
		return fmt.Errorf("rlhf: %s %q: want reward.key=value or "+
			"ppo.key=value", origin, kv)
	}
	var target any = rc
	if sec == "ppo" {
		target = pc
	}
	if err := setField(target, name, strings.TrimSpace(val)); err != nil {
		return fmt.Errorf("rlhf: %s %s: %w", origin, key, err)
	}
	return nil
}

// setField stores val into the field of *ptr whose yaml tag is name.
func setField(ptr any, name, val string) error {
	v := reflect.ValueOf(ptr).Elem()
	for i := range v.NumField() {
		tag, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
		if tag != name {
			continue
		}
		return parseInto(v.Field(i), val)
	}
	return fmt.Errorf("unknown key")
}

// parseInto parses val by the kind of f, with errors a user reads.
func parseInto(f reflect.Value, val string) error {
	switch f.Kind() {
	case reflect.Int:
		n, err := strconv.Atoi(val)
		if err != nil {
			return fmt.Errorf("want an integer, got %q", val)
		}
		f.SetInt(int64(n))
	case reflect.Float64:
		x, err := strconv.ParseFloat(val, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("want a number, got %q", val)
		}
		f.SetFloat(x)
	case reflect.Bool:
		b, err := strconv.ParseBool(val)
		if err != nil {
			return fmt.Errorf("want true or false, got %q", val)
		}
		f.SetBool(b)
	default:
		panic("rlhf: config field of unsupported kind " + f.Kind().String())
	}
	return nil
}

// rule is one bound on a config value: ok reports whether x meets it
// and want says so in words for the error.
type rule struct {
	key  string
	x    float64
	ok   bool
	want string
}

// firstBroken returns the error of the first rule not met.
func firstBroken(rules []rule) error {
	for _, r := range rules {
		if !r.ok || math.IsNaN(r.x) || math.IsInf(r.x, 0) {
			return fmt.Errorf("rlhf: %s: %v is out of range; want %s",
				r.key, r.x, r.want)
		}
	}
	return nil
}

// Validate rejects settings no run can use, naming the key.
func (c RewardConfig) Validate() error {
	return firstBroken([]rule{
		{"reward.center", c.Center, c.Center >= 0, "≥ 0"},
		{"reward.val_fraction", c.ValFraction,
			c.ValFraction > 0 && c.ValFraction < 1, "in (0, 1)"},
		{"reward.builtin_pairs", float64(c.BuiltinPairs),
			c.BuiltinPairs >= 2, "≥ 2"},
	})
}

// Validate rejects settings no run can use, naming the key.
func (c PPOConfig) Validate() error {
	pos := func(key string, n int) rule {
		return rule{key, float64(n), n >= 1, "≥ 1"}
	}
	unit := func(key string, x float64) rule {
		return rule{key, x, x >= 0 && x <= 1, "in [0, 1]"}
	}
	return firstBroken([]rule{
		pos("ppo.rollout_batch", c.RolloutBatch),
		pos("ppo.samples_per_prompt", c.SamplesPerPrompt),
		{"ppo.rollout_batch", float64(c.RolloutBatch),
			c.SamplesPerPrompt < 1 || c.RolloutBatch%c.SamplesPerPrompt == 0,
			"a multiple of ppo.samples_per_prompt"},
		pos("ppo.mini_batch", c.MiniBatch),
		{"ppo.mini_batch", float64(c.MiniBatch),
			c.MiniBatch <= c.RolloutBatch, "≤ ppo.rollout_batch"},
		pos("ppo.epochs", c.Epochs),
		pos("ppo.max_new_tokens", c.MaxNewTokens),
		{"ppo.temperature", c.Temperature, c.Temperature > 0, "> 0"},
		{"ppo.kl_coef", c.KLCoef, c.KLCoef >= 0, "≥ 0"},
		{"ppo.target_kl", c.TargetKL, c.TargetKL > 0, "> 0"},
		{"ppo.kl_horizon", c.KLHorizon, c.KLHorizon > 0, "> 0"},
		{"ppo.clip_range", c.ClipRange, c.ClipRange > 0, "> 0"},
		{"ppo.value_clip", c.ValueClip, c.ValueClip > 0, "> 0"},
		{"ppo.value_coef", c.ValueCoef, c.ValueCoef >= 0, "≥ 0"},
		{"ppo.value_lr", c.ValueLR, c.ValueLR >= 0, "≥ 0 (0: train.lr)"},
		unit("ppo.gamma", c.Gamma),
		unit("ppo.lambda", c.Lambda),
		{"ppo.end_penalty", c.EndPenalty, true, "a finite number"},
		{"ppo.norm_prompts", float64(c.NormPrompts), c.NormPrompts >= 0,
			"≥ 0"},
		pos("ppo.eval_prompts", c.EvalPrompts),
		pos("ppo.eval_samples", c.EvalSamples),
		{"ppo.unfrozen_layers", float64(c.UnfrozenLayers),
			c.UnfrozenLayers >= -1, "≥ -1 (-1: every parameter)"},
		pos("ppo.builtin_prompts", c.BuiltinPrompts),
	})
}

// CheckKey refuses a train.*, model.* or data.* key that stage
// ("reward" or "ppo") would otherwise ignore without a word: the
// model comes from the initial checkpoint, the data from --data or
// --prompts, and sequences are bounded by the model's positions.
func CheckKey(stage, key string) error {
	sec, _, _ := strings.Cut(key, ".")
	why := ""
	switch {
	case sec == "model":
		why = "the model comes from the initial checkpoint"
	case sec == "data":
		why = "RLHF data is a JSONL file given with --data or --prompts"
	case key == "train.seq_len":
		why = "sequences are bounded by the checkpoint's " +
			"max_position_embeddings"
	case stage == "ppo" && strings.HasPrefix(key, "train.sample_"):
		why = "PPO's evaluations print its samples"
	case stage == "ppo" && slices.Contains(ppoBatchKeys, key):
		why = "PPO batches are set by ppo.rollout_batch and " +
			"ppo.mini_batch"
	default:
		return nil
	}
	return fmt.Errorf("rlhf %s: %s: not used by this stage; %s", stage,
		key, why)
}

// ppoBatchKeys are the batch keys of the train section, which PPO
// does not read.
var ppoBatchKeys = []string{"train.batch_size", "train.grad_accum",
	"train.eval_batches"}
