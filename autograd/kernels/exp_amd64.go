//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// vecLevel says which loops the elementwise kernels run: levelAVX512
// for the exp-based ones where the CPU has AVX-512F, levelAVX2 for the
// rest (and for the exp-based ones on AVX2-only CPUs), levelGo
// elsewhere. Tests lower it to cover every path on one machine.
var vecLevel = detectLevel()

const (
	levelGo = iota
	levelAVX2
	levelAVX512
)

func detectLevel() int {
	switch {
	case cpu.X86.HasAVX512F:
		return levelAVX512
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		return levelAVX2
	}
	return levelGo
}

// vecLevels lists the levels this CPU can run, for tests.
func vecLevels() []int {
	out := []int{levelGo}
	for l := levelAVX2; l <= detectLevel(); l++ {
		out = append(out, l)
	}
	return out
}

// The AVX-512 loops do all n elements (the tail with a lane mask); the
// AVX2 loops do n rounded down to 8 and the caller does the rest in Go.
// tab is &expTab. See exp_amd64.s and elem_amd64.s.

//go:noescape
func expShiftSum512(y, x *float32, n int, m float32, tab *float32) float32

//go:noescape
func expShiftSumAVX2(y, x *float32, n int, m float32,
	tab *float32) float32

//go:noescape
func axpyExpShift512(y, x *float32, n int, alpha, m float32, tab *float32)

//go:noescape
func axpyExpShiftAVX2(y, x *float32, n int, alpha, m float32,
	tab *float32)

//go:noescape
func max512(x *float32, n int) float32

//go:noescape
func maxAVX2(x *float32, n int) float32

//go:noescape
func sigmoid512(dst, x *float32, n int, tab *float32)

//go:noescape
func sigmoidAVX2(dst, x *float32, n int, tab *float32)

//go:noescape
func swiglu512(out, sig, a, b *float32, n int, tab *float32)

//go:noescape
func swigluAVX2(out, sig, a, b *float32, n int, tab *float32)

//go:noescape
func swigluBackAVX2(da, db, dout, a, b, sig *float32, n int)

//go:noescape
func mulScaleAVX2(y, x, w *float32, n int, r float32)

//go:noescape
func rmsBackDWAVX2(dw, dy, x *float32, n int, r float32)

//go:noescape
func dot3AVX2(a, b, c *float32, n int) float32

//go:noescape
func rmsBackDXAVX2(dx, dy, x, w *float32, n int, r, k float32)

//go:noescape
func adamwAVX2(p, gr, m, v *float32, n int, h *adamwParams)

func tab() *float32 { return &expTab[0][0] }

func expShiftSum(y, x []float32, m float32) float32 {
	_ = y[len(x)-1]
	switch n, v := len(x), len(x)&^7; {
	case vecLevel == levelAVX512:
		return expShiftSum512(&y[0], &x[0], n, m, tab())
	case vecLevel == levelAVX2 && v > 0:
		s := expShiftSumAVX2(&y[0], &x[0], v, m, tab())
		return s + expShiftSumGo(y[v:], x[v:], m)
	}
	return expShiftSumGo(y, x, m)
}

func axpyExpShift(y []float32, alpha float32, x []float32, m float32) {
	_ = y[len(x)-1]
	switch n, v := len(x), len(x)&^7; {
	case vecLevel == levelAVX512:
		axpyExpShift512(&y[0], &x[0], n, alpha, m, tab())
	case vecLevel == levelAVX2 && v > 0:
		axpyExpShiftAVX2(&y[0], &x[0], v, alpha, m, tab())
		axpyExpShiftGo(y[v:], alpha, x[v:], m)
	default:
		axpyExpShiftGo(y, alpha, x, m)
	}
}

func maxOf(x []float32) float32 {
	switch n, v := len(x), len(x)&^7; {
	case vecLevel == levelAVX512:
		return max512(&x[0], n)
	case vecLevel == levelAVX2 && v > 0:
		return max(maxAVX2(&x[0], v), maxGo(x[v:]))
	}
	return maxGo(x)
}

func sigmoidTo(dst, x []float32) {
	_ = dst[len(x)-1]
	switch n, v := len(x), len(x)&^7; {
	case vecLevel == levelAVX512:
		sigmoid512(&dst[0], &x[0], n, tab())
	case vecLevel == levelAVX2 && v > 0:
		sigmoidAVX2(&dst[0], &x[0], v, tab())
		sigmoidGo(dst[v:], x[v:])
	default:
		sigmoidGo(dst, x)
	}
}

func swigluForward(out, sig, a, b []float32) {
	n, v := len(a), len(a)&^7
	_, _, _ = out[n-1], sig[n-1], b[n-1]
	switch {
	case vecLevel == levelAVX512:
		swiglu512(&out[0], &sig[0], &a[0], &b[0], n, tab())
	case vecLevel == levelAVX2 && v > 0:
		swigluAVX2(&out[0], &sig[0], &a[0], &b[0], v, tab())
		swigluForwardGo(out[v:], sig[v:], a[v:], b[v:])
	default:
		swigluForwardGo(out, sig, a, b)
	}
}

// The arithmetic-only loops below use AVX2 on both vector levels: they
// stream a few arrays per element and gain little from wider lanes.

func swigluBackward(da, db, dout, a, b, sig []float32) {
	n, v := len(dout), len(dout)&^7
	_, _, _, _, _ = da[n-1], db[n-1], a[n-1], b[n-1], sig[n-1]
	if vecLevel >= levelAVX2 && v > 0 {
		swigluBackAVX2(&da[0], &db[0], &dout[0], &a[0], &b[0], &sig[0], v)
	} else {
		v = 0
	}
	swigluBackwardGo(da[v:], db[v:], dout[v:], a[v:], b[v:], sig[v:])
}

func mulScale(y, x, w []float32, r float32) {
	n, v := len(x), len(x)&^7
	_, _ = y[n-1], w[n-1]
	if vecLevel >= levelAVX2 && v > 0 {
		mulScaleAVX2(&y[0], &x[0], &w[0], v, r)
	} else {
		v = 0
	}
	mulScaleGo(y[v:], x[v:], w[v:], r)
}

func rmsBackDW(dw, dy, x []float32, r float32) {
	n, v := len(dw), len(dw)&^7
	_, _ = dy[n-1], x[n-1]
	if vecLevel >= levelAVX2 && v > 0 {
		rmsBackDWAVX2(&dw[0], &dy[0], &x[0], v, r)
	} else {
		v = 0
	}
	rmsBackDWGo(dw[v:], dy[v:], x[v:], r)
}

func dot3(a, b, c []float32) float32 {
	n, v := len(a), len(a)&^7
	_, _ = b[n-1], c[n-1]
	if vecLevel < levelAVX2 || v == 0 {
		return dot3Go(a, b, c)
	}
	return dot3AVX2(&a[0], &b[0], &c[0], v) + dot3Go(a[v:], b[v:], c[v:])
}

func rmsBackDX(dx, dy, x, w []float32, r, k float32) {
	n, v := len(dx), len(dx)&^7
	_, _, _ = dy[n-1], x[n-1], w[n-1]
	if vecLevel >= levelAVX2 && v > 0 {
		rmsBackDXAVX2(&dx[0], &dy[0], &x[0], &w[0], v, r, k)
	} else {
		v = 0
	}
	rmsBackDXGo(dx[v:], dy[v:], x[v:], w[v:], r, k)
}

func adamw(p, g, m, v []float32, h *adamwParams) {
	n, nv := len(p), len(p)&^7
	_, _, _ = g[n-1], m[n-1], v[n-1]
	if vecLevel >= levelAVX2 && nv > 0 {
		adamwAVX2(&p[0], &g[0], &m[0], &v[0], nv, h)
	} else {
		nv = 0
	}
	adamwGo(p[nv:], g[nv:], m[nv:], v[nv:], h)
}
