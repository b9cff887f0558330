package kernels

import "fmt"

// kernelID names a micro-kernel; runKernel switches on it so that calls
// stay direct (an indirect call would make every slice escape).
type kernelID int

const (
	kernelPureGo kernelID = iota
	kernelAVX2
	kernelAVX512
)

// kernelInfo is the micro-kernel in use and its register tile, mr rows
// by nr columns of C.
type kernelInfo struct {
	id     kernelID
	mr, nr int
}

// active starts as the portable kernel; init in kernel_amd64.go may
// upgrade it once, before any call.
var active = kernelInfo{id: kernelPureGo, mr: goMR, nr: goNR}

// Cache blocking: op(B) is packed once per call, one column block of
// blockN columns (all of k) at a time. Each kc-deep slice of that slab
// (256·512·4 B = 512 KiB) stays in L2 while every mr-row strip of A
// walks over it; one mr×kc strip of A (12 KiB at mr = 12) stays in L1
// across the nc/nr micro-kernel calls that reuse it.
const (
	blockK = 256
	blockN = 512

	// packMinTiles is the panel width, in tiles, from which a full
	// strip of row-major A is packed rather than read in place.
	packMinTiles = 8
)

// Gemm computes C = alpha·op(A)·op(B) + beta·C, where op(X) is X or Xᵀ.
//
// C is m×n with row stride ldc. op(A) is m×k: A is stored m×k (lda ≥ k)
// when transA is false and k×m (lda ≥ m) when it is true. op(B) is k×n:
// B is stored k×n (ldb ≥ n) when transB is false and n×k (ldb ≥ k) when
// it is true. beta = 0 overwrites C without reading it (NaNs in C do not
// leak); beta = 1 accumulates, which is what backward passes use.
//
// Gemm panics if a stride is too small or a slice too short. It is safe
// to call from many goroutines at once.
func Gemm(transA, transB bool, m, n, k int, alpha float32,
	a []float32, lda int, b []float32, ldb int,
	beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	g := gemmArgs{transA: transA, transB: transB, m: m, n: n, k: k,
		alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
		beta: beta, c: c, ldc: ldc}
	g.run()
}

// checkGemm panics with the offending argument when the strides or the
// slice lengths cannot hold the matrices Gemm was told about.
func checkGemm(transA, transB bool, m, n, k int,
	a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels: Gemm negative size m=%d n=%d k=%d",
			m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMatrix("A", ar, ac, a, lda)
	checkMatrix("B", br, bc, b, ldb)
	checkMatrix("C", m, n, c, ldc)
}

// checkMatrix panics unless x can hold a rows×cols matrix with stride ld.
func checkMatrix(name string, rows, cols int, x []float32, ld int) {
	if ld < max(cols, 1) {
		panic(fmt.Sprintf("kernels: Gemm ld%s=%d < %d columns",
			name, ld, cols))
	}
	if rows == 0 || cols == 0 {
		return
	}
	if need := (rows-1)*ld + cols; len(x) < need {
		panic(fmt.Sprintf("kernels: Gemm len(%s)=%d < %d for %d×%d, ld %d",
			name, len(x), need, rows, cols, ld))
	}
}

// scaleC sets C = beta·C, clearing C when beta = 0 so that NaNs in it do
// not survive.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		Scale(row, beta)
	}
}

// gemmArgs carries one Gemm call so that workers can each take chunks
// of C.
type gemmArgs struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
}

// run walks C in column blocks of blockN. For each block it packs the
// whole k×nc slab of op(B) once, into the caller's scratch, and then
// computes the block's rows. Large problems go to the worker pool,
// which packs the slab too: packed by the caller alone, a 512-wide
// slab would keep the other cores idle for a tenth of the call.
func (g *gemmArgs) run() {
	kn := active
	parallel := g.m*g.n*g.k >= parallelMinWork && workerCount() > 0
	s := getScratch()
	for jc := 0; jc < g.n; jc += blockN {
		nc := min(blockN, g.n-jc)
		bp := s.slab(g.k * roundUp(nc, kn.nr))
		if parallel {
			g.fork(kn, bp, jc, nc, s)
			continue
		}
		g.packPanels(kn, bp, jc, nc, 0, (nc+kn.nr-1)/kn.nr)
		g.block(kn, bp, jc, nc, 0, g.m, 0, nc, s)
	}
	putScratch(s)
}

// packPanels packs panels q0 ≤ q < q1 (nr columns each, from column jc
// of op(B)) of the column block's slab bp, every kc-deep slice of k.
func (g *gemmArgs) packPanels(kn kernelInfo, bp []float32, jc, nc,
	q0, q1 int) {
	ncr := roundUp(nc, kn.nr)
	j0 := q0 * kn.nr
	w := min(nc, q1*kn.nr) - j0
	for pc := 0; pc < g.k; pc += blockK {
		kc := min(blockK, g.k-pc)
		packB(bp[pc*ncr+j0*kc:], g.b, g.ldb, g.transB, pc, kc, jc+j0, w,
			kn.nr)
	}
}

// block computes C[i0:i1, jc+j0 : jc+j1] from the packed slab bp of the
// column block at jc. It walks kc-deep slices of k; the first applies
// beta and later ones accumulate. j0 and j1 are multiples of nr (or
// j1 = nc).
func (g *gemmArgs) block(kn kernelInfo, bp []float32, jc, nc,
	i0, i1, j0, j1 int, s *scratch) {
	for pc := 0; pc < g.k; pc += blockK {
		kc := min(blockK, g.k-pc)
		beta := g.beta
		if pc > 0 {
			beta = 1
		}
		bpc := bp[pc*roundUp(nc, kn.nr):]
		for i := i0; i < i1; i += kn.mr {
			g.strip(kn, s, i, min(kn.mr, i1-i), pc, kc, jc+j0,
				bpc[j0*kc:], j1-j0, beta)
		}
	}
}

func roundUp(x, to int) int { return (x + to - 1) / to * to }

// strip runs the micro-kernel over one mr-row strip of C against the
// packed panels of B (nc columns of C from jc). A is read in place when
// the panel is narrow; otherwise the strip is packed first, as is the
// short last strip. Tiles that stick out of C go through a scratch tile.
func (g *gemmArgs) strip(kn kernelInfo, s *scratch, i, rows, pc, kc,
	jc int, bpanels []float32, nc int, beta float32) {
	a, rsa, csa := g.a[g.offA(i, pc):], g.lda, 1
	if g.transA {
		rsa, csa = 1, g.lda
	}
	switch {
	case rows < kn.mr:
		packAEdge(s.a, a, rsa, csa, rows, kc, kn.mr)
		a, rsa, csa = s.a, 1, kn.mr
	case kn.id == kernelPureGo:
		// Without SIMD the bounds-checked strided loads cost more than
		// the copy: the Go kernel always gets packed A.
		packAEdge(s.a, a, rsa, csa, rows, kc, kn.mr)
		a, rsa, csa = s.a, 1, kn.mr
	case nc < packMinTiles*kn.nr:
		// A narrow panel reuses the strip only a few times: read A in
		// place rather than pay for a copy.
	case g.transA:
		// A stored k×m puts each k step lda floats apart; at lda of a
		// few KiB those steps land in a handful of L1 sets and evict each
		// other, so copy the strip into mr-float steps.
		packATrans(s.a, a, g.lda, kc, kn.mr)
		a, csa = s.a, kn.mr
	default:
		// Row-major rows are often 2 KiB apart and share L1 sets with
		// the streaming B panel; packed, the strip stays in L1.
		packARows(s.a, a, g.lda, kc, kn.mr)
		a, rsa, csa = s.a, 1, kn.mr
	}
	for j := 0; j < nc; j += kn.nr {
		bp := bpanels[j*kc:]
		cols := min(kn.nr, nc-j)
		ci := i*g.ldc + jc + j
		if rows == kn.mr && cols == kn.nr {
			runKernel(kn.id, kc, a, rsa, csa, bp, g.c[ci:], g.ldc,
				g.alpha, beta)
			continue
		}
		runKernel(kn.id, kc, a, rsa, csa, bp, s.tile, kn.nr, g.alpha, 0)
		mergeTile(g.c[ci:], g.ldc, s.tile, kn.nr, rows, cols, beta)
	}
}

// offA is the index in a of op(A)[i][p].
func (g *gemmArgs) offA(i, p int) int {
	if g.transA {
		return p*g.lda + i
	}
	return i*g.lda + p
}

// mergeTile writes the top-left rows×cols corner of a computed tile
// into C, as t + beta·C (C unread when beta = 0).
func mergeTile(c []float32, ldc int, t []float32, ldt, rows, cols int,
	beta float32) {
	for r := 0; r < rows; r++ {
		dst := c[r*ldc : r*ldc+cols]
		src := t[r*ldt : r*ldt+cols]
		if beta == 0 {
			copy(dst, src)
			continue
		}
		for j, v := range src {
			dst[j] = v + beta*dst[j]
		}
	}
}
