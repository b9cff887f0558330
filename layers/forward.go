package layers

import (
	"fmt"
	"math"

	ag "github.com/tinyseek/tinyseek/autograd"
)

// ForwardOptions carries the optional per-token inputs of a forward.
type ForwardOptions struct {
	// Positions holds one position per token (B·T); nil means 0..T−1 in
	// every row. Packed sequences restart their positions per segment.
	Positions []int32

	// Segments holds one segment id per token (B·T) for packed SFT: a
	// token attends only to earlier tokens of its own segment.
	Segments []int32

	// PadMask marks padding tokens (B·T, true = pad): they are left out
	// of the expert load counts and of the sequence-wise aux loss.
	PadMask []bool
}

// Forward returns the logits (B·T, V) of the token ids (B·T, row-major
// (B, T)). The aux loss, if any, is dropped; use Loss or ForwardAux to
// train.
func (m *Model) Forward(tp *ag.Tape, ids []int32, B, T int,
	opts ForwardOptions) *ag.Tensor {
	logits, _ := m.ForwardAux(tp, ids, B, T, opts)
	return logits
}

// ForwardAux returns the logits (B·T, V) and the summed sequence-wise
// balance loss of the MoE layers (nil when aux_loss_alpha is 0 or the
// tape does not record).
func (m *Model) ForwardAux(tp *ag.Tape, ids []int32, B, T int,
	opts ForwardOptions) (logits, aux *ag.Tensor) {
	h, aux := m.HiddenAux(tp, ids, B, T, opts)
	return m.head(tp, h), aux
}

// Hidden returns the final-norm hidden states (B·T, C), the backbone
// output a reward or value head reads.
func (m *Model) Hidden(tp *ag.Tape, ids []int32, B, T int,
	opts ForwardOptions) *ag.Tensor {
	h, _ := m.HiddenAux(tp, ids, B, T, opts)
	return h
}

// HiddenAux is Hidden that also returns the aux loss (or nil).
func (m *Model) HiddenAux(tp *ag.Tape, ids []int32, B, T int,
	opts ForwardOptions) (h, aux *ag.Tensor) {
	m.checkInputs(ids, B, T, opts)
	pos := opts.Positions
	if pos == nil {
		pos = ag.Positions(B, T, 0)
	}
	drop := float32(m.Cfg.Dropout)

	// 1. Token (and learned position) embeddings.
	x := tp.Embedding(m.Embed, ids) // (B·T, C)
	if m.PosEmbed != nil {
		x = tp.Add(x, tp.Embedding(m.PosEmbed, pos))
	}
	x = tp.Dropout(x, drop)

	// 2. Pre-norm residual blocks.
	for _, b := range m.Layers {
		a := m.attention(tp, b.Attn, m.norm(tp, x, b.InNorm), B, T, pos,
			opts.Segments)
		x = tp.Add(x, tp.Dropout(a, drop))
		f, l := m.ffn(tp, b, m.norm(tp, x, b.PostNorm), B, T, opts.PadMask)
		x = tp.Add(x, tp.Dropout(f, drop))
		if l != nil {
			if aux == nil {
				aux = l
			} else {
				aux = tp.Add(aux, l)
			}
		}
	}
	return m.norm(tp, x, m.Norm), aux
}

func (m *Model) checkInputs(ids []int32, B, T int, o ForwardOptions) {
	n := B * T
	if len(ids) != n || (o.Positions != nil && len(o.Positions) != n) ||
		(o.Segments != nil && len(o.Segments) != n) ||
		(o.PadMask != nil && len(o.PadMask) != n) {
		panic(fmt.Sprintf("layers: Forward: B=%d, T=%d with %d ids, %d "+
			"positions, %d segments, %d pad flags", B, T, len(ids),
			len(o.Positions), len(o.Segments), len(o.PadMask)))
	}
	for _, id := range ids {
		if id < 0 || int(id) >= m.Cfg.VocabSize {
			panic(fmt.Sprintf("layers: Forward: token %d outside "+
				"vocabulary %d", id, m.Cfg.VocabSize))
		}
	}
}

// head projects hidden states (N, C) to logits (N, V).
func (m *Model) head(tp *ag.Tape, h *ag.Tensor) *ag.Tensor {
	if m.LMHead == nil {
		return tp.Linear(h, m.Embed)
	}
	return tp.Linear(h, m.LMHead)
}

// Loss returns the mean next-token cross-entropy of logits against
// targets (B·T, −1 = ignore) plus the aux loss, and the logits.
func (m *Model) Loss(tp *ag.Tape, ids, targets []int32, B, T int,
	opts ForwardOptions) (loss, logits *ag.Tensor) {
	logits, aux := m.ForwardAux(tp, ids, B, T, opts)
	loss = tp.CrossEntropy(logits, targets)
	if aux != nil {
		loss = tp.Add(loss, aux)
	}
	return loss, logits
}

// norm applies the configured normalisation with weight w.
func (m *Model) norm(tp *ag.Tape, x, w *ag.Tensor) *ag.Tensor {
	eps := float32(m.Cfg.RMSNormEps)
	if m.Cfg.Norm == "layernorm" {
		return tp.LayerNorm(x, w, nil, eps)
	}
	return tp.RMSNorm(x, w, eps)
}

// rotate applies RoPE when positions are rotary, else returns x.
func (m *Model) rotate(tp *ag.Tape, x *ag.Tensor, pos []int32) *ag.Tensor {
	if m.rope == nil {
		return x
	}
	return tp.RoPE(x, m.rope, pos)
}

// attnScale is the softmax scale (qk_nope + qk_rope)^−0.5.
func (m *Model) attnScale() float32 {
	dq := m.Cfg.QKNopeHeadDim + m.Cfg.QKRopeHeadDim
	return float32(1 / math.Sqrt(float64(dq)))
}

// attention runs MLA or MHA over normalised x (B·T, C).
func (m *Model) attention(tp *ag.Tape, a *Attention, x *ag.Tensor,
	B, T int, pos, segs []int32) *ag.Tensor {
	c := m.Cfg
	H, dv := c.NumAttentionHeads, c.VHeadDim
	var q, k, v *ag.Tensor
	if c.Attention == "mla" {
		q, k, v = m.mlaQKV(tp, a, x, pos)
	} else {
		q, k, v = m.mhaQKV(tp, a, x, pos)
	}
	q = tp.Reshape(q, B, T, H, -1)
	k = tp.Reshape(k, B, T, H, -1)
	v = tp.Reshape(v, B, T, H, dv)
	o := tp.Attention(q, k, v, ag.AttnOptions{Scale: m.attnScale(),
		Causal: true, Segments: segs, BTHD: true}) // (B, T, H, dv)
	return tp.Linear(tp.Reshape(o, B*T, H*dv), a.O) // (B·T, C)
}

// query returns MLA's per-head queries (N, H, dq), unrotated.
func (m *Model) query(tp *ag.Tape, a *Attention, x *ag.Tensor) *ag.Tensor {
	var q *ag.Tensor
	if a.QProj != nil {
		q = tp.Linear(x, a.QProj)
	} else {
		q = tp.Linear(m.norm(tp, tp.Linear(x, a.QA), a.QANorm), a.QB)
	}
	return tp.Reshape(q, x.Rows(), m.Cfg.NumAttentionHeads, -1)
}

// mlaQKV returns MLA's q, k (N, H, dq) and v (N, H, dv): the latent c
// is normalised and expanded per head; the rotary part of k is shared.
func (m *Model) mlaQKV(tp *ag.Tape, a *Attention, x *ag.Tensor,
	pos []int32) (q, k, v *ag.Tensor) {
	c := m.Cfg
	N, H := x.Rows(), c.NumAttentionHeads
	dn, dr := c.QKNopeHeadDim, c.QKRopeHeadDim

	// 1. Queries: [q_nope | rotated q_rope] per head.
	qs := tp.Split(m.query(tp, a, x), dn, dr)      // (N, H, dn), (N, H, dr)
	q = tp.Concat(qs[0], m.rotate(tp, qs[1], pos)) // (N, H, dq)

	// 2. Compressed keys/values: latent c (R) and the shared k_rope.
	kv := tp.Split(tp.Linear(x, a.KVA), c.KVLoraRank, dr)
	lat := m.norm(tp, kv[0], a.KVANorm) // (N, R)
	kr := m.rotate(tp, kv[1], pos)      // (N, dr)

	// 3. Up-projection to per-head [k_nope | v]; k_rope repeated per head.
	up := tp.Reshape(tp.Linear(lat, a.KVB), N, H, dn+c.VHeadDim)
	kvs := tp.Split(up, dn, c.VHeadDim)
	krh := tp.Reshape(tp.GatherRows(kr, repeatRows(N, H)), N, H, dr)
	return q, tp.Concat(kvs[0], krh), kvs[1]
}

// mhaQKV returns plain multi-head q, k (N, H, dq) and v (N, H·dv), with
// RoPE over the whole query/key head.
func (m *Model) mhaQKV(tp *ag.Tape, a *Attention, x *ag.Tensor,
	pos []int32) (q, k, v *ag.Tensor) {
	N, H := x.Rows(), m.Cfg.NumAttentionHeads
	q = tp.Reshape(tp.Linear(x, a.QProj), N, H, -1)
	k = tp.Reshape(tp.Linear(x, a.K), N, H, -1)
	return m.rotate(tp, q, pos), m.rotate(tp, k, pos), tp.Linear(x, a.V)
}

// repeatRows returns 0,…,0, 1,…,1, …: each of n rows h times.
func repeatRows(n, h int) []int32 {
	idx := make([]int32, n*h)
	for i := range idx {
		idx[i] = int32(i / h)
	}
	return idx
}

// ffn runs the block's dense MLP or MoE; aux may be nil.
func (m *Model) ffn(tp *ag.Tape, b *Block, x *ag.Tensor, B, T int,
	pad []bool) (y, aux *ag.Tensor) {
	if b.MLP != nil {
		return b.MLP.forward(tp, x), nil
	}
	return b.MoE.forward(tp, m.Cfg, x, B, T, pad)
}

// forward is down(silu(gate(x))·up(x)), or down(gelu(up(x))).
func (f *MLP) forward(tp *ag.Tape, x *ag.Tensor) *ag.Tensor {
	if f.Gate == nil {
		return tp.Linear(tp.GELU(tp.Linear(x, f.Up)), f.Down)
	}
	return tp.Linear(tp.SwiGLU(tp.Linear(x, f.Gate), tp.Linear(x, f.Up)),
		f.Down)
}
