//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// kernel12x32 is the AVX-512 micro-kernel: a 12×32 tile of C in 24 Z
// registers. See gemm_amd64.s for the argument contract.
//
//go:noescape
func kernel12x32(k int, a *float32, rsa, csa int, b, c *float32,
	ldc int, alpha, beta float32)

// kernel6x16 is the AVX2+FMA micro-kernel: a 6×16 tile of C in 12 Y
// registers, same contract as kernel12x32.
//
//go:noescape
func kernel6x16(k int, a *float32, rsa, csa int, b, c *float32,
	ldc int, alpha, beta float32)

// Pick the widest kernel the CPU runs. AVX-512 needs F for the FMAs and
// the OS must save Z registers, which x/sys/cpu already folds in.
func init() {
	switch {
	case cpu.X86.HasAVX512F:
		active = kernelInfo{id: kernelAVX512, mr: 12, nr: 32}
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		active = kernelInfo{id: kernelAVX2, mr: 6, nr: 16}
	}
}

// runKernel computes one mr×nr tile with the active kernel. a, b and c
// start at the tile's first element; the caller has checked that the
// tile lies inside them.
func runKernel(id kernelID, k int, a []float32, rsa, csa int,
	b, c []float32, ldc int, alpha, beta float32) {
	switch id {
	case kernelAVX512:
		kernel12x32(k, &a[0], rsa, csa, &b[0], &c[0], ldc, alpha, beta)
	case kernelAVX2:
		kernel6x16(k, &a[0], rsa, csa, &b[0], &c[0], ldc, alpha, beta)
	default:
		kernelGo(k, a, rsa, csa, b, c, ldc, alpha, beta)
	}
}

// kernelsAvailable lists every kernel this CPU can run, so that tests
// cover the AVX2 path on AVX-512 machines too.
func kernelsAvailable() []kernelInfo {
	list := []kernelInfo{{id: kernelPureGo, mr: goMR, nr: goNR}}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		list = append(list, kernelInfo{id: kernelAVX2, mr: 6, nr: 16})
	}
	if cpu.X86.HasAVX512F {
		list = append(list, kernelInfo{id: kernelAVX512, mr: 12, nr: 32})
	}
	return list
}
