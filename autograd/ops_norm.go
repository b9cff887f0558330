package autograd

import (
	"fmt"
	"math"

	"github.com/tinyseek/tinyseek/autograd/kernels"
)

// RMSNorm returns x · rsqrt(mean(x²) + eps) · w over the last axis, in
// float32 as DeepSeek does. x is (..., C), w is (C). An all-zero row
// gives zeros, not NaN, as long as eps > 0.
func (tp *Tape) RMSNorm(x, w *Tensor, eps float32) *Tensor {
	c := x.Cols()
	if w.Size() != c {
		panic(fmt.Sprintf("autograd: RMSNorm: x %v, weight %v", x.Shape,
			w.Shape))
	}
	out := tp.newTensor(x.Shape...)
	rs := tp.alloc(x.Rows())

	// 1. Per row: r = 1/√(mean x² + eps); y = x·r·w.
	for i := range rs {
		rs[i] = kernels.RMSNormForward(out.Data[i*c:(i+1)*c],
			x.Data[i*c:(i+1)*c], w.Data, eps)
	}

	if tp.needs(x, w) {
		tp.push(out, func() { rmsNormBack(tp, x, w, out.Grad, rs) })
	}
	return out
}

func rmsNormBack(tp *Tape, x, w *Tensor, dy, rs []float32) {
	c := x.Cols()
	var dx, dw []float32
	if x.requiresGrad {
		dx = tp.gradOf(x)
	}
	if w.requiresGrad {
		dw = tp.gradOf(w)
	}
	// dw += dy·x·r; dx += r·(dy·w) − x·r³/C·Σ(dy·w·x), row by row.
	for i, r := range rs {
		var dxr []float32
		if dx != nil {
			dxr = dx[i*c : (i+1)*c]
		}
		kernels.RMSNormBackward(dxr, dw, dy[i*c:(i+1)*c],
			x.Data[i*c:(i+1)*c], w.Data, r)
	}
}

// LayerNorm returns (x − mean)/√(var + eps) · w + b over the last axis;
// b may be nil.
func (tp *Tape) LayerNorm(x, w, b *Tensor, eps float32) *Tensor {
	c := x.Cols()
	if w.Size() != c || (b != nil && b.Size() != c) {
		panic(fmt.Sprintf("autograd: LayerNorm: x %v, weight %v", x.Shape,
			w.Shape))
	}
	out := tp.newTensor(x.Shape...)
	n := x.Rows()
	xhat := tp.alloc(x.Size())
	rs := tp.alloc(n)

	// 1. Per row: normalise, keep x̂ and 1/σ for backward, scale, shift.
	for i := 0; i < n; i++ {
		xr := x.Data[i*c : (i+1)*c]
		var mu, vr float32
		for _, v := range xr {
			mu += v
		}
		mu /= float32(c)
		for _, v := range xr {
			vr += (v - mu) * (v - mu)
		}
		r := float32(1 / math.Sqrt(float64(vr/float32(c)+eps)))
		rs[i] = r
		for j, v := range xr {
			h := (v - mu) * r
			xhat[i*c+j] = h
			y := h * w.Data[j]
			if b != nil {
				y += b.Data[j]
			}
			out.Data[i*c+j] = y
		}
	}

	if tp.needs(x, w, b) {
		tp.push(out, func() {
			layerNormBack(tp, x, w, b, out.Grad, xhat, rs)
		})
	}
	return out
}

func layerNormBack(tp *Tape, x, w, b *Tensor, dy, xhat, rs []float32) {
	c := x.Cols()
	for i, r := range rs {
		g, h := dy[i*c:(i+1)*c], xhat[i*c:(i+1)*c]

		// 1. dw += dy·x̂, db += dy.
		if w.requiresGrad {
			dw := tp.gradOf(w)
			for j := range g {
				dw[j] += g[j] * h[j]
			}
		}
		if b != nil && b.requiresGrad {
			axpy(tp.gradOf(b), 1, g)
		}

		// 2. dx = r·(ĝ − mean ĝ − x̂·mean(ĝ·x̂)) with ĝ = dy·w.
		if x.requiresGrad {
			var m1, m2 float32
			for j := range g {
				gh := g[j] * w.Data[j]
				m1 += gh
				m2 += gh * h[j]
			}
			m1 /= float32(c)
			m2 /= float32(c)
			dx := tp.gradOf(x)[i*c : (i+1)*c]
			for j := range g {
				dx[j] += r * (g[j]*w.Data[j] - m1 - h[j]*m2)
			}
		}
	}
}
