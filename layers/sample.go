package layers

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// SampleOptions controls decoding.
type SampleOptions struct {
	// Temperature divides the logits; 0 means greedy (argmax).
	Temperature float32
	// TopK keeps only the K most likely tokens; 0 keeps all.
	TopK int
	// TopP keeps the smallest set of most likely tokens whose
	// probability reaches TopP (nucleus sampling); 0 or 1 keeps all.
	TopP float32
	// Seed makes sampling reproducible.
	Seed uint64
	// StopTokens end generation; the stop token is reported to the
	// callback and included in the result.
	StopTokens []int32
	// MaxNewTokens bounds the generated tokens; it must be positive.
	MaxNewTokens int
}

// Sampler draws tokens from logits according to SampleOptions.
type Sampler struct {
	opts  SampleOptions
	rng   *rand.Rand
	order []int32
	probs []float64
}

// NewSampler returns a sampler seeded with opts.Seed.
func NewSampler(opts SampleOptions) *Sampler {
	return &Sampler{opts: opts,
		rng: rand.New(rand.NewPCG(opts.Seed, opts.Seed^0xda7a))}
}

// Sample picks a token from one row of logits (V).
func (s *Sampler) Sample(logits []float32) int32 {
	o := s.opts
	if o.Temperature <= 0 || o.TopK == 1 {
		return argmax(logits)
	}

	// 1. Tokens by decreasing logit, cut to top-k.
	s.order = s.order[:0]
	for i := range logits {
		s.order = append(s.order, int32(i))
	}
	sort.SliceStable(s.order, func(a, b int) bool {
		return logits[s.order[a]] > logits[s.order[b]]
	})
	keep := s.order
	if o.TopK > 0 && o.TopK < len(keep) {
		keep = keep[:o.TopK]
	}

	// 2. Softmax at the temperature, cut to the nucleus.
	mx := float64(logits[keep[0]])
	s.probs = s.probs[:0]
	var sum float64
	for _, id := range keep {
		p := math.Exp((float64(logits[id]) - mx) / float64(o.Temperature))
		s.probs = append(s.probs, p)
		sum += p
	}
	if o.TopP > 0 && o.TopP < 1 {
		var acc float64
		for i, p := range s.probs {
			acc += p / sum
			if acc >= float64(o.TopP) {
				keep, s.probs = keep[:i+1], s.probs[:i+1]
				break
			}
		}
		sum = 0
		for _, p := range s.probs {
			sum += p
		}
	}

	// 3. Draw.
	u := s.rng.Float64() * sum
	for i, p := range s.probs {
		u -= p
		if u < 0 {
			return keep[i]
		}
	}
	return keep[len(keep)-1]
}

func argmax(x []float32) int32 {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return int32(best)
}

// ErrTooLong is returned when the prompt plus MaxNewTokens exceeds
// max_position_embeddings.
var ErrTooLong = errors.New("layers: sequence longer than " +
	"max_position_embeddings")

// Generate continues prompt with up to opts.MaxNewTokens tokens using
// the KV cache, calling emit with each new token as soon as it is
// chosen; emit returning false stops early. It returns the new tokens.
func (m *Model) Generate(prompt []int32, opts SampleOptions,
	emit func(tok int32) bool) ([]int32, error) {
	if len(prompt) == 0 || opts.MaxNewTokens <= 0 {
		return nil, fmt.Errorf("layers: generate: empty prompt or "+
			"max new tokens %d", opts.MaxNewTokens)
	}
	if n := len(prompt) + opts.MaxNewTokens; n > m.Cfg.MaxPositionEmbeddings {
		return nil, fmt.Errorf("layers: generate: %d + %d tokens: %w",
			len(prompt), opts.MaxNewTokens, ErrTooLong)
	}
	V := m.Cfg.VocabSize
	ca := m.NewCache(1, len(prompt)+opts.MaxNewTokens)
	smp := NewSampler(opts)
	logits := m.Step(ca, prompt)
	var out []int32
	for len(out) < opts.MaxNewTokens {
		tok := smp.Sample(logits[len(logits)-V:])
		out = append(out, tok)
		if emit != nil && !emit(tok) {
			break
		}
		if isStop(tok, opts.StopTokens) || len(out) == opts.MaxNewTokens {
			break
		}
		logits = m.Step(ca, []int32{tok})
	}
	return out, nil
}

func isStop(tok int32, stops []int32) bool {
	for _, s := range stops {
		if s == tok {
			return true
		}
	}
	return false
}
