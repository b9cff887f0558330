package kernels

// The pure-Go tile is 2×4: eight accumulators, two floats of A and four
// of B fit the 15 vector registers Go's amd64 ABI leaves free, where a
// 4×4 tile spills to the stack on every step.
const (
	goMR = 2
	goNR = 4
)

// kernelGo is the pure-Go micro-kernel for a goMR×goNR tile of C. It
// follows the assembly contract (A(r,p) = a[r·rsa + p·csa], b packed
// with goNR floats per k step, beta = 0 does not read C) but is fast
// only on packed A (rsa = 1, csa = goMR), which is what Gemm hands it.
func kernelGo(k int, a []float32, rsa, csa int,
	b, c []float32, ldc int, alpha, beta float32) {
	if rsa == 1 && csa == goMR {
		kernelGoPacked(a[:goMR*k], b[:goNR*k], c, ldc, alpha, beta)
		return
	}
	var buf [goMR * blockK]float32
	for p := 0; p < k; p += blockK {
		kc := min(blockK, k-p)
		packAEdge(buf[:], a[p*csa:], rsa, csa, goMR, kc, goMR)
		kernelGoPacked(buf[:goMR*kc], b[goNR*p:goNR*(p+kc)], c, ldc,
			alpha, beta)
		beta = 1 // later k slices add to the first
	}
}

// kernelGoPacked runs the tile over packed A (goMR floats per k step);
// len(a)/goMR is k. Reslicing a and b by whole steps lets the compiler
// drop every bounds check in the loop.
func kernelGoPacked(a, b, c []float32, ldc int, alpha, beta float32) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	for len(a) >= goMR && len(b) >= goNR {
		x0, x1 := a[0], a[1]
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		c00 += x0 * b0
		c01 += x0 * b1
		c02 += x0 * b2
		c03 += x0 * b3
		c10 += x1 * b0
		c11 += x1 * b1
		c12 += x1 * b2
		c13 += x1 * b3
		a, b = a[goMR:], b[goNR:]
	}
	storeRow4(c[0:4:4], alpha, beta, c00, c01, c02, c03)
	storeRow4(c[ldc:ldc+4:ldc+4], alpha, beta, c10, c11, c12, c13)
}

// storeRow4 writes alpha·s + beta·row into a 4-wide row of C, reading
// the row only when beta ≠ 0.
func storeRow4(row []float32, alpha, beta, s0, s1, s2, s3 float32) {
	if beta == 0 {
		row[0], row[1], row[2], row[3] =
			alpha*s0, alpha*s1, alpha*s2, alpha*s3
		return
	}
	row[0] = alpha*s0 + beta*row[0]
	row[1] = alpha*s1 + beta*row[1]
	row[2] = alpha*s2 + beta*row[2]
	row[3] = alpha*s3 + beta*row[3]
}
