package pretrain

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"time"

	ag "github.com/tinyseek/tinyseek/autograd"
	"github.com/tinyseek/tinyseek/autograd/optim"
	"github.com/tinyseek/tinyseek/checkpoints"
	"github.com/tinyseek/tinyseek/configs"
	"github.com/tinyseek/tinyseek/data/tokenizer"
	"github.com/tinyseek/tinyseek/layers"
)

// Batch is one micro-batch: ids and targets (B·T, −1 = no loss).
type Batch struct {
	IDs, Targets []int32
	B, T         int
	Opts         layers.ForwardOptions
	// Active is the number of targets that count (for tokens/s).
	Active int
}

// Eval is the result of one validation pass.
type Eval struct {
	Metrics map[string]float64 // val_loss is required
	Sample  string
	// Step is the step the evaluation ran at (set by the trainer).
	Step int
}

// Trainer runs the optimisation loop of any stage.
type Trainer struct {
	Stage string
	Run   string
	Cfg   configs.Config
	Model *layers.Model
	Tok   *tokenizer.Tokenizer
	Opt   *optim.AdamW
	State *checkpoints.State
	Log   *slog.Logger
	// Progress receives the progress bar; nil or a non-terminal means
	// slog lines instead.
	Progress io.Writer

	// Batch returns micro-batch micro of step; it must depend only on
	// (seed, step, micro) so resumed runs see the same data.
	Batch func(step, micro int) Batch
	// Evaluate runs validation in eval mode.
	Evaluate func() (Eval, error)
	// SaveExtra writes stage-specific files into a checkpoint folder.
	SaveExtra func(dir string) error
	// LossFn, when set, replaces the model's next-token loss (the
	// reward model's pairwise loss, for instance).
	LossFn func(tp *ag.Tape, b Batch) *ag.Tensor
	// Params, when set, are the tensors the optimizer updates (the
	// model's plus a head); default Model.Params().
	Params []*ag.Tensor

	// StopAfter, when positive, ends the run after that step with a
	// checkpoint, leaving the schedule as if it went on: the same as
	// interrupting it there.
	StopAfter int

	// Workers splits each micro-batch by rows over this many
	// goroutines (0: one per core; 1: the deterministic single-worker
	// mode). Results are bitwise reproducible for a fixed count.
	Workers int

	workers  []worker
	metrics  *Metrics
	last     Eval
	lastNorm float64
	lastLoad [][]float32
}

// Schedule returns the learning-rate schedule of the config.
func Schedule(t configs.Train) optim.Schedule {
	return optim.Schedule{MaxLR: t.LR, MinLR: t.MinLR,
		WarmupSteps: t.WarmupSteps, TotalSteps: t.Steps}
}

// NewOptimizer builds AdamW over the model's parameters: decay on
// matrices, never on norms, and on embeddings only when configured.
func NewOptimizer(m *layers.Model, t configs.Train) *optim.AdamW {
	cfg := optim.AdamWConfig{Beta1: t.Beta1, Beta2: t.Beta2, Eps: 1e-8,
		WeightDecay: t.WeightDecay}
	return optim.NewAdamW(m.Params(), cfg, func(p *ag.Tensor) bool {
		if len(p.Shape) < 2 {
			return false
		}
		return t.DecayEmbeddings || !isEmbedding(p.Name)
	})
}

func isEmbedding(name string) bool {
	return name == "model.embed_tokens.weight" ||
		name == "model.embed_positions.weight"
}

// CheckStopAfter refuses a --stop-after that is negative or not ahead
// of the step a run starts from. Stages call it before they write
// anything into the run folder.
func CheckStopAfter(stage string, stopAfter, step int) error {
	if stopAfter < 0 || stopAfter > 0 && stopAfter <= step {
		return fmt.Errorf("%s: --stop-after %d: want 0 or a step after "+
			"the checkpoint's %d", stage, stopAfter, step)
	}
	return nil
}

// Train runs from t.State.Step to the configured number of steps. It
// returns the last evaluation.
func (t *Trainer) Train(ctx context.Context) (Eval, error) {
	if err := CheckStopAfter(t.Stage, t.StopAfter, t.State.Step); err != nil {
		return Eval{}, err
	}
	var err error
	t.metrics, err = OpenMetrics(t.Run, t.State.Step)
	if err != nil {
		return Eval{}, err
	}
	defer t.metrics.Close()
	tc := t.Cfg.Train
	sched := Schedule(tc)
	tp := ag.NewTape()
	bar := newProgress(t.Progress, tc.Steps, t.State.Step)
	defer bar.finish()

	bad, tick := 0, time.Now()
	tokens := 0
	for t.State.Step < tc.Steps {
		step := t.State.Step
		lr := sched.LR(step)
		began := time.Now()
		loss, n, ok := t.step(tp, step, lr)
		stepTPS := float64(n) / time.Since(began).Seconds()
		tokens += n
		if !ok {
			bad++
			t.State.BadSteps++
			t.Log.Warn("non-finite loss or gradients, update skipped",
				"step", step, "in_a_row", bad)
			if bad >= tc.MaxBadSteps {
				return t.last, fmt.Errorf("%s: step %d: %d steps in a row "+
					"with non-finite loss or gradients; lower train.lr or "+
					"raise train.grad_clip", t.Stage, step, bad)
			}
		} else {
			bad = 0
		}
		t.State.Step++
		t.State.LR = lr
		t.State.TokensSeen += int64(n)

		// Log, evaluate and checkpoint on their schedules.
		done := t.State.Step == tc.Steps
		if t.State.Step%tc.LogEvery == 0 || done {
			secs := time.Since(tick).Seconds()
			t.logStep(bar, loss, lr, float64(tokens)/secs)
			tick, tokens = time.Now(), 0
		}
		bar.set(t.State.Step, loss, lr, stepTPS)
		if t.State.Step%tc.EvalEvery == 0 || done {
			if err := t.evaluate(); err != nil {
				return t.last, err
			}
			tick = time.Now() // tokens/s counts training time only
		}
		stop := ctx.Err() != nil
		pause := t.State.Step == t.StopAfter
		if t.State.Step%tc.SaveEvery == 0 || done || stop || pause {
			if err := t.save(); err != nil {
				return t.last, err
			}
		}
		if pause {
			t.Log.Info(t.Stage+" stopped as asked; continue with --resume",
				"step", t.State.Step)
			return t.last, nil
		}
		if stop {
			return t.last, fmt.Errorf("%s: interrupted after step %d; "+
				"checkpoint saved, continue with --resume: %w", t.Stage,
				t.State.Step, ctx.Err())
		}
	}
	return t.last, nil
}

// step runs one optimizer step and returns the mean micro-batch loss,
// the tokens trained on, and whether the update was taken.
func (t *Trainer) step(tp *ag.Tape, step int, lr float64) (float64,
	int, bool) {
	tc := t.Cfg.Train
	params := t.params()
	ag.ZeroGrads(params)

	// 1. Forward and backward over the micro-batches; the gradients
	// accumulate, each loss scaled by 1/accum.
	var sum float64
	tokens := 0
	finite := true
	seed := t.State.Seed*1_000_003 + uint64(step)
	for micro := 0; micro < tc.GradAccum; micro++ {
		b := t.Batch(step, micro)
		var v float64
		if n := t.workerCount(b.B); n > 1 {
			t.setupWorkers(n, params)
			v = t.microParallel(b, seed+uint64(micro)<<20, tc.GradAccum)
		} else {
			tp.SeedDropout(seed + uint64(micro)<<20)
			loss := t.loss(tp, b)
			v = float64(loss.Item())
			if loss.RequiresGrad() {
				tp.Backward(tp.Scale(loss, 1/float32(tc.GradAccum)))
			}
			tp.Reset()
		}
		finite = finite && !math.IsNaN(v) && !math.IsInf(v, 0)
		sum += v
		tokens += b.Active
	}
	if len(t.workers) > 1 {
		t.gatherGrads(params)
	}
	loss := sum / float64(tc.GradAccum)

	// 2. Skip the update when anything is not finite.
	t.lastLoad = t.Model.ExpertLoad()
	if !finite || !ag.GradsFinite(params) {
		t.Model.ResetLoad()
		return loss, tokens, false
	}

	// 3. Clip, update, rebalance the experts.
	norm := optim.ClipGradNorm(params, tc.GradClip)
	t.Opt.Step(lr)
	t.Model.UpdateBias()
	t.lastNorm = norm
	return loss, tokens, true
}

func (t *Trainer) params() []*ag.Tensor {
	if t.Params != nil {
		return t.Params
	}
	return t.Model.Params()
}

func (t *Trainer) loss(tp *ag.Tape, b Batch) *ag.Tensor {
	if t.LossFn != nil {
		return t.LossFn(tp, b)
	}
	loss, _ := t.Model.Loss(tp, b.IDs, b.Targets, b.B, b.T, b.Opts)
	return loss
}
