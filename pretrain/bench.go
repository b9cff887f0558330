package pretrain

import (
	"math/rand/v2"
	"syscall"
	"time"

	ag "github.com/tinyseek/tinyseek/autograd"
	"github.com/tinyseek/tinyseek/checkpoints"
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
	r := rand.New(rand.NewPCG(cfg.Train.Seed, 1))
	x, y := make([]int32, B*T), make([]int32, B*T)
	for i := range x {
		x[i] = int32(r.IntN(cfg.Model.VocabSize))
		y[i] = int32(r.IntN(cfg.Model.VocabSize))
	}

	// The trainer's own step: the same data-parallel path, clipping and
	// AdamW update as a real run.
	cfg.Train.GradAccum = 1
	tr := &Trainer{Cfg: cfg, Model: m, Opt: NewOptimizer(m, cfg.Train),
		Workers: cfg.Train.Workers,
		State:   &checkpoints.State{Seed: cfg.Train.Seed},
		Batch: func(int, int) Batch {
			return Batch{IDs: x, Targets: y, B: B, T: T, Active: B * T}
		}}
	tp := ag.NewTape()
	for i := 0; i < warmup; i++ {
		tr.step(tp, i, 1e-3)
	}
	start := time.Now()
	for i := 0; i < steps; i++ {
		tr.step(tp, i, 1e-3)
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
