package kernels

import "math"

// Axpy adds alpha·x to y: y[i] += alpha·x[i]. It panics if the lengths
// differ.
func Axpy(y []float32, alpha float32, x []float32) {
	if len(x) != len(y) {
		panic("kernels: Axpy length mismatch")
	}
	if len(y) == 0 || alpha == 0 {
		return
	}
	axpy(y, alpha, x)
}

// Dot returns Σ x[i]·y[i], accumulated in several float32 lanes. It
// panics if the lengths differ.
func Dot(x, y []float32) float32 {
	if len(x) != len(y) {
		panic("kernels: Dot length mismatch")
	}
	if len(x) == 0 {
		return 0
	}
	return dot(x, y)
}

// Scale multiplies x by alpha in place.
func Scale(x []float32, alpha float32) {
	if len(x) == 0 {
		return
	}
	scale(x, alpha)
}

// SumSquares returns Σ x[i]², accumulated in float64 so that gradient
// norms over millions of parameters do not lose their small terms.
func SumSquares(x []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		s0 += float64(v[0]) * float64(v[0])
		s1 += float64(v[1]) * float64(v[1])
		s2 += float64(v[2]) * float64(v[2])
		s3 += float64(v[3]) * float64(v[3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i]) * float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// AdamW does one AdamW step in place over a parameter slice p with
// gradient g and moments m, v (Loshchilov & Hutter, decoupled weight
// decay). bc1 = 1−beta1^t and bc2 = 1−beta2^t are the bias corrections
// of step t, computed once per step by the caller:
//
//	p -= lr·wd·p
//	m  = beta1·m + (1−beta1)·g
//	v  = beta2·v + (1−beta2)·g²
//	p -= lr·(m/bc1) / (sqrt(v/bc2) + eps)
//
// It panics if the four slices differ in length.
func AdamW(p, g, m, v []float32, lr, beta1, beta2, eps, wd,
	bc1, bc2 float32) {
	n := len(p)
	if len(g) != n || len(m) != n || len(v) != n {
		panic("kernels: AdamW length mismatch")
	}
	g, m, v = g[:n], m[:n], v[:n]
	decay := 1 - lr*wd
	c1, c2 := 1-beta1, 1-beta2
	stepSize := lr / bc1
	invBC2 := 1 / bc2
	for i := range p {
		gi := g[i]
		mi := beta1*m[i] + c1*gi
		vi := beta2*v[i] + c2*gi*gi
		m[i], v[i] = mi, vi
		den := float32(math.Sqrt(float64(vi*invBC2))) + eps
		p[i] = p[i]*decay - stepSize*mi/den
	}
}

// axpyGo, dotGo and scaleGo are the portable loops, unrolled by four.
func axpyGo(y []float32, alpha float32, x []float32) {
	x = x[:len(y)]
	i := 0
	for ; i+4 <= len(y); i += 4 {
		yv, xv := y[i:i+4:i+4], x[i:i+4:i+4]
		yv[0] += alpha * xv[0]
		yv[1] += alpha * xv[1]
		yv[2] += alpha * xv[2]
		yv[3] += alpha * xv[3]
	}
	for ; i < len(y); i++ {
		y[i] += alpha * x[i]
	}
}

func dotGo(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		xv, yv := x[i:i+4:i+4], y[i:i+4:i+4]
		s0 += xv[0] * yv[0]
		s1 += xv[1] * yv[1]
		s2 += xv[2] * yv[2]
		s3 += xv[3] * yv[3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func scaleGo(x []float32, alpha float32) {
	for i := range x {
		x[i] *= alpha
	}
}
