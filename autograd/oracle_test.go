package autograd_test

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	gt "gorgonia.org/tensor"

	"github.com/tinyseek/tinyseek/autograd"
)

// oracleCase builds the same expression in our engine and in gorgonia;
// both are reduced to Σ out·W with the same random W.
type oracleCase struct {
	name   string
	shapes [][]int
	ours   func(tp *autograd.Tape, x []*autograd.Tensor) *autograd.Tensor
	theirs func(x []*G.Node) (*G.Node, error)
	pos    bool // inputs must be positive (log)
}

// TestGradientsMatchGorgonia uses gorgonia v0.9.18's symbolic
// differentiation as an independent oracle for the ops both have.
func TestGradientsMatchGorgonia(t *testing.T) {
	cases := []oracleCase{
		{name: "matmul", shapes: [][]int{{3, 5}, {5, 4}},
			ours: func(tp *autograd.Tape, x []*autograd.Tensor) *autograd.Tensor {
				return tp.MatMul(x[0], x[1], false, false)
			},
			theirs: func(x []*G.Node) (*G.Node, error) { return G.Mul(x[0], x[1]) }},
		{name: "add", shapes: [][]int{{3, 4}, {3, 4}},
			ours: func(tp *autograd.Tape, x []*autograd.Tensor) *autograd.Tensor {
				return tp.Add(x[0], x[1])
			},
			theirs: func(x []*G.Node) (*G.Node, error) { return G.Add(x[0], x[1]) }},
		{name: "mul", shapes: [][]int{{3, 4}, {3, 4}},
			ours: func(tp *autograd.Tape, x []*autograd.Tensor) *autograd.Tensor {
				return tp.Mul(x[0], x[1])
			},
			theirs: func(x []*G.Node) (*G.Node, error) {
				return G.HadamardProd(x[0], x[1])
			}},
		{name: "exp", shapes: [][]int{{2, 5}},
			ours:   unaryOurs((*autograd.Tape).Exp),
			theirs: func(x []*G.Node) (*G.Node, error) { return G.Exp(x[0]) }},
		{name: "log", shapes: [][]int{{2, 5}}, pos: true,
			ours:   unaryOurs((*autograd.Tape).Log),
			theirs: func(x []*G.Node) (*G.Node, error) { return G.Log(x[0]) }},
		{name: "tanh", shapes: [][]int{{2, 5}},
			ours:   unaryOurs((*autograd.Tape).Tanh),
			theirs: func(x []*G.Node) (*G.Node, error) { return G.Tanh(x[0]) }},
		{name: "sigmoid", shapes: [][]int{{2, 5}},
			ours:   unaryOurs((*autograd.Tape).Sigmoid),
			theirs: func(x []*G.Node) (*G.Node, error) { return G.Sigmoid(x[0]) }},
		{name: "softmax", shapes: [][]int{{3, 6}},
			ours:   unaryOurs((*autograd.Tape).Softmax),
			theirs: func(x []*G.Node) (*G.Node, error) { return G.SoftMax(x[0]) }},
		{name: "sum then scale", shapes: [][]int{{3, 4}},
			ours: func(tp *autograd.Tape, x []*autograd.Tensor) *autograd.Tensor {
				return tp.Reshape(tp.Sum(tp.Exp(x[0])), 1, 1)
			},
			theirs: func(x []*G.Node) (*G.Node, error) {
				e, err := G.Exp(x[0])
				if err != nil {
					return nil, err
				}
				s, err := G.Sum(e)
				if err != nil {
					return nil, err
				}
				return G.Reshape(s, gt.Shape{1, 1})
			}},
		{name: "mean axis 0", shapes: [][]int{{3, 4}},
			ours: func(tp *autograd.Tape, x []*autograd.Tensor) *autograd.Tensor {
				return tp.MeanAxis(tp.Mul(x[0], x[0]), 0)
			},
			theirs: func(x []*G.Node) (*G.Node, error) {
				sq, err := G.HadamardProd(x[0], x[0])
				if err != nil {
					return nil, err
				}
				return G.Mean(sq, 0)
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { compareWithGorgonia(t, c) })
	}
}

func unaryOurs(f func(*autograd.Tape, *autograd.Tensor) *autograd.Tensor,
) func(*autograd.Tape, []*autograd.Tensor) *autograd.Tensor {
	return func(tp *autograd.Tape, x []*autograd.Tensor) *autograd.Tensor {
		return f(tp, x[0])
	}
}

func compareWithGorgonia(t *testing.T, c oracleCase) {
	r := rand.New(rand.NewPCG(3, uint64(len(c.name))))
	xs := make([]*autograd.Tensor, len(c.shapes))
	for i, s := range c.shapes {
		xs[i] = autograd.NewParam("x", s...)
		xs[i].FillNormal(r, 1)
		if c.pos {
			for j := range xs[i].Data {
				xs[i].Data[j] = 0.5 + r.Float32()
			}
		}
	}

	// Ours.
	tp := autograd.NewTape()
	out := c.ours(tp, xs)
	w := autograd.New(make([]float32, out.Size()), out.Shape...)
	w.FillNormal(r, 1)
	tp.Backward(tp.Sum(tp.Mul(out, w)))

	// Theirs: the same expression on gorgonia's graph.
	g := G.NewGraph()
	nodes := make([]*G.Node, len(xs))
	for i, x := range xs {
		val := gt.New(gt.WithShape(x.Shape...),
			gt.WithBacking(append([]float32(nil), x.Data...)))
		nodes[i] = G.NewTensor(g, gt.Float32, len(x.Shape),
			G.WithShape(x.Shape...), G.WithValue(val), G.WithName(
				string(rune('a'+i))))
	}
	res, err := c.theirs(nodes)
	must(t, err)
	// Later ops may reuse res's buffer, so copy its value out as it
	// is computed.
	var resVal G.Value
	G.Read(res, &resVal)
	flat, err := G.Reshape(res, gt.Shape{out.Size()})
	must(t, err)
	wn := G.NewVector(g, gt.Float32, G.WithShape(out.Size()),
		G.WithValue(gt.New(gt.WithShape(out.Size()),
			gt.WithBacking(append([]float32(nil), w.Data...)))),
		G.WithName("w"))
	prod, err := G.HadamardProd(flat, wn)
	must(t, err)
	cost, err := G.Sum(prod)
	must(t, err)
	_, err = G.Grad(cost, nodes...)
	must(t, err)
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	must(t, vm.RunAll())

	// Values and gradients agree to float32 rounding.
	got := resVal.Data().([]float32)
	for i, v := range got {
		assertClose(t, "value", i, out.Data[i], v)
	}
	for i, n := range nodes {
		gv, err := n.Grad()
		must(t, err)
		for j, v := range gv.Data().([]float32) {
			assertClose(t, "grad of input "+string(rune('a'+i)), j,
				xs[i].Grad[j], v)
		}
	}
}

func assertClose(t *testing.T, what string, i int, ours, theirs float32) {
	t.Helper()
	d := math.Abs(float64(ours - theirs))
	if d > 1e-5+1e-4*math.Abs(float64(theirs)) {
		t.Fatalf("%s[%d]: ours %v, gorgonia %v", what, i, ours, theirs)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
