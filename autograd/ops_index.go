package autograd

import (
	"fmt"
	"sort"
)

// Embedding returns rows ids of the table w (V, C) as an (len(ids), C)
// tensor. Backward scatter-adds into the rows of w that were read, so a
// token seen twice gets both contributions.
func (tp *Tape) Embedding(w *Tensor, ids []int32) *Tensor {
	return tp.gatherRows("Embedding", w, ids)
}

// GatherRows returns x[idx[i], :] for each i: (len(idx), C). The indices
// are not differentiated; the gathered values are.
func (tp *Tape) GatherRows(x *Tensor, idx []int32) *Tensor {
	return tp.gatherRows("GatherRows", x, idx)
}

func (tp *Tape) gatherRows(op string, x *Tensor, idx []int32) *Tensor {
	c, n := x.Cols(), x.Rows()
	out := tp.newTensor(len(idx), c)
	for i, r := range idx {
		if r < 0 || int(r) >= n {
			panic(fmt.Sprintf("autograd: %s: index %d outside %v", op, r,
				x.Shape))
		}
		copy(out.Data[i*c:(i+1)*c], x.Data[int(r)*c:int(r+1)*c])
	}
	if tp.needs(x) {
		tp.push(out, func() {
			dx := tp.gradOf(x)
			for i, r := range idx {
				axpy(dx[int(r)*c:int(r+1)*c], 1, out.Grad[i*c:(i+1)*c])
			}
		})
	}
	return out
}

// ScatterAddRows returns an (n, C) tensor whose row r is the sum of the
// rows i of src with idx[i] = r: the inverse of GatherRows, used to
// combine expert outputs back into token order.
func (tp *Tape) ScatterAddRows(src *Tensor, idx []int32, n int) *Tensor {
	c := src.Cols()
	if len(idx) != src.Rows() {
		panic(fmt.Sprintf("autograd: ScatterAddRows: src %v, %d indices",
			src.Shape, len(idx)))
	}
	out := tp.newTensor(n, c)
	clear(out.Data)
	for i, r := range idx {
		if r < 0 || int(r) >= n {
			panic(fmt.Sprintf("autograd: ScatterAddRows: index %d of %d",
				r, n))
		}
		axpy(out.Data[int(r)*c:int(r+1)*c], 1, src.Data[i*c:(i+1)*c])
	}
	if tp.needs(src) {
		tp.push(out, func() {
			ds := tp.gradOf(src)
			for i, r := range idx {
				axpy(ds[i*c:(i+1)*c], 1, out.Grad[int(r)*c:int(r+1)*c])
			}
		})
	}
	return out
}

// TopK returns, for each row of x (N, E), the column indices of its k
// largest values in descending order (ties: lower index first) as an
// (N·k) slice. Selection is not differentiable; use GatherCols for the
// values.
func TopK(x *Tensor, k int) []int32 {
	e := x.Cols()
	if k > e || k < 1 {
		panic(fmt.Sprintf("autograd: TopK: k=%d of %v", k, x.Shape))
	}
	out := make([]int32, x.Rows()*k)
	order := make([]int32, e)
	for r := 0; r < x.Rows(); r++ {
		row := x.Data[r*e : (r+1)*e]
		for j := range order {
			order[j] = int32(j)
		}
		sort.SliceStable(order, func(a, b int) bool {
			return row[order[a]] > row[order[b]]
		})
		copy(out[r*k:(r+1)*k], order[:k])
	}
	return out
}

// GatherCols returns x[r, idx[r·k+j]] as an (N, k) tensor, the values
// picked by TopK. Gradients flow to the picked entries.
func (tp *Tape) GatherCols(x *Tensor, idx []int32, k int) *Tensor {
	n, e := x.Rows(), x.Cols()
	if len(idx) != n*k {
		panic(fmt.Sprintf("autograd: GatherCols: x %v, %d indices, k=%d",
			x.Shape, len(idx), k))
	}
	out := tp.newTensor(n, k)
	for i, c := range idx {
		out.Data[i] = x.Data[(i/k)*e+int(c)]
	}
	if tp.needs(x) {
		tp.push(out, func() {
			dx := tp.gradOf(x)
			for i, c := range idx {
				dx[(i/k)*e+int(c)] += out.Grad[i]
			}
		})
	}
	return out
}

// Concat joins tensors along the last axis; all other axes must agree.
func (tp *Tape) Concat(xs ...*Tensor) *Tensor {
	rows, total := xs[0].Rows(), 0
	for _, x := range xs {
		if x.Rows() != rows || len(x.Shape) != len(xs[0].Shape) {
			panic(fmt.Sprintf("autograd: Concat: %v and %v", xs[0].Shape,
				x.Shape))
		}
		total += x.Cols()
	}
	shape := append([]int(nil), xs[0].Shape...)
	shape[len(shape)-1] = total
	out := tp.newTensor(shape...)
	at := 0
	for _, x := range xs {
		c := x.Cols()
		copyCols(out.Data, total, at, x.Data, c, 0, c, rows)
		at += c
	}
	if tp.needs(xs...) {
		tp.push(out, func() {
			at := 0
			for _, x := range xs {
				c := x.Cols()
				if x.requiresGrad {
					addCols(tp.gradOf(x), c, 0, out.Grad, total, at, c, rows)
				}
				at += c
			}
		})
	}
	return out
}

// Slice returns columns [from, to) of the last axis.
func (tp *Tape) Slice(x *Tensor, from, to int) *Tensor {
	c, rows := x.Cols(), x.Rows()
	if from < 0 || to > c || from > to {
		panic(fmt.Sprintf("autograd: Slice [%d:%d] of %v", from, to,
			x.Shape))
	}
	shape := append([]int(nil), x.Shape...)
	shape[len(shape)-1] = to - from
	out := tp.newTensor(shape...)
	copyCols(out.Data, to-from, 0, x.Data, c, from, to-from, rows)
	if tp.needs(x) {
		tp.push(out, func() {
			addCols(tp.gradOf(x), c, from, out.Grad, to-from, 0, to-from,
				rows)
		})
	}
	return out
}

// Split cuts the last axis into consecutive pieces of the given widths,
// which must add up to it.
func (tp *Tape) Split(x *Tensor, widths ...int) []*Tensor {
	sum := 0
	for _, w := range widths {
		sum += w
	}
	if sum != x.Cols() {
		panic(fmt.Sprintf("autograd: Split %v of %v", widths, x.Shape))
	}
	outs := make([]*Tensor, len(widths))
	at := 0
	for i, w := range widths {
		outs[i] = tp.Slice(x, at, at+w)
		at += w
	}
	return outs
}

// copyCols copies n columns per row from src (row width sw, starting at
// column sc) into dst (row width dw, starting at column dc).
func copyCols(dst []float32, dw, dc int, src []float32, sw, sc, n,
	rows int) {
	for r := 0; r < rows; r++ {
		copy(dst[r*dw+dc:r*dw+dc+n], src[r*sw+sc:r*sw+sc+n])
	}
}

// addCols is copyCols that adds instead of overwriting.
func addCols(dst []float32, dw, dc int, src []float32, sw, sc, n,
	rows int) {
	for r := 0; r < rows; r++ {
		axpy(dst[r*dw+dc:r*dw+dc+n], 1, src[r*sw+sc:r*sw+sc+n])
	}
}
