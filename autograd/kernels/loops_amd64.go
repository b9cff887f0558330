//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// hasAVX2 gates the vector loops; they need AVX2 and FMA.
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// axpyAVX2 does y[i] += alpha·x[i] for i < n, 32 floats per step.
//
//go:noescape
func axpyAVX2(y, x *float32, n int, alpha float32)

// dotAVX2 returns Σ x[i]·y[i] for i < n in four 8-lane accumulators.
//
//go:noescape
func dotAVX2(x, y *float32, n int) float32

// scaleAVX2 does x[i] *= alpha for i < n.
//
//go:noescape
func scaleAVX2(x *float32, n int, alpha float32)

func axpy(y []float32, alpha float32, x []float32) {
	if !hasAVX2 {
		axpyGo(y, alpha, x)
		return
	}
	axpyAVX2(&y[0], &x[0], len(y), alpha)
}

func dot(x, y []float32) float32 {
	if !hasAVX2 {
		return dotGo(x, y)
	}
	return dotAVX2(&x[0], &y[0], len(x))
}

func scale(x []float32, alpha float32) {
	if !hasAVX2 {
		scaleGo(x, alpha)
		return
	}
	scaleAVX2(&x[0], len(x), alpha)
}

// transpose8AVX2 transposes blocks 8×8 tiles laid side by side in src
// into tiles stacked down dst (see loops_amd64.s).
//
//go:noescape
func transpose8AVX2(dst *float32, ldd int, src *float32, lds, blocks int)

// transpose8 writes dst[i·ldd + r] = src[r·lds + i] for r < 8 and
// i < n rounded down to a multiple of 8, and returns how many i it
// did (0 without AVX2). The caller has checked the bounds.
func transpose8(dst []float32, ldd int, src []float32, lds, n int) int {
	blocks := n / 8
	if !hasAVX2 || blocks == 0 {
		return 0
	}
	_ = dst[(8*blocks-1)*ldd+7]
	_ = src[7*lds+8*blocks-1]
	transpose8AVX2(&dst[0], ldd, &src[0], lds, blocks)
	return 8 * blocks
}
