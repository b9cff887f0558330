package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkElementwise times each elementwise kernel on 4096 floats
// (L1/L2 resident, the size of a few activation rows) at every vector
// level, so the portable loop is the scalar baseline; it reports
// ns/elem.
func BenchmarkElementwise(b *testing.B) {
	const n = 4096
	rng := rand.New(rand.NewPCG(31, 32))
	x, y := randRange(rng, n, -10, 0), randSlice(rng, n)
	a, c, d := randSlice(rng, n), randSlice(rng, n), randSlice(rng, n)
	sig, e := make([]float32, n), make([]float32, n)
	SigmoidTo(sig, a)
	kernels := []struct {
		name string
		fn   func()
	}{
		{"ExpShiftSum", func() { ExpShiftSum(y, x, 0) }},
		{"AxpyExpShift", func() { AxpyExpShift(y, 1e-3, x, 0) }},
		{"Max", func() { Max(x) }},
		{"SigmoidTo", func() { SigmoidTo(y, a) }},
		{"SwiGLUForward", func() { SwiGLUForward(y, e, a, c) }},
		{"SwiGLUBackward", func() { SwiGLUBackward(d, e, c, a, y, sig) }},
		{"RMSNormForward", func() { RMSNormForward(y, a, c, 1e-5) }},
		{"RMSNormBackward", func() { RMSNormBackward(d, e, c, a, y, 0.5) }},
		{"AdamWVector", func() {
			AdamWVector(y, a, d, sig, 1e-3, 0.9, 0.95, 1e-8, 0.1, 0.5, 0.5)
		}},
	}
	saved := vecLevel
	defer func() { vecLevel = saved }()
	for _, k := range kernels {
		for _, l := range vecLevels() {
			name := []string{"go", "avx2", "avx512"}[l]
			b.Run(fmt.Sprintf("%s/%s", k.name, name), func(b *testing.B) {
				vecLevel = l
				for b.Loop() {
					k.fn()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/
					float64(b.N)/n, "ns/elem")
			})
		}
	}
}
