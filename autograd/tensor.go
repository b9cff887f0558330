package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Tensor is a row-major float32 array. Grad is nil until a gradient
// reaches the tensor (intermediates) or from creation (parameters).
type Tensor struct {
	Shape []int
	Data  []float32
	Grad  []float32

	// Name labels parameters in checkpoints and error messages.
	Name string

	requiresGrad bool
	param        bool
	// gradSlot is 1 + the index of Grad among its tape's gradient
	// buffers, or 0 when the tensor does not own its gradient.
	gradSlot int32
}

// New wraps data in a tensor of the given shape. It panics when the
// shape does not hold exactly len(data) elements.
func New(data []float32, shape ...int) *Tensor {
	if numel(shape) != len(data) {
		panic(fmt.Sprintf("autograd: New: shape %v holds %d elements, "+
			"data has %d", shape, numel(shape), len(data)))
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: data}
}

// Zeros returns a tensor of zeros; it needs no gradient.
func Zeros(shape ...int) *Tensor {
	return New(make([]float32, numel(shape)), shape...)
}

// NewParam returns a zero-initialised parameter with its gradient buffer.
func NewParam(name string, shape ...int) *Tensor {
	n := numel(shape)
	return &Tensor{
		Shape: append([]int(nil), shape...), Name: name,
		Data: make([]float32, n), Grad: make([]float32, n),
		requiresGrad: true, param: true,
	}
}

// AsParam turns t into a parameter: it will receive gradients.
func (t *Tensor) AsParam(name string) *Tensor {
	t.Name, t.requiresGrad, t.param = name, true, true
	if t.Grad == nil {
		t.Grad = make([]float32, len(t.Data))
	}
	return t
}

// RequiresGrad reports whether gradients flow into t.
func (t *Tensor) RequiresGrad() bool { return t.requiresGrad }

// IsParam reports whether t is a parameter (a leaf that keeps its grad).
func (t *Tensor) IsParam() bool { return t.param }

// Size is the number of elements.
func (t *Tensor) Size() int { return len(t.Data) }

// Cols is the length of the last dimension.
func (t *Tensor) Cols() int { return t.Shape[len(t.Shape)-1] }

// Rows is the product of every dimension but the last.
func (t *Tensor) Rows() int { return len(t.Data) / t.Cols() }

// Item returns the single value of a one-element tensor.
func (t *Tensor) Item() float32 {
	if len(t.Data) != 1 {
		panic(fmt.Sprintf("autograd: Item of shape %v", t.Shape))
	}
	return t.Data[0]
}

// ZeroGrad clears the gradient buffer, if any.
func (t *Tensor) ZeroGrad() { clear(t.Grad) }

// FillNormal fills t with N(0, std²) samples drawn from r.
func (t *Tensor) FillNormal(r *rand.Rand, std float64) {
	for i := range t.Data {
		t.Data[i] = float32(r.NormFloat64() * std)
	}
}

// Fill sets every element to v.
func (t *Tensor) Fill(v float32) {
	for i := range t.Data {
		t.Data[i] = v
	}
}

// String prints the shape and, for small tensors, the values.
func (t *Tensor) String() string {
	if len(t.Data) <= 16 {
		return fmt.Sprintf("Tensor%v%v", t.Shape, t.Data)
	}
	return fmt.Sprintf("Tensor%v", t.Shape)
}

// AllFinite reports whether every value of xs is neither NaN nor ±Inf.
// The trainer calls it on the loss and the gradients each step; it is a
// single pass with no allocation.
func AllFinite(xs []float32) bool {
	for _, v := range xs {
		// v-v is 0 for finite v and NaN for NaN or ±Inf.
		if v-v != 0 {
			return false
		}
	}
	return true
}

// GradsFinite reports whether every parameter's gradient is finite.
func GradsFinite(params []*Tensor) bool {
	for _, p := range params {
		if !AllFinite(p.Grad) {
			return false
		}
	}
	return true
}

// ZeroGrads clears the gradients of params.
func ZeroGrads(params []*Tensor) {
	for _, p := range params {
		p.ZeroGrad()
	}
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("autograd: negative dimension in %v", shape))
		}
		n *= d
	}
	return n
}

func sameShape(a, b []int) bool { return slices.Equal(a, b) }

func isFiniteF64(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func shapeStr(t *Tensor) string { return fmt.Sprint(t.Shape) }
