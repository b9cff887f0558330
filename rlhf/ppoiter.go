package rlhf

import (
	"math"
	"math/rand/v2"
	"time"

	ag "github.com/tinyseek/tinyseek/autograd"
	"github.com/tinyseek/tinyseek/autograd/optim"
	"github.com/tinyseek/tinyseek/data"
	"github.com/tinyseek/tinyseek/layers"
)

// item is one sampled response.
type item struct {
	prompt, resp []int32
	ended        bool
}

// rollouts is a batch of responses with their packing.
type rollouts struct {
	items   []item
	packed  Packed  // prompt+response rows, right-padded
	plens   []int   // prompt lengths
	idx     []int32 // rows predicting each response token (n)
	actions []int32 // the response tokens (n)
	tokens  int
	secs    float64
}

// rollout samples one response per prompt with the policy.
func (r *ppoRun) rollout(ps []Prompt, seed func(int) uint64) (rollouts,
	error) {
	began := time.Now()
	ro := rollouts{}
	seqs := make([][]int32, len(ps))
	for i, p := range ps {
		if r.ctx != nil && r.ctx.Err() != nil {
			return ro, r.ctx.Err()
		}
		ids, _, err := data.EncodeChat(r.tok, p.Msgs, true)
		if err != nil {
			return ro, err
		}
		resp, ended, err := Sample(r.policy, ids,
			float32(r.o.PPO.Temperature), r.o.PPO.MaxNewTokens, seed(i),
			true)
		if err != nil {
			return ro, err
		}
		ro.items = append(ro.items, item{prompt: ids, resp: resp,
			ended: ended})
		ro.plens = append(ro.plens, len(ids))
		seqs[i] = append(append([]int32(nil), ids...), resp...)
		ro.tokens += len(resp)
	}
	ro.secs = since(began)
	ro.packed = Pack(seqs, RightPad)
	ro.idx, ro.actions = tokenRows(ro.packed, ro.plens)
	return ro, nil
}

// scored holds the per-token quantities of a rollout batch, per
// response: old log-probs, log π − log π_ref, values, entropies, and
// the reward-model score.
type scored struct {
	logp, logRatio, values, entropy [][]float64
	score                           []float64
	k3                              []float64 // per response, summed
}

// scoreRollouts runs the policy, reference, critic and reward model
// over the batch in inference mode.
func (r *ppoRun) scoreRollouts(ro rollouts) scored {
	temp := float32(r.o.PPO.Temperature)
	p := ro.packed
	lp, rows := LogProbs(ag.NewInference(), r.policy, p, ro.idx,
		ro.actions, temp)
	lr, _ := LogProbs(ag.NewInference(), r.ref, p, ro.idx, ro.actions,
		temp)
	ent := entropies(rows)
	tp := ag.NewInference()
	vals := r.value.At(tp, r.value.Model.Hidden(tp, p.IDs, p.B, p.T,
		p.Opts), ro.idx)
	scores := r.reward.Scores(ag.NewInference(), p)

	s := scored{}
	k := 0
	for b, it := range ro.items {
		L := len(it.resp)
		var lpb, ratio, vb, eb []float64
		k3 := 0.0
		for j := range L {
			d := float64(lp.Data[k+j]) - float64(lr.Data[k+j])
			lpb = append(lpb, float64(lp.Data[k+j]))
			ratio = append(ratio, d)
			vb = append(vb, float64(vals.Data[k+j]))
			eb = append(eb, ent[k+j])
			k3 += math.Expm1(-d) + d
		}
		k += L
		s.logp, s.logRatio = append(s.logp, lpb), append(s.logRatio, ratio)
		s.values, s.entropy = append(s.values, vb), append(s.entropy, eb)
		s.score = append(s.score, float64(scores.Data[b]))
		s.k3 = append(s.k3, k3)
	}
	return s
}

// iteration runs one PPO iteration: rollout, scoring, advantages and
// several epochs of minibatch updates. It returns the logged stats.
func (r *ppoRun) iteration(it int, lr float64) (map[string]float64,
	error) {
	cfg := r.o.PPO
	ro, err := r.rollout(r.batchPrompts(it), func(i int) uint64 {
		return r.seedOf(it, i)
	})
	if err != nil {
		return nil, err
	}
	sc := r.scoreRollouts(ro)
	st := r.rolloutStats(ro, sc)

	// 1. Rewards: −β·log-ratio per token, score (+ penalty) at the end.
	var adv, ret, oldV, oldLogp []float64
	for b, x := range ro.items {
		L := len(x.resp)
		rew := make([]float64, L)
		for j := range L {
			rew[j] = -r.kl.Coef * sc.logRatio[b][j]
		}
		rew[L-1] += r.norm.apply(sc.score[b])
		if !x.ended {
			rew[L-1] += cfg.EndPenalty
		}
		a, rt := GAE(rew, sc.values[b], cfg.Gamma, cfg.Lambda)
		adv, ret = append(adv, a...), append(ret, rt...)
		oldV = append(oldV, sc.values[b]...)
		oldLogp = append(oldLogp, sc.logp[b]...)
	}
	st["explained_var"] = ExplainedVariance(oldV, ret)
	Whiten(adv)

	// 2. Epochs over shuffled minibatches of responses.
	up := r.update(ro, it, lr, adv, ret, oldV, oldLogp)
	for k, v := range up {
		st[k] = v
	}

	// 3. The controller sees this batch's KL, before the next rollout.
	r.kl.Update(st["kl"], len(ro.items))
	r.state.Extra = r.extra()
	return st, nil
}

// rolloutStats are the statistics of the batch before any update.
func (r *ppoRun) rolloutStats(ro rollouts, sc scored) map[string]float64 {
	n := float64(len(ro.items))
	st := map[string]float64{"kl_coef": r.kl.Coef,
		"response_tokens": float64(ro.tokens),
		"response_len":    float64(ro.tokens) / n,
		"rollout_tokens_per_sec": float64(ro.tokens) /
			max(ro.secs, 1e-9)}
	var ent float64
	for b, x := range ro.items {
		st["score"] += sc.score[b] / n
		st["kl_k3"] += sc.k3[b] / n
		for j := range x.resp {
			st["kl"] += sc.logRatio[b][j] / n
			ent += sc.entropy[b][j]
		}
		if x.ended {
			st["ended_frac"] += 1 / n
		}
	}
	st["entropy"] = ent / float64(ro.tokens)
	return st
}

// update runs the PPO epochs and returns the mean losses and
// diagnostics over every minibatch.
func (r *ppoRun) update(ro rollouts, it int, lr float64, adv, ret,
	oldV, oldLogp []float64) map[string]float64 {
	cfg := r.o.PPO
	off := make([]int, len(ro.items)+1) // first token of each response
	for b, x := range ro.items {
		off[b+1] = off[b] + len(x.resp)
	}
	tp := ag.NewTape()
	tp.SetTrain(false) // PPO ratios need the rollout's deterministic net
	sum := map[string]float64{}
	steps := 0
	for ep := range cfg.Epochs {
		perm := rand.New(rand.NewPCG(r.cfg.Train.Seed^0x5eed,
			uint64(it*1000+ep))).Perm(len(ro.items))
		for s := 0; s < len(perm); s += cfg.MiniBatch {
			mb := perm[s:min(s+cfg.MiniBatch, len(perm))]
			m := r.minibatch(tp, ro, mb, off, adv, ret, oldV, oldLogp)
			r.step(lr)
			tp.Reset()
			for k, v := range m {
				sum[k] += v
			}
			steps++
		}
	}
	for k := range sum {
		sum[k] /= float64(steps)
	}
	return sum
}

// step clips and applies the gradients of both models.
func (r *ppoRun) step(lr float64) {
	tc := r.cfg.Train
	vlr := r.o.PPO.ValueLR
	if vlr == 0 {
		vlr = lr
	}
	for _, u := range []struct {
		opt *optim.AdamW
		m   *layers.Model
		lr  float64
	}{{r.popt, r.policy, lr}, {r.vopt, r.value.Model, vlr}} {
		if !ag.GradsFinite(u.opt.Params) {
			r.state.BadSteps++
			continue
		}
		optim.ClipGradNorm(u.opt.Params, tc.GradClip)
		u.opt.Step(u.lr)
		if u.m == r.policy && r.partial() {
			// Frozen blocks keep their routing too; all router
			// biases, the trained blocks' included, stay at their
			// SFT values.
			u.m.ResetLoad()
			continue
		}
		u.m.UpdateBias()
	}
}

// partial reports whether PPO trains only the policy's last blocks.
func (r *ppoRun) partial() bool { return r.unfrozen() >= 0 }

// minibatch computes the clipped PPO losses on responses mb and runs
// the backward pass, returning the minibatch's diagnostics.
func (r *ppoRun) minibatch(tp *ag.Tape, ro rollouts, mb []int, off []int,
	adv, ret, oldV, oldLogp []float64) map[string]float64 {
	cfg := r.o.PPO
	seqs, plens := make([][]int32, len(mb)), make([]int, len(mb))
	var A, R, V0, L0 []float32
	for i, b := range mb {
		x := ro.items[b]
		seqs[i] = append(append([]int32(nil), x.prompt...), x.resp...)
		plens[i] = len(x.prompt)
		for k := off[b]; k < off[b+1]; k++ {
			A, R = append(A, float32(adv[k])), append(R, float32(ret[k]))
			V0 = append(V0, float32(oldV[k]))
			L0 = append(L0, float32(oldLogp[k]))
		}
	}
	p := Pack(seqs, RightPad)
	idx, actions := tokenRows(p, plens)
	n := len(idx)
	ag.ZeroGrads(r.policy.Params()) // frozen ones too, so none pile up
	ag.ZeroGrads(r.vopt.Params)

	// 1. Clipped surrogate: −mean min(ρA, clip(ρ, 1−ε, 1+ε)A).
	eps := float32(cfg.ClipRange)
	logp, _ := LogProbs(tp, r.policy, p, idx, actions,
		float32(cfg.Temperature))
	ratio := tp.Exp(tp.Sub(logp, ag.New(L0, n)))
	at := ag.New(A, n)
	pg := tp.Neg(tp.Mean(tp.Minimum(tp.Mul(ratio, at),
		tp.Mul(tp.Clamp(ratio, 1-eps, 1+eps), at))))

	// 2. Clipped value loss: ½·mean max((v−R)², (v₀+clip(v−v₀)−R)²).
	c := float32(cfg.ValueClip)
	v := r.value.At(tp, r.value.Model.Hidden(tp, p.IDs, p.B, p.T, p.Opts),
		idx)
	v0, rt := ag.New(V0, n), ag.New(R, n)
	d1 := tp.Sub(v, rt)
	d2 := tp.Sub(tp.Add(v0, tp.Clamp(tp.Sub(v, v0), -c, c)), rt)
	vf := tp.Scale(tp.Mean(tp.Maximum(tp.Mul(d1, d1), tp.Mul(d2, d2))),
		0.5)
	tp.Backward(tp.Add(pg, tp.Scale(vf, float32(cfg.ValueCoef))))

	// 3. Diagnostics: clip fraction and the k3 estimate of KL(old‖new).
	var clipped, akl float64
	for _, q := range ratio.Data {
		if math.Abs(float64(q)-1) > cfg.ClipRange {
			clipped++
		}
		akl += float64(q) - 1 - math.Log(float64(q))
	}
	return map[string]float64{"policy_loss": float64(pg.Item()),
		"value_loss": float64(vf.Item()), "clip_frac": clipped / float64(n),
		"approx_kl": akl / float64(n)}
}
