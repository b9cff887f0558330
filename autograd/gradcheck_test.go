package autograd

import (
	"math"
	"math/rand/v2"
	"testing"
)

// gradCase is one finite-difference check: f builds an output from the
// inputs; the check differentiates Σ out·R for a fixed random R.
type gradCase struct {
	name   string
	shapes [][]int
	f      func(tp *Tape, xs []*Tensor) *Tensor
	// init, when set, fills the inputs instead of N(0, 1).
	init func(r *rand.Rand, xs []*Tensor)
}

// Central differences in float32 with step 1e-2: the forward pass
// rounds at about 1e-7 relative, summed over up to ~10³ terms that is
// ~1e-5 in the loss, i.e. ~1e-3 in the quotient; the truncation error is
// O(h²) ≈ 1e-4 for these smooth ops. Tolerances sit above both.
const (
	fdStep = 1e-2
	fdAtol = 5e-3
	fdRtol = 2e-2
)

func checkGrad(t *testing.T, c gradCase) {
	t.Helper()
	r := rand.New(rand.NewPCG(7, uint64(len(c.name))))
	xs := make([]*Tensor, len(c.shapes))
	for i, s := range c.shapes {
		xs[i] = NewParam("x", s...)
		xs[i].FillNormal(r, 1)
	}
	if c.init != nil {
		c.init(r, xs)
	}

	// Analytic gradients through the tape.
	tp := NewTape()
	out := c.f(tp, xs)
	w := New(make([]float32, out.Size()), out.Shape...)
	w.FillNormal(r, 1)
	tp.Backward(tp.Sum(tp.Mul(out, w)))

	// Numeric gradients, one element at a time.
	loss := func() float64 {
		o := c.f(NewInference(), xs)
		var s float64
		for i, v := range o.Data {
			s += float64(v) * float64(w.Data[i])
		}
		return s
	}
	for i, x := range xs {
		for j := range x.Data {
			v := x.Data[j]
			x.Data[j] = v + fdStep
			up := loss()
			x.Data[j] = v - fdStep
			down := loss()
			x.Data[j] = v
			num := (up - down) / (2 * fdStep)
			got := float64(x.Grad[j])
			if math.Abs(got-num) > fdAtol+fdRtol*math.Abs(num) {
				t.Fatalf("input %d element %d: analytic %.6g, numeric "+
					"%.6g", i, j, got, num)
			}
		}
	}
}

func positive(r *rand.Rand, xs []*Tensor) {
	for _, x := range xs {
		for i := range x.Data {
			x.Data[i] = 0.5 + r.Float32()
		}
	}
}

func TestGradElementwise(t *testing.T) {
	cases := []gradCase{
		{name: "add same", shapes: [][]int{{3, 5}, {3, 5}},
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.Add(x[0], x[1]) }},
		{name: "add row", shapes: [][]int{{2, 3, 5}, {5}},
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.Add(x[0], x[1]) }},
		{name: "sub col", shapes: [][]int{{4, 3}, {4, 1}},
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.Sub(x[0], x[1]) }},
		{name: "sub scalar", shapes: [][]int{{4, 3}, {1}},
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.Sub(x[0], x[1]) }},
		{name: "mul same", shapes: [][]int{{7}, {7}},
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.Mul(x[0], x[1]) }},
		{name: "mul row", shapes: [][]int{{3, 4}, {1, 4}},
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.Mul(x[0], x[1]) }},
		{name: "mul col", shapes: [][]int{{3, 4}, {3, 1}},
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.Mul(x[0], x[1]) }},
		{name: "mul self", shapes: [][]int{{5}},
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.Mul(x[0], x[0]) }},
		{name: "scale", shapes: [][]int{{3, 3}},
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.Scale(x[0], -2.5) }},
		{name: "add scalar", shapes: [][]int{{3}},
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.AddScalar(x[0], 3) }},
		{name: "neg", shapes: [][]int{{3}},
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.Neg(x[0]) }},
		{name: "exp", shapes: [][]int{{2, 5}},
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.Exp(x[0]) }},
		{name: "log", shapes: [][]int{{2, 5}}, init: positive,
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.Log(x[0]) }},
		{name: "sqrt", shapes: [][]int{{6}}, init: positive,
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.Sqrt(x[0]) }},
		{name: "rsqrt", shapes: [][]int{{6}}, init: positive,
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.Rsqrt(x[0]) }},
		{name: "tanh", shapes: [][]int{{9}},
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.Tanh(x[0]) }},
		{name: "sigmoid", shapes: [][]int{{9}},
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.Sigmoid(x[0]) }},
		{name: "silu", shapes: [][]int{{3, 7}},
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.SiLU(x[0]) }},
		{name: "gelu", shapes: [][]int{{3, 7}},
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.GELU(x[0]) }},
		{name: "swiglu", shapes: [][]int{{3, 7}, {3, 7}},
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.SwiGLU(x[0], x[1]) }},
		{name: "clamp", shapes: [][]int{{20}},
			init: func(r *rand.Rand, xs []*Tensor) {
				// Keep every value at least 0.1 away from the kinks.
				for i := range xs[0].Data {
					xs[0].Data[i] = float32(i)*0.3 - 2.95
				}
			},
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.Clamp(x[0], -1, 1) }},
		{name: "minimum", shapes: [][]int{{8}, {8}},
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.Minimum(x[0], x[1]) }},
		{name: "maximum", shapes: [][]int{{8}, {8}},
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.Maximum(x[0], x[1]) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkGrad(t, c) })
	}
}

func TestGradReductions(t *testing.T) {
	cases := []gradCase{
		{name: "sum", shapes: [][]int{{3, 4}},
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.Sum(x[0]) }},
		{name: "mean", shapes: [][]int{{3, 4}},
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.Mean(x[0]) }},
		{name: "sum axis 0", shapes: [][]int{{3, 4, 5}},
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.SumAxis(x[0], 0) }},
		{name: "sum axis 1", shapes: [][]int{{3, 4, 5}},
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.SumAxis(x[0], 1) }},
		{name: "mean last axis", shapes: [][]int{{3, 4, 5}},
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.MeanAxis(x[0], -1) }},
		{name: "softmax", shapes: [][]int{{4, 7}},
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.Softmax(x[0]) }},
		{name: "log softmax", shapes: [][]int{{2, 3, 5}},
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.LogSoftmax(x[0]) }},
		{name: "cross entropy ignore", shapes: [][]int{{5, 6}},
			f: func(tp *Tape, x []*Tensor) *Tensor {
				return tp.CrossEntropy(x[0], []int32{1, -1, 5, 0, -1})
			}},
		{name: "log prob gather", shapes: [][]int{{4, 9}},
			f: func(tp *Tape, x []*Tensor) *Tensor {
				return tp.LogProbGather(x[0], []int32{8, 0, 3, 3})
			}},
		{name: "rmsnorm", shapes: [][]int{{3, 8}, {8}},
			f: func(tp *Tape, x []*Tensor) *Tensor {
				return tp.RMSNorm(x[0], x[1], 1e-6)
			}},
		{name: "layernorm", shapes: [][]int{{3, 8}, {8}, {8}},
			f: func(tp *Tape, x []*Tensor) *Tensor {
				return tp.LayerNorm(x[0], x[1], x[2], 1e-5)
			}},
		{name: "layernorm no bias", shapes: [][]int{{2, 5}, {5}},
			f: func(tp *Tape, x []*Tensor) *Tensor {
				return tp.LayerNorm(x[0], x[1], nil, 1e-5)
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkGrad(t, c) })
	}
}

func TestGradMatMul(t *testing.T) {
	mm := func(ta, tb bool) func(tp *Tape, x []*Tensor) *Tensor {
		return func(tp *Tape, x []*Tensor) *Tensor {
			return tp.MatMul(x[0], x[1], ta, tb)
		}
	}
	cases := []gradCase{
		{name: "AB", shapes: [][]int{{3, 5}, {5, 7}}, f: mm(false, false)},
		{name: "ABt", shapes: [][]int{{3, 5}, {7, 5}}, f: mm(false, true)},
		{name: "AtB", shapes: [][]int{{5, 3}, {5, 7}}, f: mm(true, false)},
		{name: "AtBt", shapes: [][]int{{5, 3}, {7, 5}}, f: mm(true, true)},
		{name: "flattened rows", shapes: [][]int{{2, 3, 4}, {6, 4}},
			f: mm(false, true)},
		{name: "batched", shapes: [][]int{{2, 3, 4}, {2, 4, 5}},
			f: mm(false, false)},
		{name: "batched t", shapes: [][]int{{2, 4, 3}, {2, 5, 4}},
			f: mm(true, true)},
		{name: "1x1", shapes: [][]int{{1, 1}, {1, 1}}, f: mm(false, false)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkGrad(t, c) })
	}
}

func TestGradIndexAndShape(t *testing.T) {
	cases := []gradCase{
		{name: "embedding repeated ids", shapes: [][]int{{5, 3}},
			f: func(tp *Tape, x []*Tensor) *Tensor {
				return tp.Embedding(x[0], []int32{4, 1, 4, 0})
			}},
		{name: "gather rows", shapes: [][]int{{4, 3}},
			f: func(tp *Tape, x []*Tensor) *Tensor {
				return tp.GatherRows(x[0], []int32{2, 2, 3})
			}},
		{name: "scatter add rows", shapes: [][]int{{4, 3}},
			f: func(tp *Tape, x []*Tensor) *Tensor {
				return tp.ScatterAddRows(x[0], []int32{1, 0, 1, 4}, 5)
			}},
		{name: "gather cols", shapes: [][]int{{3, 5}},
			f: func(tp *Tape, x []*Tensor) *Tensor {
				return tp.GatherCols(x[0], []int32{4, 0, 1, 2, 3, 3}, 2)
			}},
		{name: "concat", shapes: [][]int{{2, 3}, {2, 1}, {2, 4}},
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.Concat(x...) }},
		{name: "slice", shapes: [][]int{{3, 6}},
			f: func(tp *Tape, x []*Tensor) *Tensor { return tp.Slice(x[0], 1, 4) }},
		{name: "split", shapes: [][]int{{3, 6}},
			f: func(tp *Tape, x []*Tensor) *Tensor {
				p := tp.Split(x[0], 2, 4)
				return tp.Concat(tp.Scale(p[1], 3), p[0])
			}},
		{name: "reshape", shapes: [][]int{{2, 6}},
			f: func(tp *Tape, x []*Tensor) *Tensor {
				return tp.Exp(tp.Reshape(x[0], 3, -1))
			}},
		{name: "transpose last two", shapes: [][]int{{2, 3, 4}},
			f: func(tp *Tape, x []*Tensor) *Tensor {
				return tp.Transpose(x[0], -2, -1)
			}},
		{name: "transpose 1 2", shapes: [][]int{{2, 3, 4, 5}},
			f: func(tp *Tape, x []*Tensor) *Tensor {
				return tp.Transpose(x[0], 1, 2)
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkGrad(t, c) })
	}
}

func TestGradRoPEAndAttention(t *testing.T) {
	tab := NewRoPETable(6, 16, 10000)
	att := func(o AttnOptions) func(tp *Tape, x []*Tensor) *Tensor {
		return func(tp *Tape, x []*Tensor) *Tensor {
			return tp.Attention(x[0], x[1], x[2], o)
		}
	}
	cases := []gradCase{
		{name: "rope offset", shapes: [][]int{{2, 3, 2, 6}},
			f: func(tp *Tape, x []*Tensor) *Tensor {
				return tp.RoPE(x[0], tab, Positions(2, 3, 5))
			}},
		{name: "attention causal dk!=dv",
			shapes: [][]int{{2, 2, 5, 6}, {2, 2, 5, 6}, {2, 2, 5, 3}},
			f:      att(AttnOptions{Causal: true})},
		{name: "attention full",
			shapes: [][]int{{1, 2, 3, 4}, {1, 2, 3, 4}, {1, 2, 3, 4}},
			f:      att(AttnOptions{Scale: 0.7})},
		{name: "attention bthd offset",
			shapes: [][]int{{2, 2, 3, 4}, {2, 5, 3, 4}, {2, 5, 3, 2}},
			f:      att(AttnOptions{Causal: true, Offset: 3, BTHD: true})},
		{name: "attention segments",
			shapes: [][]int{{2, 1, 4, 3}, {2, 1, 4, 3}, {2, 1, 4, 3}},
			f: att(AttnOptions{Causal: true,
				Segments: []int32{0, 0, 1, 1, 0, 1, 1, 1}})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkGrad(t, c) })
	}
}
