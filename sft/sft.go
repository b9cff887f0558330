package sft

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/tinyseek/tinyseek/checkpoints"
	"github.com/tinyseek/tinyseek/configs"
	"github.com/tinyseek/tinyseek/data/tokenizer"
	"github.com/tinyseek/tinyseek/pretrain"
)

// Options configures a fine-tuning run.
type Options struct {
	Settings Settings
	// Init is the checkpoint to start from (a run folder or one
	// checkpoint folder); default runs/pretrain.
	Init string
	// Data is a JSONL file of examples; empty means the built-in
	// tasks.
	Data string
	// SkipBadLines skips malformed JSONL lines instead of failing.
	SkipBadLines bool
	// Out is the run folder (default runs/sft).
	Out string
	// Resume continues from Out's latest good checkpoint.
	Resume bool
	Log    *slog.Logger
	// Progress receives the progress bar when it is a terminal.
	Progress io.Writer
	// StopAfter ends the run after this step (0: run to the end).
	StopAfter int
	// StepsGiven: the user set train.steps (see pretrain.KeepSteps).
	StepsGiven bool
	// BuiltinTrain and BuiltinHeldOut size the built-in data
	// (0: the package defaults).
	BuiltinTrain, BuiltinHeldOut int
}

// Result is what a finished run reports.
type Result struct {
	pretrain.Eval
	Steps int
	Dir   string // the final checkpoint
	// Score is the fine-tuned model's held-out score.
	Score Score
	// InitScore is the init checkpoint's, prompted the same way; nil
	// when the run stopped early or the init checkpoint is gone.
	InitScore *Score
}

// Run fine-tunes the init checkpoint on prompt/response pairs.
func Run(ctx context.Context, o Options) (Result, error) {
	if err := pretrain.StartRun("sft", o.Out, o.Resume,
		o.StopAfter); err != nil {
		return Result{}, err
	}

	// 1. Model and tokenizer: from the init checkpoint, or from the run
	// itself when resuming.
	from := o.Init
	if o.Resume {
		from = o.Out
	}
	ck, err := pretrain.LoadCheckpoint(from, o.Log)
	if err != nil {
		return Result{}, fmt.Errorf("sft: --init: %w", err)
	}
	cfg, err := o.Settings.Resolve(ck.Model.Cfg)
	if err != nil {
		return Result{}, err
	}
	cfg.Train.Steps = pretrain.KeepSteps(o.Out, o.Resume, o.StepsGiven,
		cfg.Train.Steps)
	ck.Model.Cfg.Dropout = cfg.Model.Dropout

	// 2. Examples, encoded and packed.
	ds, err := loadData(o, ck.Tok, cfg.Train)
	if err != nil {
		return Result{}, err
	}

	// 3. Optimizer and state: fresh or from the run's checkpoint.
	tr, err := newTrainer(o, cfg, ck)
	if err != nil {
		return Result{}, err
	}
	if err := pretrain.CheckStopAfter("sft", o.StopAfter,
		tr.State.Step); err != nil {
		return Result{}, err
	}
	if err := pretrain.WriteRunConfig("sft", o.Out, cfg,
		o.Resume); err != nil {
		return Result{}, err
	}
	last := wire(tr, ds)
	logStart(o.Log, tr, ck.Dir, ds)
	ev, err := tr.Train(ctx)
	res := Result{Eval: ev, Steps: tr.State.Step,
		Dir: filepath.Join(checkpoints.Dir(o.Out),
			checkpoints.Name(tr.State.Step))}
	if err != nil || tr.State.Step < cfg.Train.Steps {
		res.Score = *last
		return res, err
	}
	return finish(o, res, tr, ds, last)
}

// finish scores the final model (when the run had nothing left to
// train) and the init checkpoint the same way.
func finish(o Options, res Result, tr *pretrain.Trainer, ds *dataset,
	last *Score) (Result, error) {
	B, nb := tr.Cfg.Train.BatchSize, tr.Cfg.Train.EvalBatches
	if res.Metrics == nil {
		ev, s, err := Evaluate(tr.Model, tr.Tok, ds.held, ds.heldExs, B, nb)
		if err != nil {
			return res, err
		}
		res.Eval, *last = ev, s
	}
	res.Score = *last
	init, err := pretrain.LoadCheckpoint(o.Init, o.Log)
	if err != nil {
		o.Log.Warn("init checkpoint not scored", "err", err)
		return res, nil
	}
	_, s, err := Evaluate(init.Model, init.Tok, ds.held, ds.heldExs, B, nb)
	if err != nil {
		return res, err
	}
	res.InitScore = &s
	return res, nil
}

// newTrainer wraps the loaded model in the shared loop, restoring the
// optimizer and state when resuming.
func newTrainer(o Options, cfg configs.Config,
	ck *pretrain.Checkpoint) (*pretrain.Trainer, error) {
	m := ck.Model
	tr := &pretrain.Trainer{Stage: "sft", Run: o.Out, Cfg: cfg, Model: m,
		Tok: ck.Tok, Opt: pretrain.NewOptimizer(m, cfg.Train), Log: o.Log,
		Progress: o.Progress, StopAfter: o.StopAfter,
		State: &checkpoints.State{Stage: "sft", Seed: cfg.Train.Seed}}
	if !o.Resume {
		return tr, nil
	}
	st, err := pretrain.Restore(o.Out, "sft", cfg, m, tr.Opt, o.Log)
	if err != nil {
		return nil, err
	}
	if err := pretrain.CheckResumable("sft", st,
		cfg.Train.Steps); err != nil {
		return nil, err
	}
	tr.State = st
	return tr, nil
}

// wire connects the trainer to the packed data; the returned score is
// the latest evaluation's.
func wire(tr *pretrain.Trainer, ds *dataset) *Score {
	tc := tr.Cfg.Train
	bt := &Batcher{P: ds.train, B: tc.BatchSize, GradAccum: tc.GradAccum,
		Seed: tc.Seed}
	tr.Batch = bt.Batch
	last := &Score{}
	tr.Evaluate = func() (pretrain.Eval, error) {
		ev, s, err := Evaluate(tr.Model, tr.Tok, ds.held, ds.heldExs,
			tc.BatchSize, tc.EvalBatches)
		*last = s
		return ev, err
	}
	tr.State.Extra = map[string]float64{
		"pad_fraction":      ds.train.PadFraction(),
		"skipped_truncated": float64(ds.truncated),
		"train_examples":    float64(ds.nTrain)}
	return last
}

// logStart reports the data: examples, padding, what was skipped.
func logStart(log *slog.Logger, tr *pretrain.Trainer, from string,
	ds *dataset) {
	log.Info("sft", "params", tr.Model.NumParams(), "from", from,
		"train_examples", ds.nTrain, "held_out", len(ds.heldExs),
		"rows", ds.train.R,
		"pad_fraction", pretrain.Round(ds.train.PadFraction(), 3),
		"skipped_truncated", ds.truncated, "skipped_bad_lines", ds.badLines,
		"start_step", tr.State.Step, "steps", tr.Cfg.Train.Steps)
}

// dataset is the packed training and held-out data.
type dataset struct {
	train, held *Packed
	heldExs     []Example
	nTrain      int
	truncated   int
	badLines    int
}

// loadData reads (or draws) the examples, splits off the held-out
// ones, encodes them at train.seq_len and packs them.
func loadData(o Options, tok *tokenizer.Tokenizer,
	tc configs.Train) (*dataset, error) {
	trainExs, heldExs, bad, err := examples(o, tc.Seed)
	if err != nil {
		return nil, err
	}
	ds := &dataset{heldExs: heldExs, badLines: bad}
	train, _, cut, err := encodeAll(tok, trainExs, tc.SeqLen)
	if err != nil {
		return nil, err
	}
	held, kept, heldCut, err := encodeAll(tok, heldExs, tc.SeqLen)
	if err != nil {
		return nil, err
	}
	ds.heldExs = kept
	if len(train) == 0 || len(held) == 0 {
		return nil, fmt.Errorf("sft: train.seq_len %d cuts away every "+
			"response of the training or held-out examples", tc.SeqLen)
	}
	ds.train, ds.held = Pack(train, tc.SeqLen), Pack(held, tc.SeqLen)
	ds.nTrain, ds.truncated = len(train), cut+heldCut
	return ds, nil
}

// examples returns the training and held-out conversations and the
// number of bad lines skipped.
func examples(o Options, seed uint64) (train, held []Example, bad int,
	err error) {
	if o.Data == "" {
		nt, nh := o.BuiltinTrain, o.BuiltinHeldOut
		if nt <= 0 {
			nt = BuiltinTrain
		}
		if nh <= 0 {
			nh = BuiltinHeldOut
		}
		train, held = Builtin(seed, nt, nh)
		return train, held, 0, nil
	}
	if fi, err := os.Stat(o.Data); err != nil {
		return nil, nil, 0, fmt.Errorf("sft: --data: %w", err)
	} else if fi.IsDir() {
		return nil, nil, 0, fmt.Errorf("sft: --data %s is a folder; want "+
			"a JSONL file of prompt/response or messages lines", o.Data)
	}
	all, bad, err := ReadJSONL(o.Data, o.SkipBadLines)
	if err != nil {
		return nil, nil, bad, err
	}
	train, held, err = SplitHeldOut(all, seed)
	return train, held, bad, err
}

// encodeAll encodes examples at most T tokens long, dropping (and
// counting) those whose response truncation cuts away; kept are the
// examples that remain.
func encodeAll(tok *tokenizer.Tokenizer, exs []Example,
	T int) (enc []Encoded, kept []Example, cut int, err error) {
	for i, ex := range exs {
		e, ok, err := Encode(tok, ex, T)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("sft: example %d: %w", i+1,
				err)
		}
		if !ok {
			cut++
			continue
		}
		enc, kept = append(enc, e), append(kept, ex)
	}
	return enc, kept, cut, nil
}
