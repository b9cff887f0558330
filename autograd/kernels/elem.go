package kernels

import "math"

// SwiGLUBackward adds the gradients of out = a·σ(a)·b into da and db,
// given dout and sig = σ(a) from the forward pass:
//
//	da[i] += dout[i]·b[i]·s·(1 + a[i]·(1−s))   (s = sig[i])
//	db[i] += dout[i]·a[i]·s
//
// Either of da, db may be nil. It panics if the lengths differ.
func SwiGLUBackward(da, db, dout, a, b, sig []float32) {
	n := len(dout)
	if len(a) != n || len(b) != n || len(sig) != n ||
		(da != nil && len(da) != n) || (db != nil && len(db) != n) {
		panic("kernels: SwiGLUBackward length mismatch")
	}
	if n == 0 || (da == nil && db == nil) {
		return
	}
	if da != nil && db != nil {
		swigluBackward(da, db, dout, a, b, sig)
		return
	}

	// One gradient only: the other goes to an L1 scratch and is dropped.
	var buf [512]float32
	for i := 0; i < n; i += len(buf) {
		j := min(n, i+len(buf))
		s := buf[:j-i]
		clear(s)
		if da != nil {
			swigluBackward(da[i:j], s, dout[i:j], a[i:j], b[i:j], sig[i:j])
		} else {
			swigluBackward(s, db[i:j], dout[i:j], a[i:j], b[i:j], sig[i:j])
		}
	}
}

// RMSNormForward normalises one row: with r = 1/√(Σx²/len(x) + eps) it
// writes y[i] = x[i]·r·w[i] and returns r for the backward pass. It
// panics if the lengths differ.
func RMSNormForward(y, x, w []float32, eps float32) float32 {
	if len(y) != len(x) || len(w) != len(x) {
		panic("kernels: RMSNormForward length mismatch")
	}
	if len(x) == 0 {
		return float32(1 / math.Sqrt(float64(eps)))
	}
	ss := dot(x, x)
	r := float32(1 / math.Sqrt(float64(ss/float32(len(x))+eps)))
	mulScale(y, x, w, r)
	return r
}

// RMSNormBackward adds the gradients of one RMSNormForward row into dx
// and dw (either may be nil), from dy, the row x, the weight w and the
// r that forward returned:
//
//	dw[i] += dy[i]·x[i]·r
//	dx[i] += r·dy[i]·w[i] − x[i]·r³/C·Σⱼ dy[j]·w[j]·x[j]
//
// It panics if the lengths differ.
func RMSNormBackward(dx, dw, dy, x, w []float32, r float32) {
	c := len(x)
	if len(dy) != c || len(w) != c || (dx != nil && len(dx) != c) ||
		(dw != nil && len(dw) != c) {
		panic("kernels: RMSNormBackward length mismatch")
	}
	if c == 0 {
		return
	}
	if dw != nil {
		rmsBackDW(dw, dy, x, r)
	}
	if dx != nil {
		s := dot3(dy, w, x)
		k := r * r * r * s / float32(c)
		rmsBackDX(dx, dy, x, w, r, k)
	}
}

// Portable loops, also used for the tails of the AVX2 ones.
func swigluBackwardGo(da, db, dout, a, b, sig []float32) {
	n := len(dout)
	da, db, a, b, sig = da[:n], db[:n], a[:n], b[:n], sig[:n]
	for i, g := range dout {
		x, s := a[i], sig[i]
		da[i] += g * b[i] * s * (1 + x*(1-s))
		db[i] += g * x * s
	}
}

func mulScaleGo(y, x, w []float32, r float32) {
	y, w = y[:len(x)], w[:len(x)]
	for i, v := range x {
		y[i] = v * r * w[i]
	}
}

func rmsBackDWGo(dw, dy, x []float32, r float32) {
	dy, x = dy[:len(dw)], x[:len(dw)]
	for i := range dw {
		dw[i] += dy[i] * x[i] * r
	}
}

func dot3Go(a, b, c []float32) float32 {
	b, c = b[:len(a)], c[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i] * c[i]
		s1 += a[i+1] * b[i+1] * c[i+1]
		s2 += a[i+2] * b[i+2] * c[i+2]
		s3 += a[i+3] * b[i+3] * c[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i] * c[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func rmsBackDXGo(dx, dy, x, w []float32, r, k float32) {
	dy, x, w = dy[:len(dx)], x[:len(dx)], w[:len(dx)]
	for i := range dx {
		dx[i] += r*dy[i]*w[i] - k*x[i]
	}
}

// adamwGo is the AdamW loop, with the hyper-parameters pre-combined in
// the order adamwAVX2 reads them.
func adamwGo(p, g, m, v []float32, h *adamwParams) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for i := range p {
		gi := g[i]
		mi := h.beta1*m[i] + h.c1*gi
		vi := h.beta2*v[i] + h.c2*gi*gi
		m[i], v[i] = mi, vi
		den := float32(math.Sqrt(float64(vi*h.invBC2))) + h.eps
		p[i] = p[i]*h.decay - h.stepSize*mi/den
	}
}

// adamwParams is AdamW's per-step constants, laid out for the assembly
// (eight float32 at fixed offsets).
type adamwParams struct {
	beta1, c1, beta2, c2, invBC2, eps, decay, stepSize float32
}

// AdamWVector is AdamW with the loop in AVX2 where the CPU has it (8
// lanes, no FMA, an IEEE square root), so that it returns the same bits
// as AdamW, whose float32(math.Sqrt(float64(·))) is also correctly
// rounded, as long as Go does not fuse AdamW's multiply-adds (it does
// not below GOAMD64=v3). Same arguments and panics as AdamW.
func AdamWVector(p, g, m, v []float32, lr, beta1, beta2, eps, wd,
	bc1, bc2 float32) {
	n := len(p)
	if len(g) != n || len(m) != n || len(v) != n {
		panic("kernels: AdamWVector length mismatch")
	}
	if n == 0 {
		return
	}
	h := adamwParams{beta1: beta1, c1: 1 - beta1, beta2: beta2,
		c2: 1 - beta2, invBC2: 1 / bc2, eps: eps, decay: 1 - lr*wd,
		stepSize: lr / bc1}
	adamw(p, g, m, v, &h)
}
