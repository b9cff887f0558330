package layers

import (
	"fmt"
	"math"
	"sync"

	ag "github.com/tinyseek/tinyseek/autograd"
)

// MoE is DeepSeekMoE: E fine-grained routed SwiGLU experts, K chosen per
// token, plus always-on shared experts.
type MoE struct {
	Gate    *ag.Tensor // (E, C) router, mlp.gate.weight
	Bias    *ag.Tensor // (E) e_score_correction_bias; steers choice only
	Experts []*MLP
	Shared  *MLP // nil when n_shared_experts is 0

	// load counts the tokens routed to each expert by the recording
	// forwards since the last UpdateBias (padding excluded): all
	// micro-batches of a step, from any number of goroutines.
	mu   sync.Mutex
	load []float32
}

func (m *Model) buildMoE(pre string) *MoE {
	c := m.Cfg
	e := &MoE{
		Gate: m.param(pre+"gate.weight", c.NRoutedExperts, c.HiddenSize),
		Bias: ag.Zeros(c.NRoutedExperts),
		load: make([]float32, c.NRoutedExperts),
	}
	e.Bias.Name = pre + "gate.e_score_correction_bias"
	for i := 0; i < c.NRoutedExperts; i++ {
		e.Experts = append(e.Experts, m.buildMLP(
			fmt.Sprintf("%sexperts.%d.", pre, i), c.MoEIntermediateSize))
	}
	if c.NSharedExperts > 0 {
		e.Shared = m.buildMLP(pre+"shared_experts.",
			c.NSharedExperts*c.MoEIntermediateSize)
	}
	return e
}

// forward routes x (N, C) through the experts and returns y (N, C) and
// the sequence-wise balance loss (nil unless aux_loss_alpha > 0 and the
// tape records).
func (e *MoE) forward(tp *ag.Tape, c Config, x *ag.Tensor, B, T int,
	pad []bool) (y, aux *ag.Tensor) {
	N, K := x.Rows(), c.NumExpertsPerTok

	// 1. Affinities s (N, E) from the router.
	s := tp.Linear(x, e.Gate)
	if c.ScoringFunc == "sigmoid" {
		s = tp.Sigmoid(s)
	} else {
		s = tp.Softmax(s)
	}

	// 2. Choice on the bias-corrected, group-limited scores; weights from
	// the unbiased scores.
	idx := e.route(c, s.Data, N)
	w := tp.GatherCols(s, idx, K) // (N, K)
	if c.NormTopKProb {
		w = tp.Mul(w, reciprocal(tp, tp.SumAxis(w, 1), 1e-20))
	}
	if c.RoutedScalingFactor != 1 {
		w = tp.Scale(w, float32(c.RoutedScalingFactor))
	}
	if tp.Recording() {
		e.count(idx, pad, K)
	}

	// 3. Routed experts, then the shared ones.
	y = e.dispatch(tp, x, idx, w, K)
	if e.Shared != nil {
		y = tp.Add(y, e.Shared.forward(tp, x))
	}
	if c.AuxLossAlpha > 0 && tp.Recording() {
		aux = balanceLoss(tp, c, s, idx, B, T, pad)
	}
	return y, aux
}

// reciprocal returns 1/(s+eps) reshaped to a column (N, 1), composed as
// exp(−log(s+eps)) because the engine has no division op.
func reciprocal(tp *ag.Tape, s *ag.Tensor, eps float32) *ag.Tensor {
	r := tp.Exp(tp.Neg(tp.Log(tp.AddScalar(s, eps))))
	return tp.Reshape(r, s.Size(), 1)
}

// route picks K experts per token from scores (N, E): top-k of score +
// bias among the topk_group best groups. It returns (N·K) expert ids.
func (e *MoE) route(c Config, scores []float32, N int) []int32 {
	E, K := c.NRoutedExperts, c.NumExpertsPerTok
	G := c.NGroup
	per := E / G
	idx := make([]int32, N*K)
	choice := make([]float32, E)
	gs := make([]float32, G)
	gk := make([]int32, max(c.TopKGroup, 2))
	for n := 0; n < N; n++ {
		for i, v := range scores[n*E : (n+1)*E] {
			choice[i] = v + e.Bias.Data[i]
		}
		if G > 1 {
			for g := 0; g < G; g++ {
				gs[g] = groupScore(c, choice[g*per:(g+1)*per], gk)
			}
			keep := gk[:c.TopKGroup]
			topK(gs, keep)
			maskGroups(choice, keep, per)
		}
		topK(choice, idx[n*K:(n+1)*K])
	}
	return idx
}

// groupScore is the sum of a group's top two scores for sigmoid
// routing (DeepSeek-V3) and its maximum for softmax routing.
func groupScore(c Config, g []float32, tmp []int32) float32 {
	if c.ScoringFunc == "softmax" {
		mx := g[0]
		for _, v := range g {
			mx = max(mx, v)
		}
		return mx
	}
	t := tmp[:2]
	topK(g, t)
	return g[t[0]] + g[t[1]]
}

// maskGroups sets the scores of every group not in keep to −∞.
func maskGroups(choice []float32, keep []int32, per int) {
	for g := 0; g < len(choice)/per; g++ {
		kept := false
		for _, k := range keep {
			kept = kept || int(k) == g
		}
		if !kept {
			for i := g * per; i < (g+1)*per; i++ {
				choice[i] = float32(math.Inf(-1))
			}
		}
	}
}

// topK writes the indices of the len(out) largest values of x into out,
// largest first, lower index first among equals.
func topK(x []float32, out []int32) {
	k := len(out)
	n := 0
	for i, v := range x {
		if n == k && v <= x[out[k-1]] {
			continue
		}
		j := min(n, k-1)
		if n < k {
			n++
		}
		for j > 0 && x[out[j-1]] < v {
			out[j] = out[j-1]
			j--
		}
		out[j] = int32(i)
	}
}

// count adds each non-pad token's choices to the load counters.
func (e *MoE) count(idx []int32, pad []bool, K int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, ex := range idx {
		if pad == nil || !pad[i/K] {
			e.load[ex]++
		}
	}
}

// dispatch runs each expert on the tokens routed to it and sums the
// weighted outputs back per token. Work and copies are proportional to
// N·K; the only per-expert cost is a loop iteration.
func (e *MoE) dispatch(tp *ag.Tape, x *ag.Tensor, idx []int32,
	w *ag.Tensor, K int) *ag.Tensor {
	N, C, E := x.Rows(), x.Cols(), len(e.Experts)

	// 1. Counting sort of the (token, slot) pairs by expert.
	start := make([]int, E+1)
	for _, ex := range idx {
		start[ex+1]++
	}
	for i := 0; i < E; i++ {
		start[i+1] += start[i]
	}
	order := make([]int32, len(idx)) // slot n·K+j, grouped by expert
	tok := make([]int32, len(idx))   // its token n
	fill := append([]int(nil), start[:E]...)
	for p, ex := range idx {
		order[fill[ex]], tok[fill[ex]] = int32(p), int32(p/K)
		fill[ex]++
	}

	// 2. Per expert: gather its tokens, run it, keep the rows flat.
	outs := make([]*ag.Tensor, 0, E)
	for i, f := range e.Experts {
		rows := tok[start[i]:start[i+1]]
		if len(rows) == 0 {
			continue
		}
		ye := f.forward(tp, tp.GatherRows(x, rows)) // (n_i, C)
		outs = append(outs, tp.Reshape(ye, 1, len(rows)*C))
	}
	y := outs[0]
	if len(outs) > 1 {
		y = tp.Concat(outs...)
	}
	y = tp.Reshape(y, N*K, C) // (N·K, C) in expert order

	// 3. Weight each row by its routing weight and add back per token.
	wcol := tp.GatherRows(tp.Reshape(w, N*K, 1), order) // (N·K, 1)
	return tp.ScatterAddRows(tp.Mul(y, wcol), tok, N)
}

// balanceLoss is DeepSeek-V3's sequence-wise auxiliary loss (eqs.
// 17-20): α Σᵢ fᵢ Pᵢ per sequence, averaged over sequences, with
// fᵢ = E/(K·T') · #(tokens choosing i), Pᵢ = mean over tokens of the
// row-normalised affinity sᵢ/Σⱼsⱼ, over the T' non-pad tokens only.
func balanceLoss(tp *ag.Tape, c Config, s *ag.Tensor, idx []int32,
	B, T int, pad []bool) *ag.Tensor {
	E, K := c.NRoutedExperts, c.NumExpertsPerTok

	// 1. The constant coefficients α·fᵢ/(T'·nseq) per (token, expert).
	coef := make([]float32, B*T*E)
	real, nseq := make([]int, B), 0
	for n := 0; n < B*T; n++ {
		if pad == nil || !pad[n] {
			real[n/T]++
		}
	}
	for _, r := range real {
		if r > 0 {
			nseq++
		}
	}
	for b := 0; b < B && nseq > 0; b++ {
		tb := float64(real[b])
		f := make([]float64, E)
		for n := b * T; n < (b+1)*T; n++ {
			for j := 0; j < K && (pad == nil || !pad[n]); j++ {
				f[idx[n*K+j]] += float64(E) / (float64(K) * tb)
			}
		}
		for n := b * T; n < (b+1)*T; n++ {
			if pad != nil && pad[n] {
				continue
			}
			for i := 0; i < E; i++ {
				coef[n*E+i] = float32(c.AuxLossAlpha * f[i] /
					(tb * float64(nseq)))
			}
		}
	}

	// 2. Σ coef ⊙ s/rowsum(s), differentiable through s.
	sn := tp.Mul(s, reciprocal(tp, tp.SumAxis(s, 1), 0))
	return tp.Sum(tp.Mul(sn, ag.New(coef, B*T, E)))
}

// ExpertLoad returns, per MoE layer (in layer order), the number of
// tokens routed to each expert by the recording forwards since the last
// UpdateBias.
func (m *Model) ExpertLoad() [][]float32 {
	var out [][]float32
	for _, b := range m.Layers {
		if b.MoE != nil {
			out = append(out, append([]float32(nil), b.MoE.load...))
		}
	}
	return out
}

// UpdateBias applies the aux-loss-free balancing step after an
// optimizer step: bᵢ += γ·sign(mean load − loadᵢ), from the loads counted
// since the previous call, which it then resets. Overloaded experts
// become less likely picks.
func (m *Model) UpdateBias() {
	defer m.ResetLoad()
	g := float32(m.Cfg.BiasUpdateSpeed)
	for _, b := range m.Layers {
		if b.MoE == nil {
			continue
		}
		var mean float32
		for _, l := range b.MoE.load {
			mean += l
		}
		mean /= float32(len(b.MoE.load))
		for i, l := range b.MoE.load {
			switch {
			case l < mean:
				b.MoE.Bias.Data[i] += g
			case l > mean:
				b.MoE.Bias.Data[i] -= g
			}
		}
	}
}

// ResetLoad forgets the counted loads (a trainer calls it when it
// skips an update).
func (m *Model) ResetLoad() {
	for _, b := range m.Layers {
		if b.MoE != nil {
			clear(b.MoE.load)
		}
	}
}
