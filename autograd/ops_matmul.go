package autograd

import (
	"fmt"

	"github.com/tinyseek/tinyseek/autograd/kernels"
)

// MatMul returns op(a)·op(b), where op transposes the last two axes when
// the matching flag is set.
//
// Two forms are accepted:
//   - b is 2-D: a's leading axes are flattened into rows, so a (B, T, C)
//     activation times a (out, in) weight with transB gives (B, T, out).
//     transA then requires a 2-D a.
//   - a and b have the same rank > 2 and equal leading (batch) axes: one
//     product per batch element.
func (tp *Tape) MatMul(a, b *Tensor, transA, transB bool) *Tensor {
	if len(b.Shape) == 2 {
		return tp.matmul2D(a, b, transA, transB)
	}
	return tp.matmulBatched(a, b, transA, transB)
}

// Linear is x·Wᵀ for a PyTorch-layout weight W (out, in).
func (tp *Tape) Linear(x, w *Tensor) *Tensor {
	return tp.MatMul(x, w, false, true)
}

func (tp *Tape) matmul2D(a, b *Tensor, transA, transB bool) *Tensor {
	if transA && len(a.Shape) != 2 {
		panic(fmt.Sprintf("autograd: MatMul: transA needs a 2-D a, got %v",
			a.Shape))
	}
	m, k := a.Rows(), a.Cols()
	if transA {
		m, k = k, m
	}
	kb, n := b.Shape[0], b.Shape[1]
	if transB {
		kb, n = n, kb
	}
	if k != kb {
		panic(fmt.Sprintf("autograd: MatMul: shapes %v and %v "+
			"(transA=%v, transB=%v) do not chain", a.Shape, b.Shape,
			transA, transB))
	}

	// 1. The product itself.
	shape := append(append([]int(nil), a.Shape[:len(a.Shape)-1]...), n)
	if transA {
		shape = []int{m, n}
	}
	out := tp.newTensor(shape...)
	kernels.Gemm(transA, transB, m, n, k, 1, a.Data, a.Cols(),
		b.Data, b.Cols(), 0, out.Data, n)

	if tp.needs(a, b) {
		tp.push(out, func() {
			matmulBack(tp, a, b, out, transA, transB, 0, 0, 0, m, n, k)
		})
	}
	return out
}

func (tp *Tape) matmulBatched(a, b *Tensor, transA, transB bool) *Tensor {
	r := len(a.Shape)
	if r < 3 || len(b.Shape) != r || !sameShape(a.Shape[:r-2], b.Shape[:r-2]) {
		panic(fmt.Sprintf("autograd: MatMul: batched shapes %v and %v "+
			"differ in batch axes", a.Shape, b.Shape))
	}
	m, k := a.Shape[r-2], a.Shape[r-1]
	if transA {
		m, k = k, m
	}
	kb, n := b.Shape[r-2], b.Shape[r-1]
	if transB {
		kb, n = n, kb
	}
	if k != kb {
		panic(fmt.Sprintf("autograd: MatMul: shapes %v and %v "+
			"(transA=%v, transB=%v) do not chain", a.Shape, b.Shape,
			transA, transB))
	}
	batch := numel(a.Shape[:r-2])
	shape := append(append([]int(nil), a.Shape[:r-2]...), m, n)
	out := tp.newTensor(shape...)
	sa, sb, sc := m*k, k*n, m*n

	// 1. One product per batch element.
	for i := 0; i < batch; i++ {
		kernels.Gemm(transA, transB, m, n, k, 1,
			a.Data[i*sa:], a.Shape[r-1], b.Data[i*sb:], b.Shape[r-1],
			0, out.Data[i*sc:], n)
	}

	if tp.needs(a, b) {
		tp.push(out, func() {
			for i := 0; i < batch; i++ {
				matmulBack(tp, a, b, out, transA, transB,
					i*sa, i*sb, i*sc, m, n, k)
			}
		})
	}
	return out
}

// matmulBack adds the VJP of C = op(A)·op(B) for one product whose
// blocks start at offsets oa, ob, oc.
func matmulBack(tp *Tape, a, b, out *Tensor, transA, transB bool,
	oa, ob, oc, m, n, k int) {
	dc := out.Grad[oc:]
	lda, ldb := a.Cols(), b.Cols()

	// 1. dA: (m×k) += dC·op(B)ᵀ, or (k×m) += op(B)·dCᵀ when transA.
	if a.requiresGrad {
		da := tp.gradOf(a)[oa:]
		switch {
		case !transA:
			kernels.Gemm(false, !transB, m, k, n, 1, dc, n,
				b.Data[ob:], ldb, 1, da, lda)
		default:
			kernels.Gemm(transB, true, k, m, n, 1, b.Data[ob:], ldb,
				dc, n, 1, da, lda)
		}
	}

	// 2. dB: (k×n) += op(A)ᵀ·dC, or (n×k) += dCᵀ·op(A) when transB.
	if b.requiresGrad {
		db := tp.gradOf(b)[ob:]
		switch {
		case !transB:
			kernels.Gemm(!transA, false, k, n, m, 1, a.Data[oa:], lda,
				dc, n, 1, db, ldb)
		default:
			kernels.Gemm(true, transA, n, k, m, 1, dc, n,
				a.Data[oa:], lda, 1, db, ldb)
		}
	}
}
