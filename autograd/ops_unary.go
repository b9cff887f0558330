package autograd

import (
	"math"

	"github.com/tinyseek/tinyseek/autograd/kernels"
)

// unary applies f elementwise. df returns dy/dx from the input x and the
// output y, whichever is cheaper to use.
func (tp *Tape) unary(a *Tensor, f func(x float32) float32,
	df func(x, y float32) float32) *Tensor {
	out := tp.newTensor(a.Shape...)
	for i, x := range a.Data {
		out.Data[i] = f(x)
	}
	if tp.needs(a) {
		tp.push(out, func() {
			da := tp.gradOf(a)
			for i, g := range out.Grad {
				da[i] += g * df(a.Data[i], out.Data[i])
			}
		})
	}
	return out
}

// Scale returns s·a.
func (tp *Tape) Scale(a *Tensor, s float32) *Tensor {
	return tp.unary(a, func(x float32) float32 { return s * x },
		func(_, _ float32) float32 { return s })
}

// AddScalar returns a + s.
func (tp *Tape) AddScalar(a *Tensor, s float32) *Tensor {
	return tp.unary(a, func(x float32) float32 { return x + s },
		func(_, _ float32) float32 { return 1 })
}

// Neg returns −a.
func (tp *Tape) Neg(a *Tensor) *Tensor { return tp.Scale(a, -1) }

// Exp returns eᵃ, through the vectorised kernel.
func (tp *Tape) Exp(a *Tensor) *Tensor {
	out := tp.newTensor(a.Shape...)
	kernels.ExpTo(out.Data, a.Data)
	if tp.needs(a) {
		tp.push(out, func() {
			da := tp.gradOf(a)
			for i, g := range out.Grad {
				da[i] += g * out.Data[i]
			}
		})
	}
	return out
}

// Log returns ln a.
func (tp *Tape) Log(a *Tensor) *Tensor {
	return tp.unary(a, func(x float32) float32 {
		return float32(math.Log(float64(x)))
	}, func(x, _ float32) float32 { return 1 / x })
}

// Sqrt returns √a.
func (tp *Tape) Sqrt(a *Tensor) *Tensor {
	return tp.unary(a, func(x float32) float32 {
		return float32(math.Sqrt(float64(x)))
	}, func(_, y float32) float32 { return 0.5 / y })
}

// Rsqrt returns 1/√a.
func (tp *Tape) Rsqrt(a *Tensor) *Tensor {
	return tp.unary(a, func(x float32) float32 {
		return float32(1 / math.Sqrt(float64(x)))
	}, func(x, y float32) float32 { return -0.5 * y / x })
}

// Tanh returns tanh a.
func (tp *Tape) Tanh(a *Tensor) *Tensor {
	return tp.unary(a, func(x float32) float32 {
		return float32(math.Tanh(float64(x)))
	}, func(_, y float32) float32 { return 1 - y*y })
}

// Sigmoid returns σ(a) = 1/(1+e⁻ᵃ), through the vector kernel.
func (tp *Tape) Sigmoid(a *Tensor) *Tensor {
	out := tp.newTensor(a.Shape...)
	kernels.SigmoidTo(out.Data, a.Data)
	if tp.needs(a) {
		tp.push(out, func() {
			da := tp.gradOf(a)
			for i, g := range out.Grad {
				y := out.Data[i]
				da[i] += g * (y * (1 - y))
			}
		})
	}
	return out
}

// Clamp limits a to [lo, hi]; the gradient is zero where it clipped.
func (tp *Tape) Clamp(a *Tensor, lo, hi float32) *Tensor {
	return tp.unary(a, func(x float32) float32 {
		return min(max(x, lo), hi)
	}, func(x, _ float32) float32 {
		if x < lo || x > hi {
			return 0
		}
		return 1
	})
}

// SiLU returns a·σ(a); σ(a) is kept for backward.
func (tp *Tape) SiLU(a *Tensor) *Tensor {
	out := tp.newTensor(a.Shape...)
	sig := tp.alloc(a.Size())
	kernels.SigmoidTo(sig, a.Data)
	for i, x := range a.Data {
		out.Data[i] = x * sig[i]
	}
	if tp.needs(a) {
		tp.push(out, func() {
			da := tp.gradOf(a)
			for i, g := range out.Grad {
				x, s := a.Data[i], sig[i]
				da[i] += g * s * (1 + x*(1-s))
			}
		})
	}
	return out
}

// GELU is the tanh approximation 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))),
// as in GPT-2.
func (tp *Tape) GELU(a *Tensor) *Tensor {
	const k = 0.7978845608028654 // √(2/π)
	return tp.unary(a, func(x float32) float32 {
		u := k * (float64(x) + 0.044715*float64(x*x*x))
		return float32(0.5 * float64(x) * (1 + math.Tanh(u)))
	}, func(x, _ float32) float32 {
		xf := float64(x)
		u := k * (xf + 0.044715*xf*xf*xf)
		t := math.Tanh(u)
		du := k * (1 + 3*0.044715*xf*xf)
		return float32(0.5*(1+t) + 0.5*xf*(1-t*t)*du)
	})
}

// SwiGLU returns silu(a)·b, the gated unit of DeepSeek's MLPs, fused so
// the silu output is never stored; σ(a) is kept for backward.
func (tp *Tape) SwiGLU(a, b *Tensor) *Tensor {
	if !sameShape(a.Shape, b.Shape) {
		panic("autograd: SwiGLU: shapes " + shapeStr(a) + " and " +
			shapeStr(b) + " differ")
	}
	out := tp.newTensor(a.Shape...)
	rec := tp.needs(a, b)
	var sig []float32
	if rec {
		sig = tp.alloc(a.Size())
	}
	kernels.SwiGLUForward(out.Data, sig, a.Data, b.Data)
	if rec {
		tp.push(out, func() {
			swigluBack(tp, a, b, sig, out.Grad)
		})
	}
	return out
}

// swigluBack: with s = σ(a), d silu(a)/da = s·(1 + a·(1−s)).
func swigluBack(tp *Tape, a, b *Tensor, sig, dout []float32) {
	var da, db []float32
	if a.requiresGrad {
		da = tp.gradOf(a)
	}
	if b.requiresGrad {
		db = tp.gradOf(b)
	}
	kernels.SwiGLUBackward(da, db, dout, a.Data, b.Data, sig)
}
