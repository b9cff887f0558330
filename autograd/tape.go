package autograd

import (
	"fmt"
	"math/rand/v2"
)

// Tape records operations for the backward pass and owns the arena their
// buffers come from. The zero value is not usable; call NewTape or
// NewInference.
type Tape struct {
	record bool
	train  bool
	nodes  []node

	// Arena: free lists by size class, what this step handed out for
	// values, and the gradient buffers still held (nil once released).
	free  map[int][][]float32
	used  [][]float32
	grads [][]float32

	// rng drives dropout; seeded so runs are reproducible.
	rng *rand.Rand

	// paramGrads, when set, receives parameter gradients instead of the
	// parameters' own buffers (see RedirectGrads).
	paramGrads map[*Tensor][]float32
}

type node struct {
	out  *Tensor
	back func()
}

// NewTape returns a recording tape in train mode whose buffers are
// recycled by Reset.
func NewTape() *Tape {
	return &Tape{
		record: true, train: true,
		free: map[int][][]float32{},
		rng:  rand.New(rand.NewPCG(1, 2)),
	}
}

// NewInference returns a tape that records nothing, keeps no
// intermediates and runs in eval mode (dropout off).
func NewInference() *Tape {
	return &Tape{rng: rand.New(rand.NewPCG(1, 2))}
}

// Recording reports whether ops are recorded for Backward.
func (tp *Tape) Recording() bool { return tp.record }

// Training reports whether dropout is active.
func (tp *Tape) Training() bool { return tp.train }

// SetTrain switches between train mode (dropout on) and eval mode.
func (tp *Tape) SetTrain(on bool) { tp.train = on }

// SeedDropout reseeds the dropout generator.
func (tp *Tape) SeedDropout(seed uint64) {
	tp.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// Len is the number of recorded ops.
func (tp *Tape) Len() int { return len(tp.nodes) }

// Reset forgets the recorded graph and returns every arena buffer handed
// out since the last Reset. Tensors made on this tape must not be used
// afterwards.
func (tp *Tape) Reset() {
	clear(tp.nodes)
	tp.nodes = tp.nodes[:0]
	for _, b := range tp.used {
		tp.free[cap(b)] = append(tp.free[cap(b)], b[:cap(b)])
	}
	clear(tp.used)
	tp.used = tp.used[:0]
	for _, b := range tp.grads {
		if b != nil {
			tp.free[cap(b)] = append(tp.free[cap(b)], b[:cap(b)])
		}
	}
	clear(tp.grads)
	tp.grads = tp.grads[:0]
}

// Backward seeds d(loss)/d(loss) = 1 and runs every recorded VJP in
// reverse order. Gradients accumulate into parameters; call ZeroGrad
// between optimizer steps.
func (tp *Tape) Backward(loss *Tensor) {
	if len(loss.Data) != 1 {
		panic(fmt.Sprintf("autograd: Backward needs a scalar, got %v",
			loss.Shape))
	}
	if !loss.requiresGrad {
		panic("autograd: Backward of a loss that needs no gradient")
	}
	tp.gradOf(loss)[0] += 1
	for i := len(tp.nodes) - 1; i >= 0; i-- {
		n := tp.nodes[i]
		if n.out.Grad != nil && n.back != nil {
			n.back()
		}
		// Only this node's VJP reads out's gradient, and every op that
		// adds into it ran before (it was recorded later), so the
		// buffer can serve the gradients still to come.
		tp.releaseGrad(n.out)
	}
}

// releaseGrad returns t's gradient buffer to the arena if t owns it
// (parameters and views do not).
func (tp *Tape) releaseGrad(t *Tensor) {
	if t.gradSlot == 0 || tp.free == nil {
		return
	}
	b := tp.grads[t.gradSlot-1]
	tp.grads[t.gradSlot-1] = nil
	tp.free[cap(b)] = append(tp.free[cap(b)], b[:cap(b)])
	t.Grad, t.gradSlot = nil, 0
}

// alloc returns a buffer of n floats with unspecified contents. Arena
// buffers come in size classes (eighths of a power of two), so a tensor
// whose length changes from step to step, such as the tokens routed to
// one expert, still reuses an earlier buffer.
func (tp *Tape) alloc(n int) []float32 {
	if tp.free == nil {
		return make([]float32, n)
	}
	b := tp.take(n)
	tp.used = append(tp.used, b)
	return b
}

// take pops a free buffer of n's size class or makes one.
func (tp *Tape) take(n int) []float32 {
	c := sizeClass(n)
	if l := tp.free[c]; len(l) > 0 {
		b := l[len(l)-1][:n]
		tp.free[c] = l[:len(l)-1]
		return b
	}
	return make([]float32, n, c)
}

// sizeClass rounds n up to a power of two below 1024 and to an eighth
// of the next power of two above, wasting at most 12.5%.
func sizeClass(n int) int {
	p := 1
	for p < n {
		p <<= 1
	}
	if p <= 1024 {
		return p
	}
	step := p / 8
	return (n + step - 1) / step * step
}

// allocZero returns a zeroed buffer of n floats.
func (tp *Tape) allocZero(n int) []float32 {
	b := tp.alloc(n)
	clear(b)
	return b
}

// newTensor returns an uninitialised tensor of the given shape.
func (tp *Tape) newTensor(shape ...int) *Tensor {
	return &Tensor{
		Shape: append([]int(nil), shape...),
		Data:  tp.alloc(numel(shape)),
	}
}

// needs reports whether an op with these inputs must be recorded.
func (tp *Tape) needs(in ...*Tensor) bool {
	if !tp.record {
		return false
	}
	for _, t := range in {
		if t != nil && t.requiresGrad {
			return true
		}
	}
	return false
}

// push records out's VJP. out becomes a tensor that needs a gradient.
func (tp *Tape) push(out *Tensor, back func()) {
	out.requiresGrad = true
	tp.nodes = append(tp.nodes, node{out: out, back: back})
}

// RedirectGrads makes this tape accumulate the gradient of each
// parameter in bufs into the given buffer instead of the parameter's
// Grad. Data-parallel training gives every worker's tape its own
// buffers, then sums them in a fixed order, so parameters can be shared
// between goroutines without a race. nil restores the default.
func (tp *Tape) RedirectGrads(bufs map[*Tensor][]float32) {
	tp.paramGrads = bufs
}

// gradOf returns t's gradient buffer, allocating a zeroed one if needed.
func (tp *Tape) gradOf(t *Tensor) []float32 {
	if t.param && tp.paramGrads != nil {
		if g, ok := tp.paramGrads[t]; ok {
			return g
		}
	}
	if t.Grad == nil {
		if tp.free == nil {
			t.Grad = make([]float32, len(t.Data))
			return t.Grad
		}
		t.Grad = tp.take(len(t.Data))
		clear(t.Grad)
		tp.grads = append(tp.grads, t.Grad)
		t.gradSlot = int32(len(tp.grads))
	}
	return t.Grad
}
