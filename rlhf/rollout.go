package rlhf

import (
	"fmt"
	"slices"

	ag "github.com/tinyseek/tinyseek/autograd"
	"github.com/tinyseek/tinyseek/data/tokenizer"
	"github.com/tinyseek/tinyseek/layers"
)

// Sample draws a response to prompt at temperature temp (full softmax,
// no top-k or top-p, so that PPO's log π(·)/τ is the sampling
// distribution) for up to maxNew tokens, stopping after <|end|>. With
// cache it decodes with the KV cache; without, it reruns the whole
// sequence for every token (for the speed comparison and as a check).
// ended reports whether the response closed with <|end|>.
func Sample(m *layers.Model, prompt []int32, temp float32, maxNew int,
	seed uint64, cache bool) (resp []int32, ended bool, err error) {
	if temp <= 0 {
		return nil, false, fmt.Errorf("rlhf: temperature %v: PPO "+
			"samples at a positive temperature", temp)
	}
	maxNew = min(maxNew, m.Cfg.MaxPositionEmbeddings-len(prompt))
	if maxNew <= 0 {
		return nil, false, fmt.Errorf("rlhf: prompt of %d tokens fills "+
			"the model's %d positions", len(prompt),
			m.Cfg.MaxPositionEmbeddings)
	}
	opts := layers.SampleOptions{Temperature: temp, Seed: seed,
		StopTokens: []int32{tokenizer.End}, MaxNewTokens: maxNew}
	if cache {
		resp, err = m.Generate(prompt, opts, nil)
	} else {
		resp = sampleNoCache(m, prompt, opts)
	}
	ended = len(resp) > 0 && resp[len(resp)-1] == tokenizer.End
	return resp, ended, err
}

// sampleNoCache is Generate without the cache: O(T²) forwards.
func sampleNoCache(m *layers.Model, prompt []int32,
	opts layers.SampleOptions) []int32 {
	V := m.Cfg.VocabSize
	smp := layers.NewSampler(opts)
	seq := append([]int32(nil), prompt...)
	var out []int32
	for len(out) < opts.MaxNewTokens {
		logits := m.Forward(ag.NewInference(), seq, 1, len(seq),
			layers.ForwardOptions{})
		tok := smp.Sample(logits.Data[len(logits.Data)-V:])
		out, seq = append(out, tok), append(seq, tok)
		if slices.Contains(opts.StopTokens, tok) {
			break
		}
	}
	return out
}

// tokenRows returns, for a right-padded batch of prompt+response rows,
// the flat index of the position that predicts each response token and
// the token itself, row after row: (n), (n).
func tokenRows(p Packed, promptLens []int) (idx, actions []int32) {
	for b := range p.B {
		for j := promptLens[b]; j < p.Lens[b]; j++ {
			idx = append(idx, p.Row(b, j-1))
			actions = append(actions, p.IDs[p.Row(b, j)])
		}
	}
	return idx, actions
}

// LogProbs returns log π(a|s) at temperature temp for the tokens at
// rows idx: log-softmax of logits/τ gathered at actions, (n). It also
// returns the gathered tempered logits (n, V) for the entropy.
func LogProbs(tp *ag.Tape, m *layers.Model, p Packed, idx,
	actions []int32, temp float32) (logp, rows *ag.Tensor) {
	logits := m.Forward(tp, p.IDs, p.B, p.T, p.Opts) // (B·T, V)
	rows = tp.Scale(tp.GatherRows(logits, idx), 1/temp)
	return tp.LogProbGather(rows, actions), rows
}

// entropies is the entropy of softmax(row) for each row of x (n, V).
func entropies(x *ag.Tensor) []float64 {
	V := x.Cols()
	out := make([]float64, x.Rows())
	for i := range out {
		row := x.Data[i*V : (i+1)*V]
		mx := row[0]
		for _, v := range row {
			mx = max(mx, v)
		}
		var z, s float64
		for _, v := range row {
			e := exp64(float64(v - mx))
			z += e
			s += e * float64(v-mx)
		}
		out[i] = log64(z) - s/z
	}
	return out
}
