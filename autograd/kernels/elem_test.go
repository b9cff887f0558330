package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func sigmoidRef(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// TestSigmoidMatchesNaive covers random inputs, and the saturated ends
// (below −88.7 exactly 0, above 17 exactly 1; NaN stays NaN).
func TestSigmoidMatchesNaive(t *testing.T) {
	inf := float32(math.Inf(1))
	edges := []float32{0, 100, -100, 1e4, -1e4, inf, -inf, 20, -20}
	forLevels(t, func(t *testing.T) {
		for _, n := range elemLengths {
			t.Run(fmt.Sprint(n), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(n), 21))
				x := randRange(rng, n, -30, 30)
				copy(x, edges)
				y := make([]float32, n)
				SigmoidTo(y, x)
				for i, v := range x {
					want := sigmoidRef(float64(v))
					if v < -88.73 {
						want = 0 // e^−x overflows: documented saturation
					}
					if !closeTo(y[i], want, 3e-7, 0) {
						t.Fatalf("σ(%v) = %v, want %v", v, y[i], want)
					}
				}
			})
		}
		nan := []float32{float32(math.NaN())}
		SigmoidTo(nan, nan)
		if nan[0] == nan[0] {
			t.Fatalf("σ(NaN) = %v", nan[0])
		}
	})
}

func TestSwiGLUForwardMatchesNaive(t *testing.T) {
	forLevels(t, func(t *testing.T) {
		for _, n := range append(elemLengths, 1500) {
			t.Run(fmt.Sprint(n), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(n), 22))
				a, b := randRange(rng, n, -12, 12), randSlice(rng, n)
				out, sig := make([]float32, n), make([]float32, n)
				SwiGLUForward(out, sig, a, b)
				out2 := make([]float32, n)
				SwiGLUForward(out2, nil, a, b)
				for i, x := range a {
					s := sigmoidRef(float64(x))
					want := float64(x) * s * float64(b[i])
					if !closeTo(sig[i], s, 3e-7, 0) ||
						!closeTo(out[i], want, 5e-7, 1e-30) {
						t.Fatalf("i=%d: out %v sig %v, want %v %v", i,
							out[i], sig[i], want, s)
					}
					if out2[i] != out[i] {
						t.Fatalf("out[%d] without sig = %v, with = %v", i,
							out2[i], out[i])
					}
				}
			})
		}
	})
}

// TestSwiGLUBackwardMatchesNaive adds into non-zero gradients, with
// both outputs and with each one alone.
func TestSwiGLUBackwardMatchesNaive(t *testing.T) {
	cases := []struct {
		name       string
		useA, useB bool
	}{{"both", true, true}, {"da", true, false}, {"db", false, true}}
	forLevels(t, func(t *testing.T) {
		for _, c := range cases {
			for _, n := range append(elemLengths, 1500) {
				t.Run(fmt.Sprint(c.name, n), func(t *testing.T) {
					testSwiGLUBackward(t, n, c.useA, c.useB)
				})
			}
		}
	})
}

func testSwiGLUBackward(t *testing.T, n int, useA, useB bool) {
	rng := rand.New(rand.NewPCG(uint64(n), 23))
	a, b, g := randRange(rng, n, -8, 8), randSlice(rng, n), randSlice(rng, n)
	sig := make([]float32, n)
	for i, x := range a {
		sig[i] = float32(sigmoidRef(float64(x)))
	}
	da0, db0 := randSlice(rng, n), randSlice(rng, n)
	da, db := append([]float32(nil), da0...), append([]float32(nil), db0...)
	var pa, pb []float32
	if useA {
		pa = da
	}
	if useB {
		pb = db
	}
	SwiGLUBackward(pa, pb, g, a, b, sig)
	for i := range a {
		x, s, gi := float64(a[i]), float64(sig[i]), float64(g[i])
		wa := float64(da0[i]) + gi*float64(b[i])*s*(1+x*(1-s))
		wb := float64(db0[i]) + gi*x*s
		if !useA {
			wa = float64(da0[i])
		}
		if !useB {
			wb = float64(db0[i])
		}
		if !closeTo(da[i], wa, 1e-6, 1) || !closeTo(db[i], wb, 1e-6, 1) {
			t.Fatalf("i=%d: da %v db %v, want %v %v", i, da[i], db[i],
				wa, wb)
		}
	}
}

// TestRMSNormMatchesNaive checks one row forward and backward against
// float64, including dx-only and dw-only backward.
func TestRMSNormMatchesNaive(t *testing.T) {
	forLevels(t, func(t *testing.T) {
		for _, n := range elemLengths[1:] {
			t.Run(fmt.Sprint(n), func(t *testing.T) {
				testRMSNorm(t, n)
			})
		}
	})
}

func testRMSNorm(t *testing.T, n int) {
	const eps = 1e-5
	rng := rand.New(rand.NewPCG(uint64(n), 24))
	x, w, dy := randSlice(rng, n), randSlice(rng, n), randSlice(rng, n)
	y := make([]float32, n)
	r := RMSNormForward(y, x, w, eps)
	var ss, s float64
	for i := range x {
		ss += float64(x[i]) * float64(x[i])
		s += float64(dy[i]) * float64(w[i]) * float64(x[i])
	}
	wr := 1 / math.Sqrt(ss/float64(n)+eps)
	if !closeTo(r, wr, 1e-6, 0) {
		t.Fatalf("r = %v, want %v", r, wr)
	}
	for i := range x {
		if want := float64(x[i]) * wr * float64(w[i]); !closeTo(y[i],
			want, 1e-6, 1) {
			t.Fatalf("y[%d] = %v, want %v", i, y[i], want)
		}
	}
	for _, mode := range []string{"both", "dx", "dw"} {
		dx0, dw0 := randSlice(rng, n), randSlice(rng, n)
		dx := append([]float32(nil), dx0...)
		dw := append([]float32(nil), dw0...)
		px, pw := dx, dw
		if mode == "dw" {
			px = nil
		}
		if mode == "dx" {
			pw = nil
		}
		RMSNormBackward(px, pw, dy, x, w, r)
		rr := float64(r)
		k := rr * rr * rr * s / float64(n)
		for i := range x {
			wx := float64(dx0[i]) + rr*float64(dy[i])*float64(w[i]) -
				k*float64(x[i])
			ww := float64(dw0[i]) + float64(dy[i])*float64(x[i])*rr
			if px == nil {
				wx = float64(dx0[i])
			}
			if pw == nil {
				ww = float64(dw0[i])
			}
			if !closeTo(dx[i], wx, 1e-5, 1) || !closeTo(dw[i], ww, 1e-6, 1) {
				t.Fatalf("%s i=%d: dx %v dw %v, want %v %v", mode, i,
					dx[i], dw[i], wx, ww)
			}
		}
	}
}

// TestAdamWVectorMatchesAdamW runs three steps of AdamWVector beside
// AdamW on every level: the bits must agree, since both round every
// operation the same way.
func TestAdamWVectorMatchesAdamW(t *testing.T) {
	forLevels(t, func(t *testing.T) {
		for _, n := range elemLengths {
			t.Run(fmt.Sprint(n), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(n), 25))
				p := randSlice(rng, n)
				p2 := append([]float32(nil), p...)
				m, v := make([]float32, n), make([]float32, n)
				m2, v2 := make([]float32, n), make([]float32, n)
				for step := 1; step <= 3; step++ {
					g := randSlice(rng, n)
					bc1 := float32(1 - math.Pow(0.9, float64(step)))
					bc2 := float32(1 - math.Pow(0.95, float64(step)))
					AdamW(p, g, m, v, 1e-2, 0.9, 0.95, 1e-8, 0.1, bc1, bc2)
					AdamWVector(p2, g, m2, v2, 1e-2, 0.9, 0.95, 1e-8, 0.1,
						bc1, bc2)
				}
				for i := range p {
					if p[i] != p2[i] || m[i] != m2[i] || v[i] != v2[i] {
						t.Fatalf("i=%d: p %v m %v v %v, AdamW %v %v %v", i,
							p2[i], m2[i], v2[i], p[i], m[i], v[i])
					}
				}
			})
		}
	})
}

func TestElemPanicOnLengthMismatch(t *testing.T) {
	s3, s2 := make([]float32, 3), make([]float32, 2)
	tests := []panicCase{
		{"ExpShiftSum", func() { ExpShiftSum(s3, s2, 0) }},
		{"AxpyExpShift", func() { AxpyExpShift(s3, 1, s2, 0) }},
		{"SigmoidTo", func() { SigmoidTo(s3, s2) }},
		{"SwiGLUForward", func() { SwiGLUForward(s3, s2, s3, s3) }},
		{"SwiGLUBackward", func() { SwiGLUBackward(s3, nil, s3, s3, s2, s3) }},
		{"RMSNormForward", func() { RMSNormForward(s3, s3, s2, 1) }},
		{"RMSNormBackward", func() { RMSNormBackward(nil, s2, s3, s3, s3, 1) }},
		{"AdamWVector", func() {
			AdamWVector(s3, s3, s2, s3, 1, 0.9, 0.9, 1e-8, 0, 1, 1)
		}},
	}
	expectPanics(t, tests)
}
