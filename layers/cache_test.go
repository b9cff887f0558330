package layers

import (
	"math"
	"testing"

	ag "github.com/tinyseek/tinyseek/autograd"
)

// smallConfig is a quick model with every DeepSeek component on.
func smallConfig() Config {
	c := DefaultConfig()
	c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads = 32, 3, 4
	c.KVLoraRank, c.QKNopeHeadDim, c.QKRopeHeadDim, c.VHeadDim =
		16, 8, 4, 8
	c.IntermediateSize, c.MoEIntermediateSize = 48, 16
	c.NRoutedExperts, c.NGroup, c.TopKGroup = 8, 4, 2
	c.VocabSize, c.MaxPositionEmbeddings = 64, 128
	return c
}

// TestIncrementalMatchesFull greedy-decodes 32 tokens with the cache
// and with a full recompute at every step; logits and tokens must agree.
func TestIncrementalMatchesFull(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
	}{
		{"mla", func(c *Config) {}},
		{"mla-qlora-softmax", func(c *Config) {
			c.QLoraRank, c.ScoringFunc, c.NGroup, c.TopKGroup = 12,
				"softmax", 2, 1
		}},
		{"mha", func(c *Config) { c.Attention = "mha" }},
		{"mha-learned-layernorm", func(c *Config) {
			c.Attention, c.Pos, c.Norm, c.MLPAct = "mha", "learned",
				"layernorm", "gelu"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := smallConfig()
			tc.edit(&c)
			m, err := New(c, 7)
			if err != nil {
				t.Fatal(err)
			}
			// Larger weights make the logits spread, so that greedy
			// choices are decisive.
			for _, p := range m.Params() {
				if len(p.Shape) == 2 {
					for i := range p.Data {
						p.Data[i] *= 5
					}
				}
			}
			checkIncremental(t, m, []int32{3, 17, 42, 5, 9}, 32)
		})
	}
}

func checkIncremental(t *testing.T, m *Model, prompt []int32, n int) {
	V := m.Cfg.VocabSize
	ca := m.NewCache(1, len(prompt)+n)
	seq := append([]int32(nil), prompt...)
	step := m.Step(ca, prompt)
	var worst float64
	for i := 0; i < n; i++ {
		inc := step[len(step)-V:]
		tp := ag.NewInference()
		full := m.Forward(tp, seq, 1, len(seq), ForwardOptions{}).Data
		full = full[len(full)-V:]
		for j := range inc {
			worst = math.Max(worst, math.Abs(float64(inc[j]-full[j])))
		}
		a, b := argmax(inc), argmax(full)
		if a != b {
			t.Fatalf("step %d: cached token %d, full token %d", i, a, b)
		}
		seq = append(seq, a)
		step = m.Step(ca, []int32{a})
	}
	distinct := map[int32]bool{}
	for _, tok := range seq[len(prompt):] {
		distinct[tok] = true
	}
	if len(distinct) < 4 {
		t.Errorf("decoding is degenerate (%v): the test proves little",
			seq[len(prompt):])
	}
	if worst > 1e-4 {
		t.Errorf("cached and full logits differ by %g > 1e-4", worst)
	}
	t.Logf("max |Δlogit| = %.2g over %d steps", worst, n)
}

func TestCacheBytesPerToken(t *testing.T) {
	c := DefaultConfig() // L=4, H=4, R=32, dr=16, dq=48, dv=32
	mla, _ := New(c, 1)
	c.Attention = "mha"
	mha, _ := New(c, 1)
	// MLA: 4 bytes · 4 layers · (32 + 16); MHA: 4 · 4 · 4 heads · (48+32).
	if got := mla.CacheBytesPerToken(); got != 768 {
		t.Errorf("MLA: %d bytes per token, want 768", got)
	}
	if got := mha.CacheBytesPerToken(); got != 5120 {
		t.Errorf("MHA: %d bytes per token, want 5120", got)
	}
	// The cache really allocates that much per token.
	ca := mla.NewCache(1, 10)
	total := 0
	for l := range ca.lat {
		total += 4 * (len(ca.lat[l]) + len(ca.kr[l]))
	}
	if total != 768*10 {
		t.Errorf("MLA cache holds %d bytes for 10 tokens, want %d",
			total, 7680)
	}
}
