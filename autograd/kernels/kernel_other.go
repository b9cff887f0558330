//go:build purego || !amd64

package kernels

// runKernel computes one tile with the portable kernel, the only one
// built without assembly.
func runKernel(_ kernelID, k int, a []float32, rsa, csa int,
	b, c []float32, ldc int, alpha, beta float32) {
	kernelGo(k, a, rsa, csa, b, c, ldc, alpha, beta)
}

// kernelsAvailable lists the kernels built in: only the portable one.
func kernelsAvailable() []kernelInfo {
	return []kernelInfo{{id: kernelPureGo, mr: goMR, nr: goNR}}
}
