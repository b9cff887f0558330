package autograd

import "fmt"

// Sum returns the sum of all elements as a one-element tensor.
func (tp *Tape) Sum(a *Tensor) *Tensor {
	return tp.sumAll(a, 1)
}

// Mean returns the mean of all elements as a one-element tensor.
func (tp *Tape) Mean(a *Tensor) *Tensor {
	return tp.sumAll(a, 1/float32(a.Size()))
}

func (tp *Tape) sumAll(a *Tensor, scale float32) *Tensor {
	var s float64
	for _, v := range a.Data {
		s += float64(v)
	}
	out := tp.newTensor(1)
	out.Data[0] = float32(s) * scale
	if tp.needs(a) {
		tp.push(out, func() {
			g := out.Grad[0] * scale
			da := tp.gradOf(a)
			for i := range da {
				da[i] += g
			}
		})
	}
	return out
}

// SumAxis sums over one axis, which is removed from the shape.
func (tp *Tape) SumAxis(a *Tensor, axis int) *Tensor {
	return tp.reduceAxis("SumAxis", a, axis, 1)
}

// MeanAxis averages over one axis, which is removed from the shape.
func (tp *Tape) MeanAxis(a *Tensor, axis int) *Tensor {
	if axis < 0 {
		axis += len(a.Shape)
	}
	return tp.reduceAxis("MeanAxis", a, axis, 1/float32(a.Shape[axis]))
}

func (tp *Tape) reduceAxis(op string, a *Tensor, axis int,
	scale float32) *Tensor {
	if axis < 0 {
		axis += len(a.Shape)
	}
	if axis < 0 || axis >= len(a.Shape) {
		panic(fmt.Sprintf("autograd: %s: axis %d of shape %v", op, axis,
			a.Shape))
	}

	// View a as (outer, n, inner) and reduce the middle.
	outer, n := numel(a.Shape[:axis]), a.Shape[axis]
	inner := numel(a.Shape[axis+1:])
	shape := append(append([]int(nil), a.Shape[:axis]...),
		a.Shape[axis+1:]...)
	if len(shape) == 0 {
		shape = []int{1}
	}
	out := tp.newTensor(shape...)
	clear(out.Data)
	for o := 0; o < outer; o++ {
		dst := out.Data[o*inner : (o+1)*inner]
		for j := 0; j < n; j++ {
			axpy(dst, scale, a.Data[(o*n+j)*inner:(o*n+j+1)*inner])
		}
	}

	if tp.needs(a) {
		tp.push(out, func() {
			da := tp.gradOf(a)
			for o := 0; o < outer; o++ {
				g := out.Grad[o*inner : (o+1)*inner]
				for j := 0; j < n; j++ {
					axpy(da[(o*n+j)*inner:], scale, g)
				}
			}
		})
	}
	return out
}
