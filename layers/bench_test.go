package layers

import (
	"fmt"
	"math/rand/v2"
	"testing"

	ag "github.com/tinyseek/tinyseek/autograd"
)

// benchStep runs forward, backward and a plain SGD update on one
// reused tape, reporting tokens/s.
func benchStep(b *testing.B, cfg Config, B, T int) {
	m, err := New(cfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	ids := make([]int32, B*T)
	targets := make([]int32, B*T)
	for i := range ids {
		ids[i] = int32(r.IntN(cfg.VocabSize))
		targets[i] = int32(r.IntN(cfg.VocabSize))
	}
	tp := ag.NewTape()
	params := m.Params()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tp.Reset()
		loss, _ := m.Loss(tp, ids, targets, B, T, ForwardOptions{})
		tp.Backward(loss)
		for _, p := range params {
			for j, g := range p.Grad {
				p.Data[j] -= 1e-3 * g
			}
			p.ZeroGrad()
		}
		m.UpdateBias()
	}
	b.ReportMetric(float64(B*T*b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkStepDeepseekTiny is one training step of deepseek-tiny at
// B=12, T=64 (PyTorch reference: about 10,100 tokens/s on one thread
// with AdamW).
func BenchmarkStepDeepseekTiny(b *testing.B) {
	benchStep(b, DefaultConfig(), 12, 64)
}

// BenchmarkStepExperts doubles E at fixed K: step time should barely
// move, because dispatch work scales with K.
func BenchmarkStepExperts(b *testing.B) {
	for _, e := range []int{8, 16, 32} {
		b.Run(fmt.Sprintf("E=%d", e), func(b *testing.B) {
			c := DefaultConfig()
			c.NRoutedExperts = e
			benchStep(b, c, 12, 64)
		})
	}
}
