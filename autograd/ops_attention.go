package autograd

import (
	"fmt"
	"math"

	"github.com/tinyseek/tinyseek/autograd/kernels"
)

// AttnOptions configures Attention.
type AttnOptions struct {
	// Scale multiplies q·k before the softmax; 0 means 1/√Dqk.
	Scale float32

	// Causal hides keys after the query: query i (absolute position
	// Offset+i) sees keys 0..Offset+i.
	Causal bool

	// Offset is the absolute position of the first query, for decoding
	// with cached keys (keys start at position 0).
	Offset int

	// Segments, if set, holds one id per (batch, key) position
	// (length B·Tk, Tq = Tk): a query sees only keys of its own segment.
	// Packed SFT sequences use it for a block-diagonal causal mask.
	Segments []int32

	// BTHD says q, k and v are laid out (B, T, H, D) instead of
	// (B, H, T, D). Projections produce that layout, so it spares two
	// transposes; the output then is (B, Tq, H, Dv) too.
	BTHD bool
}

// attnGeom describes where one (b, h) slice of q, k, v and the output
// starts and how far apart its rows are.
type attnGeom struct {
	B, H, Tq, Tk, Dk, Dv int
	bthd                 bool
}

// off returns the start of (b, h) and the row stride for width d over
// t rows.
func (g attnGeom) off(b, h, t, d int) (start, ld int) {
	if g.bthd {
		return b*t*g.H*d + h*d, g.H * d
	}
	return (b*g.H + h) * t * d, d
}

// Attention is fused scaled-dot-product attention: softmax(q·kᵀ·scale
// + mask)·v. q is (B, H, Tq, Dk), k (B, H, Tk, Dk), v (B, H, Tk, Dv):
// the query/key width may differ from the value width, as MLA needs.
// The attention weights (B, H, Tq, Tk) are kept for backward.
func (tp *Tape) Attention(q, k, v *Tensor, o AttnOptions) *Tensor {
	g := attnShape(q, k, v, o)
	scale := o.Scale
	if scale == 0 {
		scale = float32(1 / math.Sqrt(float64(g.Dk)))
	}
	oshape := []int{g.B, g.H, g.Tq, g.Dv}
	if g.bthd {
		oshape = []int{g.B, g.Tq, g.H, g.Dv}
	}
	out := tp.newTensor(oshape...)
	probs := tp.alloc(g.B * g.H * g.Tq * g.Tk)

	// 1. Per (b, h): S = q·kᵀ·scale, masked softmax, O = P·v.
	for b := 0; b < g.B; b++ {
		for h := 0; h < g.H; h++ {
			p := probs[(b*g.H+h)*g.Tq*g.Tk:][:g.Tq*g.Tk]
			qs, ldq := g.off(b, h, g.Tq, g.Dk)
			ks, ldk := g.off(b, h, g.Tk, g.Dk)
			vs, ldv := g.off(b, h, g.Tk, g.Dv)
			os, ldo := g.off(b, h, g.Tq, g.Dv)
			kernels.Gemm(false, true, g.Tq, g.Tk, g.Dk, scale,
				q.Data[qs:], ldq, k.Data[ks:], ldk, 0, p, g.Tk)
			maskedSoftmax(p, g, b, o)
			kernels.Gemm(false, false, g.Tq, g.Dv, g.Tk, 1, p, g.Tk,
				v.Data[vs:], ldv, 0, out.Data[os:], ldo)
		}
	}

	if tp.needs(q, k, v) {
		tp.push(out, func() {
			attentionBack(tp, q, k, v, out, probs, g, scale)
		})
	}
	return out
}

func attnShape(q, k, v *Tensor, o AttnOptions) attnGeom {
	if len(q.Shape) != 4 || len(k.Shape) != 4 || len(v.Shape) != 4 {
		panic(fmt.Sprintf("autograd: Attention: q %v, k %v, v %v must "+
			"be 4-D", q.Shape, k.Shape, v.Shape))
	}
	g := attnGeom{B: q.Shape[0], H: q.Shape[1], Tq: q.Shape[2],
		Tk: k.Shape[2], Dk: q.Shape[3], Dv: v.Shape[3], bthd: o.BTHD}
	if o.BTHD {
		g.H, g.Tq, g.Tk = q.Shape[2], q.Shape[1], k.Shape[1]
	}
	want := []int{g.B, g.H, g.Tk, g.Dk}
	wantV := []int{g.B, g.H, g.Tk, g.Dv}
	if o.BTHD {
		want = []int{g.B, g.Tk, g.H, g.Dk}
		wantV = []int{g.B, g.Tk, g.H, g.Dv}
	}
	if !sameShape(k.Shape, want) || !sameShape(v.Shape, wantV) {
		panic(fmt.Sprintf("autograd: Attention: q %v, k %v, v %v do "+
			"not match", q.Shape, k.Shape, v.Shape))
	}
	if o.Segments != nil && (len(o.Segments) != g.B*g.Tk || g.Tq != g.Tk) {
		panic(fmt.Sprintf("autograd: Attention: %d segment ids for "+
			"B=%d, Tq=%d, Tk=%d", len(o.Segments), g.B, g.Tq, g.Tk))
	}
	return g
}

// maskedSoftmax turns the (Tq, Tk) scores of batch row b into
// attention weights in place, zeroing hidden keys.
func maskedSoftmax(p []float32, g attnGeom, b int, o AttnOptions) {
	for i := 0; i < g.Tq; i++ {
		row := p[i*g.Tk : (i+1)*g.Tk]
		n := g.Tk
		if o.Causal {
			n = min(g.Tk, o.Offset+i+1)
		}
		if o.Segments != nil {
			seg := o.Segments[b*g.Tk:]
			for j := 0; j < n; j++ {
				if seg[j] != seg[i] {
					row[j] = float32(math.Inf(-1))
				}
			}
		}
		softmaxRow(row[:n], row[:n])
		clear(row[n:])
	}
}

func attentionBack(tp *Tape, q, k, v, out *Tensor, probs []float32,
	g attnGeom, scale float32) {
	ds := tp.alloc(g.Tq * g.Tk)
	var dq, dk, dv []float32
	if q.requiresGrad {
		dq = tp.gradOf(q)
	}
	if k.requiresGrad {
		dk = tp.gradOf(k)
	}
	if v.requiresGrad {
		dv = tp.gradOf(v)
	}
	for b := 0; b < g.B; b++ {
		for h := 0; h < g.H; h++ {
			p := probs[(b*g.H+h)*g.Tq*g.Tk:][:g.Tq*g.Tk]
			qs, ldq := g.off(b, h, g.Tq, g.Dk)
			ks, ldk := g.off(b, h, g.Tk, g.Dk)
			vs, ldv := g.off(b, h, g.Tk, g.Dv)
			os, ldo := g.off(b, h, g.Tq, g.Dv)
			do := out.Grad[os:]

			// 3. O = P·v: dv += Pᵀ·dO; dP = dO·vᵀ.
			if dv != nil {
				kernels.Gemm(true, false, g.Tk, g.Dv, g.Tq, 1, p, g.Tk,
					do, ldo, 1, dv[vs:], ldv)
			}
			kernels.Gemm(false, true, g.Tq, g.Tk, g.Dv, 1, do, ldo,
				v.Data[vs:], ldv, 0, ds, g.Tk)

			// 2. Softmax: dS = P ⊙ (dP − Σ dP·P)·scale.
			for i := 0; i < g.Tq; i++ {
				pr, dr := p[i*g.Tk:(i+1)*g.Tk], ds[i*g.Tk:(i+1)*g.Tk]
				var dot float32
				for j, pv := range pr {
					dot += pv * dr[j]
				}
				for j, pv := range pr {
					dr[j] = pv * (dr[j] - dot) * scale
				}
			}

			// 1. S = q·kᵀ: dq += dS·k; dk += dSᵀ·q.
			if dq != nil {
				kernels.Gemm(false, false, g.Tq, g.Dk, g.Tk, 1, ds, g.Tk,
					k.Data[ks:], ldk, 1, dq[qs:], ldq)
			}
			if dk != nil {
				kernels.Gemm(true, false, g.Tk, g.Dk, g.Tq, 1, ds, g.Tk,
					q.Data[qs:], ldq, 1, dk[ks:], ldk)
			}
		}
	}
}
