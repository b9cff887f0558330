package layers

import (
	"errors"
	"math"
	"testing"

	ag "github.com/tinyseek/tinyseek/autograd"
)

func TestSamplerDistribution(t *testing.T) {
	logits := []float32{2, 1, 0, -1, -30}
	cases := []struct {
		name string
		opts SampleOptions
		want []float64 // expected frequencies
	}{
		{"greedy", SampleOptions{}, []float64{1, 0, 0, 0, 0}},
		{"temperature", SampleOptions{Temperature: 1},
			softmax64(logits, 1, 5)},
		{"hot", SampleOptions{Temperature: 2}, softmax64(logits, 2, 5)},
		{"top-k", SampleOptions{Temperature: 1, TopK: 2},
			softmax64(logits, 1, 2)},
		// p(0)=.644, p(0)+p(1)=.881 ≥ .8: the nucleus is {0, 1}.
		{"top-p", SampleOptions{Temperature: 1, TopP: 0.8},
			softmax64(logits, 1, 2)},
	}
	const n = 40000
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opts.Seed = 11
			s := NewSampler(c.opts)
			freq := make([]float64, len(logits))
			for i := 0; i < n; i++ {
				freq[s.Sample(logits)] += 1.0 / n
			}
			for i := range freq {
				if math.Abs(freq[i]-c.want[i]) > 0.01 {
					t.Errorf("token %d: frequency %.4f, want %.4f", i,
						freq[i], c.want[i])
				}
			}
		})
	}
}

// softmax64 is the softmax of x/temp over the first k entries, zero
// after: what top-k sampling should draw from.
func softmax64(x []float32, temp float64, k int) []float64 {
	p := make([]float64, len(x))
	var sum float64
	for i := 0; i < k; i++ {
		p[i] = math.Exp(float64(x[i]) / temp)
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	return p
}

func TestGenerate(t *testing.T) {
	m, _ := New(smallConfig(), 4)
	prompt := []int32{1, 2, 3}
	opts := SampleOptions{Temperature: 0.8, TopK: 20, Seed: 3,
		MaxNewTokens: 12}
	var streamed []int32
	out, err := m.Generate(prompt, opts, func(tok int32) bool {
		streamed = append(streamed, tok)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 12 || maxAbsDiff(toF(out), toF(streamed)) != 0 {
		t.Fatalf("returned %v, streamed %v", out, streamed)
	}
	again, _ := m.Generate(prompt, opts, nil)
	if maxAbsDiff(toF(out), toF(again)) != 0 {
		t.Errorf("same seed gave %v then %v", out, again)
	}

	// Greedy generation equals argmax of full forwards.
	opts = SampleOptions{MaxNewTokens: 6}
	greedy, _ := m.Generate(prompt, opts, nil)
	seq := append([]int32(nil), prompt...)
	V := m.Cfg.VocabSize
	for i := 0; i < 6; i++ {
		l := m.Forward(ag.NewInference(), seq, 1, len(seq),
			ForwardOptions{}).Data
		seq = append(seq, argmax(l[len(l)-V:]))
	}
	if maxAbsDiff(toF(greedy), toF(seq[3:])) != 0 {
		t.Errorf("greedy %v, full forward %v", greedy, seq[3:])
	}

	// A stop token ends generation and is included.
	opts.StopTokens = []int32{greedy[2]}
	stopped, _ := m.Generate(prompt, opts, nil)
	if len(stopped) > 3 || stopped[len(stopped)-1] != greedy[2] {
		t.Errorf("stop at %d: got %v from %v", greedy[2], stopped, greedy)
	}

	// The callback stops early.
	n := 0
	early, _ := m.Generate(prompt, SampleOptions{MaxNewTokens: 10},
		func(int32) bool { n++; return n < 4 })
	if len(early) != 4 {
		t.Errorf("callback stop after 4: got %d tokens", len(early))
	}

	_, err = m.Generate(prompt, SampleOptions{MaxNewTokens: 1000}, nil)
	if !errors.Is(err, ErrTooLong) {
		t.Errorf("overlong generation: %v", err)
	}
}

func toF(x []int32) []float32 {
	f := make([]float32, len(x))
	for i, v := range x {
		f[i] = float32(v)
	}
	return f
}
