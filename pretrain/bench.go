package pretrain

import (
	"math/rand/v2"
	"syscall"
	"time"

	ag "github.com/tinyseek/tinyseek/autograd"
	"github.com/tinyseek/tinyseek/configs"
	"github.com/tinyseek/tinyseek/layers"
)

// BenchResult is the outcome of BenchStep.
type BenchResult struct {
	Preset       string  `json:"preset"`
	Batch        int     `json:"batch"`
	Seq          int     `json:"seq"`
	Steps        int     `json:"steps"`
	Params       int     `json:"params"`
	TokensPerSec float64 `json:"tokens_per_sec"`
	MsPerStep    float64 `json:"ms_per_step"`
	PeakRSSMiB   float64 `json:"peak_rss_mib"`
}

// BenchStep times full training steps (forward, backward, AdamW) of the
// config's model on random tokens, after warmup untimed steps, the way
// shared/bench/torch_ref.py does.
func BenchStep(cfg configs.Config, steps, warmup int) (BenchResult, error) {
	m, err := layers.New(cfg.Model, cfg.Train.Seed)
	if err != nil {
		return BenchResult{}, err
	}
	B, T := cfg.Train.BatchSize, cfg.Train.SeqLen
	opt := NewOptimizer(m, cfg.Train)
	r := rand.New(rand.NewPCG(cfg.Train.Seed, 1))
	x, y := make([]int32, B*T), make([]int32, B*T)
	for i := range x {
		x[i] = int32(r.IntN(cfg.Model.VocabSize))
		y[i] = int32(r.IntN(cfg.Model.VocabSize))
	}
	tp := ag.NewTape()
	step := func() {
		ag.ZeroGrads(m.Params())
		loss, _ := m.Loss(tp, x, y, B, T, layers.ForwardOptions{})
		tp.Backward(loss)
		tp.Reset()
		opt.Step(1e-3)
		m.UpdateBias()
	}
	for i := 0; i < warmup; i++ {
		step()
	}
	start := time.Now()
	for i := 0; i < steps; i++ {
		step()
	}
	secs := time.Since(start).Seconds()
	return BenchResult{Batch: B, Seq: T, Steps: steps,
			Params: m.NumParams(), TokensPerSec: float64(B*T*steps) / secs,
			MsPerStep: 1000 * secs / float64(steps), PeakRSSMiB: PeakRSSMiB()},
		nil
}

// PeakRSSMiB is the process's peak resident set size (Linux ru_maxrss,
// which is in KiB), the number torch_ref.py reports too.
func PeakRSSMiB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024
}
