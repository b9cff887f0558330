package autograd

import "fmt"

// Reshape returns a view of x with a new shape of the same size. It
// shares x's data and, when x needs a gradient, x's gradient buffer, so
// it costs no copy in either direction. One dimension may be −1.
func (tp *Tape) Reshape(x *Tensor, shape ...int) *Tensor {
	shape = append([]int(nil), shape...)
	infer, known := -1, 1
	for i, d := range shape {
		if d == -1 {
			infer = i
		} else {
			known *= d
		}
	}
	if infer >= 0 && known > 0 {
		shape[infer] = x.Size() / known
	}
	if numel(shape) != x.Size() {
		panic(fmt.Sprintf("autograd: Reshape %v to %v", x.Shape, shape))
	}
	out := &Tensor{Shape: shape, Data: x.Data}
	if tp.needs(x) {
		// Sharing the buffer makes out's gradient x's gradient; the
		// recorded node has nothing left to do but keeps out reachable.
		out.Grad = tp.gradOf(x)
		tp.push(out, nil)
	}
	return out
}

// Transpose swaps axes i and j (negative counts from the end), copying.
// Transpose(x, -2, -1) is the transpose of the last two axes.
func (tp *Tape) Transpose(x *Tensor, i, j int) *Tensor {
	r := len(x.Shape)
	if i < 0 {
		i += r
	}
	if j < 0 {
		j += r
	}
	if i < 0 || j < 0 || i >= r || j >= r {
		panic(fmt.Sprintf("autograd: Transpose axes %d, %d of %v", i, j,
			x.Shape))
	}
	shape := append([]int(nil), x.Shape...)
	shape[i], shape[j] = shape[j], shape[i]
	out := tp.newTensor(shape...)
	permute(out.Data, x.Data, x.Shape, i, j, false)
	if tp.needs(x) {
		tp.push(out, func() {
			permute(tp.gradOf(x), out.Grad, shape, i, j, true)
		})
	}
	return out
}

// permute writes src (shape) with axes i and j swapped into dst, adding
// when acc is set.
func permute(dst, src []float32, shape []int, i, j int, acc bool) {
	r := len(shape)
	stride := make([]int, r) // strides of src
	stride[r-1] = 1
	for a := r - 2; a >= 0; a-- {
		stride[a] = stride[a+1] * shape[a+1]
	}
	oshape := append([]int(nil), shape...)
	oshape[i], oshape[j] = oshape[j], oshape[i]
	ostride := append([]int(nil), stride...) // src stride per dst axis
	ostride[i], ostride[j] = stride[j], stride[i]
	idx := make([]int, r)
	for o := range dst {
		s := 0
		for a := 0; a < r; a++ {
			s += idx[a] * ostride[a]
		}
		if acc {
			dst[o] += src[s]
		} else {
			dst[o] = src[s]
		}
		for a := r - 1; a >= 0; a-- {
			idx[a]++
			if idx[a] < oshape[a] {
				break
			}
			idx[a] = 0
		}
	}
}

// Dropout zeroes each element with probability p and scales the rest by
// 1/(1−p) in train mode; in eval mode, or with p = 0, it returns x.
func (tp *Tape) Dropout(x *Tensor, p float32) *Tensor {
	if !tp.train || p == 0 {
		return x
	}
	if p < 0 || p >= 1 {
		panic(fmt.Sprintf("autograd: Dropout p=%v", p))
	}
	keep := 1 / (1 - p)
	mask := tp.alloc(x.Size())
	out := tp.newTensor(x.Shape...)
	for i, v := range x.Data {
		m := float32(0)
		if tp.rng.Float32() >= p {
			m = keep
		}
		mask[i] = m
		out.Data[i] = v * m
	}
	if tp.needs(x) {
		tp.push(out, func() {
			dx := tp.gradOf(x)
			for i, g := range out.Grad {
				dx[i] += g * mask[i]
			}
		})
	}
	return out
}
