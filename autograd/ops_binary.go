package autograd

import "fmt"

// bcast says how the second operand of a binary op lines up with the
// first.
type bcast int

const (
	bcSame   bcast = iota // same number of elements, elementwise
	bcRow                 // b holds one row of Cols(a), repeated per row
	bcCol                 // b holds one value per row of a
	bcScalar              // b holds one value
)

// broadcastOf picks the broadcast of b against a, or panics naming op.
func broadcastOf(op string, a, b *Tensor) bcast {
	switch {
	case sameShape(a.Shape, b.Shape):
		return bcSame
	case b.Size() == 1:
		return bcScalar
	case b.Cols() == a.Cols() && b.Size() == a.Cols():
		return bcRow
	case b.Cols() == 1 && b.Size() == a.Rows():
		return bcCol
	}
	panic(fmt.Sprintf("autograd: %s: cannot broadcast %v to %v",
		op, b.Shape, a.Shape))
}

// bIndex maps element i of a (with c columns) to its element of b.
func bIndex(mode bcast, i, c int) int {
	switch mode {
	case bcRow:
		return i % c
	case bcCol:
		return i / c
	case bcScalar:
		return 0
	}
	return i
}

// Add returns a + b, where b may be broadcast as a row, a column or a
// scalar. The output has a's shape.
func (tp *Tape) Add(a, b *Tensor) *Tensor {
	return tp.addSub("Add", a, b, 1)
}

// Sub returns a − b with Add's broadcasting.
func (tp *Tape) Sub(a, b *Tensor) *Tensor {
	return tp.addSub("Sub", a, b, -1)
}

func (tp *Tape) addSub(op string, a, b *Tensor, sign float32) *Tensor {
	mode := broadcastOf(op, a, b)
	c := a.Cols()
	out := tp.newTensor(a.Shape...)

	// 1. out = a ± b.
	if mode == bcSame {
		for i, av := range a.Data {
			out.Data[i] = av + sign*b.Data[i]
		}
	} else {
		for i, av := range a.Data {
			out.Data[i] = av + sign*b.Data[bIndex(mode, i, c)]
		}
	}

	if tp.needs(a, b) {
		tp.push(out, func() {
			// 1. da += dout; db += ±dout, summed over broadcast axes.
			if a.requiresGrad {
				axpy(tp.gradOf(a), 1, out.Grad)
			}
			if b.requiresGrad {
				reduceInto(tp.gradOf(b), out.Grad, nil, mode, c, sign)
			}
		})
	}
	return out
}

// Mul returns a ⊙ b with Add's broadcasting.
func (tp *Tape) Mul(a, b *Tensor) *Tensor {
	mode := broadcastOf("Mul", a, b)
	c := a.Cols()
	out := tp.newTensor(a.Shape...)

	// 1. out = a · b.
	mulBroadcast(out.Data, a.Data, b.Data, mode, c, false)

	if tp.needs(a, b) {
		tp.push(out, func() {
			// 1. da += dout·b; db += dout·a summed over broadcast axes.
			if a.requiresGrad {
				mulBroadcast(tp.gradOf(a), out.Grad, b.Data, mode, c, true)
			}
			if b.requiresGrad {
				reduceInto(tp.gradOf(b), out.Grad, a.Data, mode, c, 1)
			}
		})
	}
	return out
}

// mulBroadcast writes (or adds, when acc) x ⊙ broadcast(y) into dst;
// x has rows of c columns.
func mulBroadcast(dst, x, y []float32, mode bcast, c int, acc bool) {
	dst = dst[:len(x)]
	for r := 0; r < len(x); r += c {
		d, xr := dst[r:r+c], x[r:r+c]
		switch mode {
		case bcSame:
			yr := y[r : r+c]
			if acc {
				for j, v := range xr {
					d[j] += v * yr[j]
				}
			} else {
				for j, v := range xr {
					d[j] = v * yr[j]
				}
			}
		case bcRow:
			yr := y[:c]
			if acc {
				for j, v := range xr {
					d[j] += v * yr[j]
				}
			} else {
				for j, v := range xr {
					d[j] = v * yr[j]
				}
			}
		default: // one value per row, or a scalar
			s := y[0]
			if mode == bcCol {
				s = y[r/c]
			}
			if acc {
				for j, v := range xr {
					d[j] += v * s
				}
			} else {
				for j, v := range xr {
					d[j] = v * s
				}
			}
		}
	}
}

// reduceInto adds sign·Σ g (⊙ x when x is not nil) over the axes that b
// was broadcast along into db.
func reduceInto(db, g, x []float32, mode bcast, c int, sign float32) {
	for r := 0; r < len(g); r += c {
		gr := g[r : r+c]
		switch mode {
		case bcSame, bcRow:
			d := db[:c]
			if mode == bcSame {
				d = db[r : r+c]
			}
			if x == nil {
				axpy(d, sign, gr)
				continue
			}
			xr := x[r : r+c]
			for j, v := range gr {
				d[j] += sign * v * xr[j]
			}
		default:
			var s float32
			if x == nil {
				for _, v := range gr {
					s += v
				}
			} else {
				xr := x[r : r+c]
				for j, v := range gr {
					s += v * xr[j]
				}
			}
			if mode == bcCol {
				db[r/c] += sign * s
			} else {
				db[0] += sign * s
			}
		}
	}
}

// Minimum returns the elementwise min of two same-shape tensors; the
// gradient goes to the smaller input (to a on ties).
func (tp *Tape) Minimum(a, b *Tensor) *Tensor {
	return tp.pick("Minimum", a, b, func(x, y float32) bool { return x <= y })
}

// Maximum returns the elementwise max of two same-shape tensors; the
// gradient goes to the larger input (to a on ties).
func (tp *Tape) Maximum(a, b *Tensor) *Tensor {
	return tp.pick("Maximum", a, b, func(x, y float32) bool { return x >= y })
}

func (tp *Tape) pick(op string, a, b *Tensor,
	takeA func(x, y float32) bool) *Tensor {
	if !sameShape(a.Shape, b.Shape) {
		panic(fmt.Sprintf("autograd: %s: shapes %v and %v differ",
			op, a.Shape, b.Shape))
	}
	out := tp.newTensor(a.Shape...)
	for i, av := range a.Data {
		if takeA(av, b.Data[i]) {
			out.Data[i] = av
		} else {
			out.Data[i] = b.Data[i]
		}
	}
	if tp.needs(a, b) {
		tp.push(out, func() {
			for i, g := range out.Grad {
				if takeA(a.Data[i], b.Data[i]) {
					if a.requiresGrad {
						tp.gradOf(a)[i] += g
					}
				} else if b.requiresGrad {
					tp.gradOf(b)[i] += g
				}
			}
		})
	}
	return out
}

// axpy adds alpha·x into y.
func axpy(y []float32, alpha float32, x []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}
