package pretrain

import (
	"testing"

	"github.com/tinyseek/tinyseek/configs"
)

// BenchmarkStep times one full training step (forward, backward, AdamW)
// of each preset's model at its own batch shape, as `train bench step`
// does; compare with shared/bench/torch_ref.py bench.
func BenchmarkStep(b *testing.B) {
	for _, preset := range []string{"deepseek-tiny", "shakespeare"} {
		for _, workers := range []int{1, 0} {
			name := preset + "/workers=all"
			if workers == 1 {
				name = preset + "/workers=1"
			}
			b.Run(name, func(b *testing.B) {
				y, err := configs.Preset(preset)
				if err != nil {
					b.Fatal(err)
				}
				cfg, err := configs.Load([]configs.Source{{Name: preset,
					YAML: y}}, nil)
				if err != nil {
					b.Fatal(err)
				}
				cfg.Train.Workers = workers
				b.ReportAllocs()
				res, err := BenchStep(cfg, b.N, 3)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(res.TokensPerSec, "tokens/s")
			})
		}
	}
}
