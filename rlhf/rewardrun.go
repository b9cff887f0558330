package rlhf

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"

	ag "github.com/tinyseek/tinyseek/autograd"
	"github.com/tinyseek/tinyseek/checkpoints"
	"github.com/tinyseek/tinyseek/data/tokenizer"
	"github.com/tinyseek/tinyseek/pretrain"
)

// RewardDefaults is the YAML the reward command starts from, below
// --config and --set: a short, gentle fine-tune of the SFT backbone.
const RewardDefaults = `
train:
  steps: 600
  batch_size: 16
  lr: 2.0e-4
  min_lr: 2.0e-5
  warmup_steps: 20
  weight_decay: 0.0
  eval_every: 200
  log_every: 10
  save_every: 200
`

// RewardConfig holds the reward stage's own settings.
type RewardConfig struct {
	// Center weighs the reward-centering term c·(r_c + r_r)² that keeps
	// scores near zero (Eisenstein et al. 2023). Default 0.01.
	Center float64 `yaml:"center"`
	// ValFraction of prompts held out for pairwise accuracy.
	// Default 0.1.
	ValFraction float64 `yaml:"val_fraction"`
	// BuiltinPairs is how many built-in pairs are drawn when no data
	// file is given. Default 6000.
	BuiltinPairs int `yaml:"builtin_pairs"`
}

// DefaultRewardConfig returns the defaults above.
func DefaultRewardConfig() RewardConfig {
	return RewardConfig{Center: 0.01, ValFraction: 0.1,
		BuiltinPairs: 6000}
}

// RewardOptions configures `train rlhf reward`.
type RewardOptions struct {
	Common
	// Init is the SFT checkpoint (run folder or checkpoint folder).
	Init string
	// Data is a preference JSONL file; empty means BuiltinPairs.
	Data string
	// SkipBadLines skips malformed lines of Data, counting them in
	// the log, instead of failing on the first.
	SkipBadLines bool
	Reward       RewardConfig
}

// RewardResult is what a reward run reports.
type RewardResult struct {
	// Eval is the last evaluation of this run; its Metrics are nil
	// when none ran (Stopped before eval_every, or Finished).
	pretrain.Eval
	Steps int
	Dir   string // the latest checkpoint
	// Stopped: the run paused at --stop-after before train.steps.
	Stopped bool
	// Finished: a resumed run was already at train.steps, so nothing
	// was loaded or trained.
	Finished bool
}

// encoded is one pair's two token sequences.
type encoded struct {
	chosen, rejected []int32
	margin           float32
}

// RunReward trains a reward model: the init backbone plus a scalar
// head, on the Bradley–Terry loss over preference pairs.
func RunReward(ctx context.Context, o RewardOptions) (RewardResult, error) {
	o.Common = keepSteps(o.Common)
	if err := o.Reward.Validate(); err != nil {
		return RewardResult{}, err
	}
	if err := pretrain.StartRun("reward", o.Out, o.Resume,
		o.StopAfter); err != nil {
		return RewardResult{}, err
	}
	if step, dir, done := finished(o.Common, "reward"); done {
		// Even a finished run refuses other settings or inputs: they
		// would not take effect.
		init, _, err := checkpoints.Open(o.Init, o.Log)
		if err != nil {
			return RewardResult{}, fmt.Errorf("rlhf reward: --init: %w", err)
		}
		if err := checkStarted(o.Common, "reward", o.Reward,
			rewardInputs(o, init)); err != nil {
			return RewardResult{}, err
		}
		o.Log.Info("reward already finished; nothing to train",
			"step", step, "dir", dir)
		return RewardResult{Steps: step, Dir: dir, Finished: true}, nil
	}
	ck, err := pretrain.LoadCheckpoint(o.Init, o.Log)
	if err != nil {
		return RewardResult{}, fmt.Errorf("rlhf reward: --init: %w", err)
	}
	cfg := o.Config
	cfg.Model = ck.Model.Cfg
	train, val, err := rewardData(o, ck.Tok, cfg.Model.MaxPositionEmbeddings)
	if err != nil {
		return RewardResult{}, err
	}
	sc := NewScorer(ck.Model, cfg.Train.Seed)
	tr := &pretrain.Trainer{Stage: "reward", Run: o.Out, Cfg: cfg,
		Model: sc.Model, Tok: ck.Tok, Params: sc.Params(), Log: o.Log,
		Progress: o.Progress, StopAfter: o.StopAfter,
		State:     &checkpoints.State{Stage: "reward", Seed: cfg.Train.Seed},
		SaveExtra: sc.SaveHead}
	tr.Opt = newAdamW(tr.Params, cfg.Train)
	if o.Resume {
		if err := restoreReward(tr, sc); err != nil {
			return RewardResult{}, err
		}
	}
	err = pretrain.CheckStopAfter("reward", o.StopAfter, tr.State.Step)
	if err != nil {
		return RewardResult{}, err
	}
	err = writeRunConfig(o.Common, cfg, "reward", o.Reward,
		rewardInputs(o, ck.Dir))
	if err != nil {
		return RewardResult{}, err
	}
	wireReward(tr, sc, train, val, float32(o.Reward.Center))
	o.Log.Info("reward", "params", sc.Model.NumParams()+sc.Head.Size(),
		"train_pairs", len(train), "val_pairs", len(val),
		"start_step", tr.State.Step, "steps", cfg.Train.Steps)
	ev, err := tr.Train(ctx)
	return RewardResult{Eval: ev, Steps: tr.State.Step,
		Dir: filepath.Join(checkpoints.Dir(o.Out),
			checkpoints.Name(tr.State.Step)),
		Stopped: err == nil && tr.State.Step < cfg.Train.Steps}, err
}

// rewardInputs are the inputs config.yaml records: the SFT checkpoint
// the run started from (resolved, so a later SFT checkpoint is another
// input) and the pair file.
func rewardInputs(o RewardOptions, init string) map[string]string {
	return map[string]string{"init": init, "data": o.Data}
}

func restoreReward(tr *pretrain.Trainer, sc *Scorer) error {
	st, err := pretrain.Restore(tr.Run, "reward", tr.Cfg, sc.Model,
		tr.Opt, tr.Log)
	if err != nil {
		return err
	}
	dir := filepath.Join(checkpoints.Dir(tr.Run), checkpoints.Name(st.Step))
	tr.State = st
	return sc.loadHead(dir)
}

// rewardData reads or draws the pairs, splits them by prompt and
// encodes them.
func rewardData(o RewardOptions, tok *tokenizer.Tokenizer,
	maxLen int) (train, val []encoded, err error) {
	var pairs []Pair
	if o.Data == "" {
		pairs = BuiltinPairs(int64(o.Config.Train.Seed),
			o.Reward.BuiltinPairs)
	} else {
		var same, bad int
		pairs, same, bad, err = ReadPairs(o.Data, o.SkipBadLines)
		if err != nil {
			return nil, nil, err
		}
		if same > 0 || bad > 0 {
			o.Log.Warn("pair lines skipped", "file", o.Data,
				"identical_replies", same, "bad_lines", bad)
		}
	}
	for _, p := range pairs {
		c, r, err := EncodePair(tok, p, maxLen)
		if err != nil {
			return nil, nil, err
		}
		e := encoded{chosen: c, rejected: r, margin: float32(p.Margin)}
		if heldOut(p.Prompt, o.Config.Train.Seed, o.Reward.ValFraction) {
			val = append(val, e)
		} else {
			train = append(train, e)
		}
	}
	if len(train) == 0 || len(val) == 0 {
		return nil, nil, fmt.Errorf("rlhf reward: %d pairs split into "+
			"%d train and %d held-out; need both (adjust "+
			"reward.val_fraction or add pairs)", len(pairs), len(train),
			len(val))
	}
	return train, val, nil
}

// pairBatch packs P pairs as 2P rows, chosen first, right-padded.
type pairBatch struct {
	Packed
	margins []float32 // nil when every margin is 0
}

func packPairs(ps []encoded) pairBatch {
	seqs := make([][]int32, 2*len(ps))
	margins := make([]float32, len(ps))
	any := false
	for i, p := range ps {
		seqs[i], seqs[len(ps)+i] = p.chosen, p.rejected
		margins[i] = p.margin
		any = any || p.margin != 0
	}
	if !any {
		margins = nil
	}
	return pairBatch{Packed: Pack(seqs, RightPad), margins: margins}
}

// pairScores returns the chosen and rejected scores (P each) and the
// MoE aux loss (or nil).
func pairScores(tp *ag.Tape, sc *Scorer, pb pairBatch) (rc, rr,
	aux *ag.Tensor) {
	h, aux := sc.Model.HiddenAux(tp, pb.IDs, pb.B, pb.T, pb.Opts)
	last, P := pb.Last(), pb.B/2
	return sc.At(tp, h, last[:P]), sc.At(tp, h, last[P:]), aux
}

// wireReward connects the trainer to the pairs: batches drawn by an
// epoch-wise permutation of (seed, epoch), so resumed runs see the
// same pairs.
func wireReward(tr *pretrain.Trainer, sc *Scorer, train, val []encoded,
	center float32) {
	tc := tr.Cfg.Train
	P := tc.BatchSize
	var cur pairBatch // the batch the trainer is about to score
	var perm []int
	permEpoch := -1
	tr.Batch = func(step, micro int) pretrain.Batch {
		first := (step*tc.GradAccum + micro) * P
		ps := make([]encoded, P)
		for i := range P {
			k := first + i
			if e := k / len(train); e != permEpoch {
				r := rand.New(rand.NewPCG(tc.Seed, uint64(e)))
				perm, permEpoch = r.Perm(len(train)), e
			}
			ps[i] = train[perm[k%len(train)]]
		}
		cur = packPairs(ps)
		active := 0
		for _, l := range cur.Lens {
			active += l
		}
		return pretrain.Batch{IDs: cur.IDs, B: cur.B, T: cur.T,
			Opts: cur.Opts, Active: active}
	}
	tr.LossFn = func(tp *ag.Tape, b pretrain.Batch) *ag.Tensor {
		if &b.IDs[0] != &cur.IDs[0] {
			panic("rlhf: reward loss called on a batch it did not make")
		}
		rc, rr, aux := pairScores(tp, sc, cur)
		loss := PairLoss(tp, rc, rr, cur.margins, center)
		if aux != nil {
			loss = tp.Add(loss, aux)
		}
		return loss
	}
	tr.SaveExtra = sc.SaveHead
	tr.Evaluate = func() (pretrain.Eval, error) {
		return EvalPairs(sc, val, P)
	}
}

// EvalPairs measures pairwise accuracy (r_chosen > r_rejected), the
// mean Bradley–Terry loss (val_loss) and the mean score gap over pairs,
// in inference mode.
func EvalPairs(sc *Scorer, pairs []encoded, batch int) (pretrain.Eval,
	error) {
	if len(pairs) == 0 {
		return pretrain.Eval{}, errors.New("rlhf reward: no held-out pairs")
	}
	var right, loss, gap float64
	for i := 0; i < len(pairs); i += batch {
		pb := packPairs(pairs[i:min(i+batch, len(pairs))])
		rc, rr, _ := pairScores(ag.NewInference(), sc, pb)
		for j := range rc.Data {
			d := float64(rc.Data[j] - rr.Data[j])
			if pb.margins != nil {
				d -= float64(pb.margins[j])
			}
			if rc.Data[j] > rr.Data[j] {
				right++
			}
			loss += softplus(-d)
			gap += float64(rc.Data[j] - rr.Data[j])
		}
	}
	n := float64(len(pairs))
	return pretrain.Eval{Metrics: map[string]float64{"val_loss": loss / n,
		"val_accuracy": right / n, "val_margin": gap / n}}, nil
}

// softplus is log(1 + eˣ) without overflow.
func softplus(x float64) float64 {
	if x > 30 {
		return x
	}
	return math.Log1p(math.Exp(x))
}
