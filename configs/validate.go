package configs

import (
	"errors"
	"fmt"
)

// Validate checks every train and data value and the model config.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("configs: %s: "+format,
			append([]any{key}, a...)...))
	}
	t := c.Train
	positive := []struct {
		key string
		v   int
	}{{"train.steps", t.Steps}, {"train.batch_size", t.BatchSize},
		{"train.seq_len", t.SeqLen}, {"train.grad_accum", t.GradAccum},
		{"train.eval_every", t.EvalEvery},
		{"train.eval_batches", t.EvalBatches},
		{"train.log_every", t.LogEvery}, {"train.save_every", t.SaveEvery},
		{"train.max_bad_steps", t.MaxBadSteps}}
	for _, p := range positive {
		if p.v <= 0 {
			bad(p.key, "must be > 0, got %d", p.v)
		}
	}
	if t.LR <= 0 {
		bad("train.lr", "must be > 0, got %v", t.LR)
	}
	if t.MinLR < 0 || t.MinLR > t.LR {
		bad("train.min_lr", "must be in [0, lr=%v], got %v", t.LR, t.MinLR)
	}
	if t.WarmupSteps < 0 {
		bad("train.warmup_steps", "must be ≥ 0, got %d", t.WarmupSteps)
	}
	for _, b := range []struct {
		key string
		v   float64
	}{{"train.beta1", t.Beta1}, {"train.beta2", t.Beta2}} {
		if b.v < 0 || b.v >= 1 {
			bad(b.key, "must be in [0, 1), got %v", b.v)
		}
	}
	if t.Workers < 0 {
		bad("train.workers", "must be ≥ 0, got %d", t.Workers)
	}
	if t.WeightDecay < 0 || t.GradClip < 0 || t.KeepLast < 0 {
		bad("train", "weight_decay, grad_clip and keep_last must be ≥ 0")
	}
	if t.SeqLen > c.Model.MaxPositionEmbeddings {
		bad("train.seq_len", "%d exceeds model.max_position_embeddings %d",
			t.SeqLen, c.Model.MaxPositionEmbeddings)
	}
	if c.Data.ValFraction <= 0 || c.Data.ValFraction >= 1 {
		bad("data.val_fraction", "must be in (0, 1), got %v",
			c.Data.ValFraction)
	}
	if v := c.Data.ValSplit; v != "random" && v != "tail" {
		bad("data.val_split", "want random or tail, got %q", v)
	}
	if err := c.Model.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
