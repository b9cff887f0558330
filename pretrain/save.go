package pretrain

import (
	"fmt"
	"math"
	"path/filepath"

	"github.com/tinyseek/tinyseek/autograd/optim"
	"github.com/tinyseek/tinyseek/checkpoints"
	"github.com/tinyseek/tinyseek/checkpoints/safetensors"
	"github.com/tinyseek/tinyseek/layers"
)

// Names of the files a checkpoint holds besides the model's.
const (
	OptimizerFile = "optimizer.safetensors"
	TokenizerFile = "tokenizer.json"
)

// logStep records one training line in metrics.jsonl and the log.
func (t *Trainer) logStep(bar *progress, loss, lr, tps float64) {
	rec := map[string]float64{"step": float64(t.State.Step),
		"loss": loss, "lr": lr, "grad_norm": t.lastNorm,
		"tokens_per_sec": tps}
	for i, load := range t.lastLoad {
		rec[fmt.Sprintf("expert_load_ratio_%d", i)] = loadRatio(load)
	}
	t.metrics.Write(rec)
	if !bar.active() {
		t.Log.Info(t.Stage, "step", t.State.Step, "loss", Round(loss, 4),
			"lr", lr, "grad_norm", Round(t.lastNorm, 3),
			"tokens_per_sec", math.Round(tps))
	}
}

// loadRatio is max/min tokens per expert (min counted as at least 1).
func loadRatio(load []float32) float64 {
	lo, hi := float32(math.Inf(1)), float32(0)
	for _, l := range load {
		lo, hi = min(lo, l), max(hi, l)
	}
	return float64(hi) / float64(max(lo, 1))
}

// Round rounds v to digits decimals, for log lines.
func Round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

// evaluate runs validation, logs it, tracks the best loss and redraws
// the plot.
func (t *Trainer) evaluate() error {
	if t.Evaluate == nil {
		return nil
	}
	ev, err := t.Evaluate()
	if err != nil {
		return fmt.Errorf("%s: evaluate at step %d: %w", t.Stage,
			t.State.Step, err)
	}
	ev.Step = t.State.Step
	t.last = ev
	t.metrics.Log(t.Log, t.Stage+" eval", t.State.Step, ev.Metrics)
	if ev.Sample != "" {
		t.Log.Info(t.Stage+" sample", "step", t.State.Step,
			"text", ev.Sample)
	}
	if v, ok := ev.Metrics["val_loss"]; ok &&
		(t.State.BestStep == 0 || v < t.State.BestValLoss) {
		t.State.BestValLoss, t.State.BestStep = v, t.State.Step
	}
	return t.metrics.Plot(filepath.Join(t.Run, "loss.png"), t.Stage)
}

// save writes a checkpoint of the current step.
func (t *Trainer) save() error {
	dir, err := checkpoints.Save(t.Run, t.State, t.Cfg.Train.KeepLast,
		func(dir string) error {
			return SaveModel(dir, t.Model, t.Tok, t.Opt, t.SaveExtra)
		})
	if err != nil {
		return fmt.Errorf("%s: %w", t.Stage, err)
	}
	t.Log.Info("checkpoint saved", "step", t.State.Step, "dir", dir)
	return nil
}

// SaveModel writes the weights, config, tokenizer, optimizer moments
// (when opt is not nil) and any extra files into dir.
func SaveModel(dir string, m *layers.Model, tok interface {
	Save(string) error
}, opt *optim.AdamW, extra func(string) error) error {
	if err := m.SaveWeights(dir); err != nil {
		return err
	}
	if err := tok.Save(filepath.Join(dir, TokenizerFile)); err != nil {
		return err
	}
	if opt != nil {
		if err := SaveOptimizer(filepath.Join(dir, OptimizerFile),
			opt); err != nil {
			return err
		}
	}
	if extra != nil {
		return extra(dir)
	}
	return nil
}

// SaveOptimizer writes AdamW's moments as exp_avg.NAME and
// exp_avg_sq.NAME, plus the step count in the metadata.
func SaveOptimizer(path string, o *optim.AdamW) error {
	var ts []safetensors.Tensor
	for i, p := range o.Params {
		ts = append(ts,
			safetensors.Tensor{Name: "exp_avg." + p.Name, Shape: p.Shape,
				Data: o.M[i]},
			safetensors.Tensor{Name: "exp_avg_sq." + p.Name,
				Shape: p.Shape, Data: o.V[i]})
	}
	meta := map[string]string{"steps": fmt.Sprint(o.Steps)}
	return safetensors.Write(path, ts, meta)
}

// LoadOptimizer restores moments written by SaveOptimizer; every
// parameter must have both moments with its shape.
func LoadOptimizer(path string, o *optim.AdamW) error {
	f, err := safetensors.Read(path)
	if err != nil {
		return fmt.Errorf("pretrain: load optimizer: %w", err)
	}
	byName := map[string][]float32{}
	for _, t := range f.Tensors {
		byName[t.Name] = t.Data
	}
	for i, p := range o.Params {
		m, v := byName["exp_avg."+p.Name], byName["exp_avg_sq."+p.Name]
		if len(m) != p.Size() || len(v) != p.Size() {
			return fmt.Errorf("pretrain: load optimizer %s: moments of "+
				"%s missing or of the wrong size", path, p.Name)
		}
		copy(o.M[i], m)
		copy(o.V[i], v)
	}
	if _, err := fmt.Sscan(f.Metadata["steps"], &o.Steps); err != nil {
		return fmt.Errorf("pretrain: load optimizer %s: steps: %w",
			path, err)
	}
	return nil
}
