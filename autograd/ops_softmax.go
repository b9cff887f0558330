package autograd

import (
	"fmt"
	"math"

	"github.com/tinyseek/tinyseek/autograd/kernels"
)

// Softmax over the last axis. The row maximum is subtracted first, so
// logits of ±1e4 neither overflow nor lose the winner.
func (tp *Tape) Softmax(a *Tensor) *Tensor {
	c := a.Cols()
	out := tp.newTensor(a.Shape...)
	for r := 0; r < a.Rows(); r++ {
		softmaxRow(out.Data[r*c:(r+1)*c], a.Data[r*c:(r+1)*c])
	}
	if tp.needs(a) {
		tp.push(out, func() {
			// dx = y ⊙ (dy − Σ dy·y), row by row.
			da := tp.gradOf(a)
			for r := 0; r < a.Rows(); r++ {
				y := out.Data[r*c : (r+1)*c]
				g := out.Grad[r*c : (r+1)*c]
				dot := kernels.Dot(g, y)
				dx := da[r*c : (r+1)*c]
				for j := range y {
					dx[j] += y[j] * (g[j] - dot)
				}
			}
		})
	}
	return out
}

// LogSoftmax over the last axis, max-subtracted for stability.
func (tp *Tape) LogSoftmax(a *Tensor) *Tensor {
	c := a.Cols()
	out := tp.newTensor(a.Shape...)
	for r := 0; r < a.Rows(); r++ {
		x := a.Data[r*c : (r+1)*c]
		lse := logSumExp(x)
		y := out.Data[r*c : (r+1)*c]
		for j, v := range x {
			y[j] = v - lse
		}
	}
	if tp.needs(a) {
		tp.push(out, func() {
			// dx = dy − softmax(x)·Σ dy.
			da := tp.gradOf(a)
			for r := 0; r < a.Rows(); r++ {
				y := out.Data[r*c : (r+1)*c]
				g := out.Grad[r*c : (r+1)*c]
				var s float32
				for _, v := range g {
					s += v
				}
				dx := da[r*c : (r+1)*c]
				kernels.Axpy(dx, 1, g)
				kernels.AxpyExpShift(dx, -s, y, 0)
			}
		})
	}
	return out
}

// CrossEntropy returns the mean of −log softmax(logits)[target] over the
// rows whose target is not negative. logits is (N, V), len(targets) = N;
// a target < 0 marks an ignored row (padding, prompt tokens). With no
// active row the loss is 0 and the gradient is 0, never NaN.
func (tp *Tape) CrossEntropy(logits *Tensor, targets []int32) *Tensor {
	n, v := logits.Rows(), logits.Cols()
	if len(targets) != n {
		panic(fmt.Sprintf("autograd: CrossEntropy: logits %v, %d targets",
			logits.Shape, len(targets)))
	}

	// 1. Per-row loss and the active count; lse is kept for backward.
	lse := tp.alloc(n)
	var total float64
	active := 0
	for r, t := range targets {
		if t < 0 {
			continue
		}
		if int(t) >= v {
			panic(fmt.Sprintf("autograd: CrossEntropy: target %d for "+
				"vocabulary %d", t, v))
		}
		row := logits.Data[r*v : (r+1)*v]
		lse[r] = logSumExp(row)
		total += float64(lse[r] - row[t])
		active++
	}
	out := tp.newTensor(1)
	out.Data[0] = 0
	if active > 0 {
		out.Data[0] = float32(total / float64(active))
	}

	if tp.needs(logits) && active > 0 {
		tp.push(out, func() {
			// 1. dlogits = (softmax − onehot(target)) · dloss / active.
			g := out.Grad[0] / float32(active)
			dl := tp.gradOf(logits)
			for r, t := range targets {
				if t < 0 {
					continue
				}
				row := logits.Data[r*v : (r+1)*v]
				d := dl[r*v : (r+1)*v]
				kernels.AxpyExpShift(d, g, row, lse[r])
				d[t] -= g
			}
		})
	}
	return out
}

// LogProbGather returns log softmax(logits)[r, ids[r]] for every row as
// an (N) tensor: the per-token log-probabilities PPO needs, without
// materialising the full log-softmax.
func (tp *Tape) LogProbGather(logits *Tensor, ids []int32) *Tensor {
	n, v := logits.Rows(), logits.Cols()
	if len(ids) != n {
		panic(fmt.Sprintf("autograd: LogProbGather: logits %v, %d ids",
			logits.Shape, len(ids)))
	}
	lse := tp.alloc(n)
	out := tp.newTensor(n)
	for r, t := range ids {
		row := logits.Data[r*v : (r+1)*v]
		lse[r] = logSumExp(row)
		out.Data[r] = row[t] - lse[r]
	}
	if tp.needs(logits) {
		tp.push(out, func() {
			// d logp / d x_j = onehot_j − softmax_j.
			dl := tp.gradOf(logits)
			for r, t := range ids {
				g := out.Grad[r]
				if g == 0 {
					continue
				}
				row := logits.Data[r*v : (r+1)*v]
				d := dl[r*v : (r+1)*v]
				kernels.AxpyExpShift(d, -g, row, lse[r])
				d[t] += g
			}
		})
	}
	return out
}

// softmaxRow writes the softmax of x into y; y may be x. A row with a
// NaN, or with every entry −Inf, comes out all NaN.
func softmaxRow(y, x []float32) {
	m := kernels.Max(x)
	s := kernels.ExpShiftSum(y, x, m)
	kernels.Scale(y, 1/s)
}

// logSumExp returns log Σ exp(x), max-subtracted; −Inf for an empty or
// all −Inf row.
func logSumExp(x []float32) float32 {
	m := kernels.Max(x)
	if math.IsInf(float64(m), -1) {
		return m
	}
	s := kernels.SumExpShift(x, m)
	return m + float32(math.Log(float64(s)))
}
