package pretrain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"

	ag "github.com/tinyseek/tinyseek/autograd"
	"github.com/tinyseek/tinyseek/autograd/optim"
	"github.com/tinyseek/tinyseek/checkpoints"
	"github.com/tinyseek/tinyseek/configs"
	"github.com/tinyseek/tinyseek/data"
	"github.com/tinyseek/tinyseek/data/tokenizer"
	"github.com/tinyseek/tinyseek/layers"
)

// Options configures a pretraining run.
type Options struct {
	Config configs.Config
	// Out is the run folder (default runs/pretrain).
	Out string
	// Resume continues from Out's latest good checkpoint.
	Resume bool
	Log    *slog.Logger
	// Progress receives the progress bar when it is a terminal.
	Progress io.Writer
	// StopAfter ends the run after this step (0: run to the end).
	StopAfter int
	// StepsGiven: the user set train.steps. A resume without it runs
	// to the step count its config.yaml records (see KeepSteps).
	StepsGiven bool
}

// KeepSteps returns steps, or on a resume that did not give
// train.steps the count the run's config.yaml records: `--resume`
// alone finishes a run instead of extending it to a default.
func KeepSteps(out string, resume, given bool, steps int) int {
	if !resume || given {
		return steps
	}
	had, err := ReadRecorded(filepath.Join(out, "config.yaml"))
	if err != nil {
		return steps
	}
	train, _ := had["train"].(map[string]any)
	if n, ok := train["steps"].(int); ok && n > 0 {
		return n
	}
	return steps
}

// Result is what a finished run reports.
type Result struct {
	Eval
	Steps int
	Dir   string // the final checkpoint
}

// Run pretrains a model by next-token prediction.
func Run(ctx context.Context, o Options) (Result, error) {
	cfg := o.Config
	cfg.Train.Steps = KeepSteps(o.Out, o.Resume, o.StepsGiven,
		cfg.Train.Steps)
	if err := StartRun("pretrain", o.Out, o.Resume, o.StopAfter); err != nil {
		return Result{}, err
	}

	// 1. Tokens and tokenizer; the model's vocabulary follows it.
	dataDir, err := PrepareData(ctx, cfg.Data, o.Out, cfg.Train.Seed,
		o.Resume, o.Log)
	if err != nil {
		return Result{}, err
	}
	tok, err := tokenizer.Load(filepath.Join(dataDir, "tokenizer.json"))
	if err != nil {
		return Result{}, fmt.Errorf("pretrain: %w", err)
	}
	cfg.Model.VocabSize = tok.VocabSize()
	train, val, err := openShards(dataDir)
	if err != nil {
		return Result{}, err
	}
	defer train.Close()
	defer val.Close()

	// 2. Model, optimizer and state: fresh or from the checkpoint.
	tr, err := newTrainer(o, cfg, tok)
	if err != nil {
		return Result{}, err
	}
	if err := CheckStopAfter("pretrain", o.StopAfter,
		tr.State.Step); err != nil {
		return Result{}, err
	}
	if err := WriteRunConfig("pretrain", o.Out, cfg,
		o.Resume); err != nil {
		return Result{}, err
	}

	// 3. Batches depend on (seed, step, micro) only.
	if err := wireData(tr, train, val, tok); err != nil {
		return Result{}, err
	}
	o.Log.Info("pretrain", "params", tr.Model.NumParams(),
		"vocab", tok.VocabSize(), "train_tokens", train.Len(),
		"val_tokens", val.Len(), "start_step", tr.State.Step,
		"steps", cfg.Train.Steps)
	ev, err := tr.Train(ctx)
	res := Result{Eval: ev, Steps: tr.State.Step,
		Dir: filepath.Join(checkpoints.Dir(o.Out),
			checkpoints.Name(tr.State.Step))}
	return res, err
}

// StartRun refuses a negative --stop-after, refuses to overwrite a
// run folder that holds checkpoints unless resuming and refuses to
// resume an empty one. It does not make
// the folder: WriteRunConfig does, once the data and settings passed
// their checks, so that a refused run leaves no empty folder behind.
// stage prefixes the errors.
func StartRun(stage, out string, resume bool, stopAfter int) error {
	if stopAfter < 0 {
		return fmt.Errorf("%s: --stop-after must be ≥ 0, got %d", stage,
			stopAfter)
	}
	names, _ := checkpoints.List(checkpoints.Dir(out))
	if len(names) > 0 && !resume {
		return fmt.Errorf("%s: %s already holds checkpoints; pass "+
			"--resume to continue it or --out to start elsewhere", stage,
			out)
	}
	if len(names) == 0 && resume {
		return fmt.Errorf("%s: --resume: %s holds no checkpoint", stage,
			out)
	}
	return nil
}

// WriteRunConfig makes the run folder and writes the resolved config
// to RUN/config.yaml. A resumed run (resume) must keep the training
// settings it started with; stage opens the error otherwise.
func WriteRunConfig(stage, out string, cfg configs.Config,
	resume bool) error {
	if resume {
		if err := checkResumeTrain(stage, out, cfg.Train); err != nil {
			return err
		}
	}
	b, err := cfg.YAML()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("run folder: %w", err)
	}
	return checkpoints.WriteFileSync(filepath.Join(out, "config.yaml"), b)
}

func openShards(dir string) (train, val *data.Shard, err error) {
	train, err = data.OpenShard(filepath.Join(dir, "train.bin"))
	if err != nil {
		return nil, nil, fmt.Errorf("pretrain: %w", err)
	}
	val, err = data.OpenShard(filepath.Join(dir, "val.bin"))
	if err != nil {
		train.Close()
		return nil, nil, fmt.Errorf("pretrain: %w", err)
	}
	return train, val, nil
}

// newTrainer builds the model and optimizer, restoring them from the
// run's checkpoint when resuming.
func newTrainer(o Options, cfg configs.Config,
	tok *tokenizer.Tokenizer) (*Trainer, error) {
	m, err := layers.New(cfg.Model, cfg.Train.Seed)
	if err != nil {
		return nil, fmt.Errorf("pretrain: %w", err)
	}
	tr := &Trainer{Stage: "pretrain", Run: o.Out, Cfg: cfg, Model: m,
		Tok: tok, Opt: NewOptimizer(m, cfg.Train), Log: o.Log,
		Progress: o.Progress, StopAfter: o.StopAfter,
		Workers: cfg.Train.Workers,
		State:   &checkpoints.State{Stage: "pretrain", Seed: cfg.Train.Seed}}
	if !o.Resume {
		return tr, nil
	}
	st, err := Restore(o.Out, "pretrain", cfg, m, tr.Opt, o.Log)
	if err != nil {
		return nil, err
	}
	if err := CheckResumable("pretrain", st, cfg.Train.Steps); err != nil {
		return nil, err
	}
	tr.State = st
	return tr, nil
}

// CheckResumable refuses a resume that has nothing left to do.
func CheckResumable(stage string, st *checkpoints.State, steps int) error {
	if st.Step >= steps {
		return fmt.Errorf("%s: --resume: the run is already at step %d "+
			"of --steps %d; raise --steps to train further", stage,
			st.Step, steps)
	}
	return nil
}

// Restore loads the latest good checkpoint of run into m and opt after
// checking that its stage, seed and model shape match cfg.
func Restore(run, stage string, cfg configs.Config, m *layers.Model,
	opt *optim.AdamW, log *slog.Logger) (*checkpoints.State, error) {
	dir, st, err := checkpoints.Open(run, log)
	if err != nil {
		return nil, err
	}
	if st.Stage != stage {
		return nil, fmt.Errorf("%s: --resume: %s is a %s checkpoint",
			stage, dir, st.Stage)
	}
	old, err := layers.LoadConfig(filepath.Join(dir, layers.ConfigFile))
	if err != nil {
		return nil, err
	}
	if diff := ConfigDiff(old, cfg.Model); len(diff) > 0 {
		return nil, fmt.Errorf("%s: --resume: the model config differs "+
			"from %s: %s", stage, dir, strings.Join(diff, "; "))
	}
	if st.Seed != cfg.Train.Seed {
		return nil, fmt.Errorf("%s: --resume: train.seed %d differs from "+
			"the checkpoint's %d", stage, cfg.Train.Seed, st.Seed)
	}
	if err := m.LoadWeights(dir); err != nil {
		return nil, err
	}
	err = LoadOptimizer(filepath.Join(dir, OptimizerFile), opt)
	if err != nil {
		return nil, err
	}
	moved, err := checkpoints.SetAside(run, st.Step)
	if err != nil {
		return nil, err
	}
	if len(moved) > 0 {
		log.Warn("newer checkpoints that failed verification set aside",
			"names", moved)
	}
	log.Info("resumed", "checkpoint", dir, "step", st.Step)
	return st, nil
}

// wireData connects the trainer to the shards.
func wireData(tr *Trainer, train, val *data.Shard,
	tok *tokenizer.Tokenizer) error {
	tc := tr.Cfg.Train
	for _, s := range []*data.Shard{train, val} {
		if err := s.CheckVocab(tok.VocabSize()); err != nil {
			return fmt.Errorf("pretrain: %w", err)
		}
	}
	if train.Len() <= tc.SeqLen+1 || val.Len() <= tc.SeqLen+1 {
		return fmt.Errorf("pretrain: train (%d tokens) or validation "+
			"(%d tokens) split is shorter than train.seq_len %d; the "+
			"split is by document, so a corpus of few documents needs "+
			"data.val_split=tail (the last share of the text) or a "+
			"smaller train.seq_len", train.Len(), val.Len(), tc.SeqLen)
	}
	smp, err := data.NewSampler(train, tc.Seed)
	if err != nil {
		return fmt.Errorf("pretrain: %w", err)
	}
	B, T := tc.BatchSize, tc.SeqLen
	x, y := make([]int32, B*T), make([]int32, B*T)
	tr.Batch = func(step, micro int) Batch {
		smp.Batch(step*tc.GradAccum+micro, B, T, x, y)
		return Batch{IDs: x, Targets: y, B: B, T: T, Active: B * T}
	}
	tr.Evaluate = func() (Eval, error) {
		return Evaluate(tr.Model, tok, val, tc)
	}
	return nil
}

// Evaluate measures validation loss, perplexity and bits per byte over
// the first eval_batches batches of val, in inference and eval mode,
// and generates a short sample.
func Evaluate(m *layers.Model, tok *tokenizer.Tokenizer,
	val *data.Shard, tc configs.Train) (Eval, error) {
	loss, tokens := ValLoss(m, val, tc.BatchSize, tc.SeqLen,
		tc.EvalBatches)
	if tokens == 0 {
		return Eval{}, errors.New("pretrain: empty validation split")
	}
	ev := Eval{Metrics: map[string]float64{"val_loss": loss,
		"val_ppl": math.Exp(loss), "val_bpb": val.BitsPerByte(loss)}}
	prompt := tok.Encode(tc.SamplePrompt)
	if len(prompt) == 0 {
		prompt = []int32{tokenizer.EndOfText}
	}
	n := min(tc.SampleTokens, m.Cfg.MaxPositionEmbeddings-len(prompt))
	if n > 0 {
		out, err := m.Generate(prompt, layers.SampleOptions{
			Temperature: 0.8, TopK: 40, Seed: tc.Seed, MaxNewTokens: n,
			StopTokens: []int32{tokenizer.EndOfText}}, nil)
		if err != nil {
			return Eval{}, fmt.Errorf("pretrain: sample: %w", err)
		}
		ev.Sample = tc.SamplePrompt + string(tok.Decode(out))
	}
	return ev, nil
}

// ValLoss is the mean next-token loss over up to maxBatches batches of
// consecutive windows of val (all of them when maxBatches ≤ 0), and the
// number of targets it covered.
func ValLoss(m *layers.Model, val *data.Shard, B, T,
	maxBatches int) (float64, int) {
	var sum float64
	n, batches := 0, 0
	for b := range val.EvalBatches(B, T) {
		if maxBatches > 0 && batches == maxBatches {
			break
		}
		tp := ag.NewInference()
		logits := m.Forward(tp, b.X[:b.Rows*T], b.Rows, T,
			layers.ForwardOptions{})
		loss := tp.CrossEntropy(logits, b.Y[:b.Rows*T])
		sum += float64(loss.Item()) * float64(b.Rows*T)
		n += b.Rows * T
		batches++
	}
	if n == 0 {
		return math.NaN(), 0
	}
	return sum / float64(n), n
}
