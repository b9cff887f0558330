//go:build !purego

package kernels

import (
	"testing"

	"golang.org/x/sys/cpu"
)

// BenchmarkMicroKernel times the assembly kernels alone on L1-resident
// data (k = 256, A read in place with lda = 256 and packed), which
// bounds what Gemm can reach on one core.
func BenchmarkMicroKernel(b *testing.B) {
	const k = 256
	type kern struct {
		name   string
		ok     bool
		mr, nr int
		run    func(a *float32, rsa, csa int, bp, c *float32)
	}
	kernels := []kern{
		{"avx512_12x32", cpu.X86.HasAVX512F, 12, 32,
			func(a *float32, rsa, csa int, bp, c *float32) {
				kernel12x32(k, a, rsa, csa, bp, c, 32, 1, 0)
			}},
		{"avx2_6x16", cpu.X86.HasAVX2 && cpu.X86.HasFMA, 6, 16,
			func(a *float32, rsa, csa int, bp, c *float32) {
				kernel6x16(k, a, rsa, csa, bp, c, 16, 1, 0)
			}},
	}
	for _, kn := range kernels {
		if !kn.ok {
			continue
		}
		a := make([]float32, kn.mr*k)
		bp := make([]float32, kn.nr*k)
		c := make([]float32, kn.mr*kn.nr)
		for _, lay := range []struct {
			name     string
			rsa, csa int
		}{{"rowA", k, 1}, {"packedA", 1, kn.mr}} {
			b.Run(kn.name+"/"+lay.name, func(b *testing.B) {
				for b.Loop() {
					kn.run(&a[0], lay.rsa, lay.csa, &bp[0], &c[0])
				}
				flops := 2 * float64(kn.mr*kn.nr*k) * float64(b.N)
				b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
