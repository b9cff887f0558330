package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/tinyseek/tinyseek/autograd/kernels"
	"github.com/tinyseek/tinyseek/pretrain"
)

func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure what this machine does: SGEMM GFLOP/s, training tokens/s",
	}
	cmd.AddCommand(newBenchGemmCmd(), newBenchStepCmd())
	return cmd
}

type benchGemmOptions struct {
	jsonOut bool
	minTime time.Duration
}

// gemmShape is one timed product: (M×K)·(K×N) in a layout.
type gemmShape struct {
	Layout  string  `json:"layout"`
	M, N, K int     `json:"-"`
	Shape   string  `json:"shape"`
	GFLOPS  float64 `json:"gflops"`
}

func newBenchGemmCmd() *cobra.Command {
	var o benchGemmOptions
	cmd := &cobra.Command{
		Use:   "gemm",
		Short: "SGEMM GFLOP/s at 512³ and transformer shapes, all layouts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBenchGemm(o)
		},
	}
	cmd.Flags().BoolVar(&o.jsonOut, "json", false, "print JSON")
	cmd.Flags().DurationVar(&o.minTime, "min-time", 300*time.Millisecond,
		"time per shape")
	return cmd
}

func runBenchGemm(o benchGemmOptions) error {
	if o.minTime <= 0 {
		return fmt.Errorf("--min-time must be > 0, got %v", o.minTime)
	}
	var shapes []gemmShape
	for _, l := range []string{"A·B", "A·Bᵀ", "Aᵀ·B"} {
		shapes = append(shapes, gemmShape{Layout: l, M: 512, N: 512, K: 512})
		for _, kn := range []int{128, 256, 384, 512} {
			shapes = append(shapes, gemmShape{Layout: l, M: 768, N: kn, K: kn})
		}
	}
	for i := range shapes {
		s := &shapes[i]
		s.Shape = fmt.Sprintf("%dx%dx%d", s.M, s.N, s.K)
		s.GFLOPS = timeGemm(s.Layout, s.M, s.N, s.K, o.minTime)
		if !o.jsonOut {
			fmt.Printf("%-5s M=%-4d N=%-4d K=%-4d %7.1f GFLOP/s\n", s.Layout,
				s.M, s.N, s.K, s.GFLOPS)
		}
	}
	if o.jsonOut {
		return json.NewEncoder(os.Stdout).Encode(shapes)
	}
	return nil
}

func timeGemm(layout string, m, n, k int, minTime time.Duration) float64 {
	a, b, c := make([]float32, m*k), make([]float32, k*n),
		make([]float32, m*n)
	for i := range a {
		a[i] = float32(i%7) * 0.1
	}
	for i := range b {
		b[i] = float32(i%5) * 0.1
	}
	ta, tb := layout == "Aᵀ·B", layout == "A·Bᵀ"
	lda, ldb := k, n
	if ta {
		lda = m
	}
	if tb {
		ldb = k
	}
	run := func() {
		kernels.Gemm(ta, tb, m, n, k, 1, a, lda, b, ldb, 0, c, n)
	}
	run()
	iters, start := 0, time.Now()
	for time.Since(start) < minTime {
		run()
		iters++
	}
	secs := time.Since(start).Seconds()
	return 2 * float64(m*n*k) * float64(iters) / secs / 1e9
}

type benchStepOptions struct {
	run           runFlags
	steps, warmup int
	jsonOut       bool
}

func newBenchStepCmd() *cobra.Command {
	var o benchStepOptions
	cmd := &cobra.Command{
		Use:   "step",
		Short: "Training tokens/s and peak memory of a preset's model",
		Long: "Times full training steps (forward, backward, AdamW) on " +
			"random tokens,\nlike shared/bench/torch_ref.py bench, and " +
			"reports tokens/s and peak RSS.",
		Example: "  train bench step --preset deepseek-tiny --batch 12 --seq 64 --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.steps <= 0 || o.warmup < 0 {
				return fmt.Errorf("--iters must be > 0 and --warmup ≥ 0, "+
					"got %d and %d", o.steps, o.warmup)
			}
			cfg, err := o.run.load(cmd)
			if err != nil {
				return err
			}
			res, err := pretrain.BenchStep(cfg, o.steps, o.warmup)
			if err != nil {
				return err
			}
			res.Preset = o.run.preset
			if o.jsonOut {
				return json.NewEncoder(os.Stdout).Encode(res)
			}
			fmt.Printf("%s B=%d T=%d params=%d: %.0f tokens/s, %.1f ms/step,"+
				" peak RSS %.0f MiB\n", res.Preset, res.Batch, res.Seq,
				res.Params, res.TokensPerSec, res.MsPerStep, res.PeakRSSMiB)
			return nil
		},
	}
	o.run.register(cmd, "deepseek-tiny")
	cmd.Flags().IntVar(&o.steps, "iters", 30, "timed steps")
	cmd.Flags().IntVar(&o.warmup, "warmup", 3, "untimed steps first")
	cmd.Flags().BoolVar(&o.jsonOut, "json", false, "print JSON")
	return cmd
}
