package kernels

// kernelGo is the pure-Go micro-kernel: a 4×4 tile of C held in sixteen
// local accumulators, which the compiler keeps in registers. It follows
// the assembly contract: A(r,p) = a[r·rsa + p·csa], b is packed with 4
// floats per k step, and beta = 0 does not read C.
func kernelGo(k int, a []float32, rsa, csa int,
	b, c []float32, ldc int, alpha, beta float32) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	i0, i1, i2, i3 := 0, rsa, 2*rsa, 3*rsa
	for p := 0; p < k; p++ {
		bp := b[4*p : 4*p+4 : 4*p+4]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		x0, x1, x2, x3 := a[i0], a[i1], a[i2], a[i3]
		c00 += x0 * b0
		c01 += x0 * b1
		c02 += x0 * b2
		c03 += x0 * b3
		c10 += x1 * b0
		c11 += x1 * b1
		c12 += x1 * b2
		c13 += x1 * b3
		c20 += x2 * b0
		c21 += x2 * b1
		c22 += x2 * b2
		c23 += x2 * b3
		c30 += x3 * b0
		c31 += x3 * b1
		c32 += x3 * b2
		c33 += x3 * b3
		i0, i1, i2, i3 = i0+csa, i1+csa, i2+csa, i3+csa
	}
	storeRow4(c[0:4:4], alpha, beta, c00, c01, c02, c03)
	storeRow4(c[ldc:ldc+4:ldc+4], alpha, beta, c10, c11, c12, c13)
	storeRow4(c[2*ldc:2*ldc+4:2*ldc+4], alpha, beta, c20, c21, c22, c23)
	storeRow4(c[3*ldc:3*ldc+4:3*ldc+4], alpha, beta, c30, c31, c32, c33)
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
