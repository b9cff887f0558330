package layers

import (
	"fmt"
	"math"

	ag "github.com/tinyseek/tinyseek/autograd"
	"github.com/tinyseek/tinyseek/autograd/kernels"
)

// Cache holds the keys and values of the tokens decoded so far, per
// layer, for B sequences of at most MaxT tokens that advance together.
// For MLA it keeps only the normalised latent c (R) and the rotated
// k_rope (dr) per token; for MHA the full per-head K and V.
type Cache struct {
	B, MaxT int
	Len     int // tokens cached per sequence

	lat, kr [][]float32 // MLA, per layer: (B, MaxT, R), (B, MaxT, dr)
	k, v    [][]float32 // MHA, per layer: (B, MaxT, H·dq), (B, MaxT, H·dv)
}

// NewCache returns an empty cache for B sequences of up to maxT tokens.
func (m *Model) NewCache(B, maxT int) *Cache {
	c := m.Cfg
	if maxT > c.MaxPositionEmbeddings {
		maxT = c.MaxPositionEmbeddings
	}
	ca := &Cache{B: B, MaxT: maxT}
	H, dq := c.NumAttentionHeads, c.QKNopeHeadDim+c.QKRopeHeadDim
	for range m.Layers {
		if c.Attention == "mla" {
			ca.lat = append(ca.lat, make([]float32, B*maxT*c.KVLoraRank))
			ca.kr = append(ca.kr, make([]float32, B*maxT*c.QKRopeHeadDim))
		} else {
			ca.k = append(ca.k, make([]float32, B*maxT*H*dq))
			ca.v = append(ca.v, make([]float32, B*maxT*H*c.VHeadDim))
		}
	}
	return ca
}

// CacheBytesPerToken is the cache memory one token of one sequence
// takes over all layers: 4·L·(R + dr) for MLA, 4·L·H·(dq + dv) for MHA.
func (m *Model) CacheBytesPerToken() int {
	c := m.Cfg
	per := c.KVLoraRank + c.QKRopeHeadDim
	if c.Attention == "mha" {
		per = c.NumAttentionHeads *
			(c.QKNopeHeadDim + c.QKRopeHeadDim + c.VHeadDim)
	}
	return 4 * c.NumHiddenLayers * per
}

// Step feeds Tn = len(ids)/B new tokens per sequence (ids row-major
// (B, Tn)) at positions Len…Len+Tn−1, appends them to the cache and
// returns their logits (B·Tn, V). It runs on an inference tape in eval
// mode. It panics when the cache would overflow.
func (m *Model) Step(ca *Cache, ids []int32) []float32 {
	B := ca.B
	Tn := len(ids) / B
	if Tn*B != len(ids) || Tn == 0 || ca.Len+Tn > ca.MaxT {
		panic(fmt.Sprintf("layers: Step: %d ids for B=%d with %d of %d "+
			"positions used", len(ids), B, ca.Len, ca.MaxT))
	}
	tp := ag.NewInference()
	pos := ag.Positions(B, Tn, ca.Len)
	m.checkInputs(ids, B, Tn, ForwardOptions{Positions: pos})

	x := tp.Embedding(m.Embed, ids) // (B·Tn, C)
	if m.PosEmbed != nil {
		x = tp.Add(x, tp.Embedding(m.PosEmbed, pos))
	}
	for l, b := range m.Layers {
		h := m.norm(tp, x, b.InNorm)
		x = tp.Add(x, m.cachedAttention(tp, l, b.Attn, h, ca, Tn, pos))
		f, _ := m.ffn(tp, b, m.norm(tp, x, b.PostNorm), B, Tn, nil)
		x = tp.Add(x, f)
	}
	ca.Len += Tn
	return m.head(tp, m.norm(tp, x, m.Norm)).Data
}

// cachedAttention appends the new tokens' keys to layer l's cache and
// attends from their queries to every cached key. x is (B·Tn, C).
func (m *Model) cachedAttention(tp *ag.Tape, l int, a *Attention,
	x *ag.Tensor, ca *Cache, Tn int, pos []int32) *ag.Tensor {
	c := m.Cfg
	N, H, dv := x.Rows(), c.NumAttentionHeads, c.VHeadDim
	out := make([]float32, N*H*dv) // (B, Tn, H, dv)
	if c.Attention == "mla" {
		m.mlaCached(tp, l, a, x, ca, Tn, pos, out)
	} else {
		m.mhaCached(tp, l, a, x, ca, Tn, pos, out)
	}
	return tp.Linear(ag.New(out, N, H*dv), a.O)
}

// mlaCached is MLA with the up-projections absorbed: per head, the
// query moves into latent space (q_nope·W_uk), scores are q_lat·c +
// q_rope·k_rope, and the output (P·c)·W_uvᵀ leaves it.
func (m *Model) mlaCached(tp *ag.Tape, l int, a *Attention, x *ag.Tensor,
	ca *Cache, Tn int, pos []int32, out []float32) {
	c := m.Cfg
	H, R, dv := c.NumAttentionHeads, c.KVLoraRank, c.VHeadDim
	dn, dr := c.QKNopeHeadDim, c.QKRopeHeadDim
	qs := tp.Split(m.query(tp, a, x), dn, dr)
	qn, qr := qs[0], m.rotate(tp, qs[1], pos) // (N, H, dn), (N, H, dr)
	kv := tp.Split(tp.Linear(x, a.KVA), R, dr)
	ca.append(ca.lat[l], m.norm(tp, kv[0], a.KVANorm).Data, R, Tn)
	ca.append(ca.kr[l], m.rotate(tp, kv[1], pos).Data, dr, Tn)

	Lk, W := ca.Len+Tn, a.KVB.Data // W (H·(dn+dv), R)
	qlat, olat := make([]float32, Tn*R), make([]float32, Tn*R)
	s := make([]float32, Tn*Lk)
	scale := m.attnScale()
	for b := 0; b < ca.B; b++ {
		lat, kr := ca.lat[l][b*ca.MaxT*R:], ca.kr[l][b*ca.MaxT*dr:]
		for h := 0; h < H; h++ {
			wuk := W[h*(dn+dv)*R:]      // (dn, R)
			wuv := W[(h*(dn+dv)+dn)*R:] // (dv, R)
			q0 := b*Tn*H + h
			kernels.Gemm(false, false, Tn, R, dn, 1, qn.Data[q0*dn:],
				H*dn, wuk, R, 0, qlat, R)
			kernels.Gemm(false, true, Tn, Lk, R, scale, qlat, R, lat, R,
				0, s, Lk)
			kernels.Gemm(false, true, Tn, Lk, dr, scale, qr.Data[q0*dr:],
				H*dr, kr, dr, 1, s, Lk)
			causalSoftmax(s, Tn, Lk, ca.Len)
			kernels.Gemm(false, false, Tn, R, Lk, 1, s, Lk, lat, R, 0,
				olat, R)
			kernels.Gemm(false, true, Tn, dv, R, 1, olat, R, wuv, R, 0,
				out[q0*dv:], H*dv)
		}
	}
}

// mhaCached is plain multi-head attention over cached K and V.
func (m *Model) mhaCached(tp *ag.Tape, l int, a *Attention, x *ag.Tensor,
	ca *Cache, Tn int, pos []int32, out []float32) {
	c := m.Cfg
	H, dv := c.NumAttentionHeads, c.VHeadDim
	dq := c.QKNopeHeadDim + c.QKRopeHeadDim
	q, k, v := m.mhaQKV(tp, a, x, pos)
	ca.append(ca.k[l], k.Data, H*dq, Tn)
	ca.append(ca.v[l], v.Data, H*dv, Tn)

	Lk := ca.Len + Tn
	s := make([]float32, Tn*Lk)
	scale := m.attnScale()
	for b := 0; b < ca.B; b++ {
		ks, vs := ca.k[l][b*ca.MaxT*H*dq:], ca.v[l][b*ca.MaxT*H*dv:]
		for h := 0; h < H; h++ {
			q0 := b*Tn*H + h
			kernels.Gemm(false, true, Tn, Lk, dq, scale, q.Data[q0*dq:],
				H*dq, ks[h*dq:], H*dq, 0, s, Lk)
			causalSoftmax(s, Tn, Lk, ca.Len)
			kernels.Gemm(false, false, Tn, dv, Lk, 1, s, Lk, vs[h*dv:],
				H*dv, 0, out[q0*dv:], H*dv)
		}
	}
}

// append copies Tn new rows of width w per sequence (src (B, Tn, w))
// after the Len cached rows of dst (B, MaxT, w).
func (ca *Cache) append(dst, src []float32, w, Tn int) {
	for b := 0; b < ca.B; b++ {
		copy(dst[(b*ca.MaxT+ca.Len)*w:(b*ca.MaxT+ca.Len+Tn)*w],
			src[b*Tn*w:(b+1)*Tn*w])
	}
}

// causalSoftmax turns scores s (Tn, Lk) into weights in place: query t,
// at position off+t, sees keys 0…off+t.
func causalSoftmax(s []float32, Tn, Lk, off int) {
	for t := 0; t < Tn; t++ {
		row := s[t*Lk : (t+1)*Lk]
		n := off + t + 1
		mx := float32(math.Inf(-1))
		for _, v := range row[:n] {
			mx = max(mx, v)
		}
		var sum float32
		for j, v := range row[:n] {
			e := float32(math.Exp(float64(v - mx)))
			row[j] = e
			sum += e
		}
		for j := range row[:n] {
			row[j] /= sum
		}
		clear(row[n:])
	}
}
