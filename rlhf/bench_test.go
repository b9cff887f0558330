package rlhf

import (
	"testing"

	"github.com/tinyseek/tinyseek/configs"
	"github.com/tinyseek/tinyseek/layers"
)

// TestSampleCacheMatchesNoCache: with the same seed, decoding with and
// without the KV cache draws the same response.
func TestSampleCacheMatchesNoCache(t *testing.T) {
	m := tinyModel(t, 11)
	prompt := []int32{256, 259, 72, 105, 261, 260}
	a, _, err := Sample(m, prompt, 1, 12, 5, true)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := Sample(m, prompt, 1, 12, 5, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) == 0 || string(toBytes(a)) != string(toBytes(b)) {
		t.Fatalf("cache %v, no cache %v", a, b)
	}
}

func toBytes(x []int32) []byte {
	var b []byte
	for _, v := range x {
		b = append(b, byte(v), byte(v>>8))
	}
	return b
}

// BenchmarkRollout measures rollout tokens/s of the tiny preset's
// model shape (random weights, 48 new tokens after a 16-token prompt,
// no stop) with and without the KV cache.
func BenchmarkRollout(b *testing.B) {
	src, err := configs.Preset("tiny")
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := configs.Load([]configs.Source{{Name: "tiny", YAML: src}},
		nil)
	if err != nil {
		b.Fatal(err)
	}
	m, err := layers.New(cfg.Model, 1)
	if err != nil {
		b.Fatal(err)
	}
	prompt := make([]int32, 16)
	for i := range prompt {
		prompt[i] = int32(65 + i)
	}
	for _, cache := range []bool{true, false} {
		name := map[bool]string{true: "kv-cache", false: "no-cache"}[cache]
		b.Run(name, func(b *testing.B) {
			tokens := 0
			for i := 0; i < b.N; i++ {
				r := sampleNoStop(m, prompt, uint64(i), cache)
				tokens += len(r)
			}
			b.ReportMetric(float64(tokens)/b.Elapsed().Seconds(),
				"tokens/s")
		})
	}
}

// sampleNoStop decodes exactly 48 tokens (no stop token), so both
// variants do the same work.
func sampleNoStop(m *layers.Model, prompt []int32, seed uint64,
	cache bool) []int32 {
	opts := layers.SampleOptions{Temperature: 1, Seed: seed,
		MaxNewTokens: 48}
	if cache {
		r, _ := m.Generate(prompt, opts, nil)
		return r
	}
	return sampleNoCache(m, prompt, opts)
}
