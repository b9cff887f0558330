package optim

import (
	"fmt"
	"math"
	"sync"

	"github.com/tinyseek/tinyseek/autograd"
	"github.com/tinyseek/tinyseek/autograd/kernels"
)

// AdamWConfig holds AdamW's hyper-parameters.
type AdamWConfig struct {
	Beta1       float64 // first-moment decay, default 0.9
	Beta2       float64 // second-moment decay, default 0.95
	Eps         float64 // denominator guard, default 1e-8
	WeightDecay float64 // decoupled decay for matrices, default 0.1
}

// DefaultAdamW is the nanoGPT-style setting.
func DefaultAdamW() AdamWConfig {
	return AdamWConfig{Beta1: 0.9, Beta2: 0.95, Eps: 1e-8,
		WeightDecay: 0.1}
}

// AdamW is the optimizer state: one moment pair per parameter.
type AdamW struct {
	Config AdamWConfig
	Params []*autograd.Tensor
	// Decay says, per parameter, whether weight decay applies.
	Decay []bool
	M, V  [][]float32
	// Steps counts updates taken, for bias correction.
	Steps int
}

// NewAdamW prepares moments for params. decay(p) selects the parameters
// that get weight decay; nil means every parameter with two or more
// dimensions (matrices), the usual rule that spares norms and biases.
func NewAdamW(params []*autograd.Tensor, cfg AdamWConfig,
	decay func(p *autograd.Tensor) bool) *AdamW {
	if decay == nil {
		decay = func(p *autograd.Tensor) bool { return len(p.Shape) >= 2 }
	}
	o := &AdamW{Config: cfg, Params: params}
	for _, p := range params {
		o.Decay = append(o.Decay, decay(p))
		o.M = append(o.M, make([]float32, p.Size()))
		o.V = append(o.V, make([]float32, p.Size()))
	}
	return o
}

// Step applies one AdamW update at learning rate lr. The update is
// elementwise, so it runs the vector kernel and cuts parameters of
// more than splitSize values in two halves, one on a second goroutine;
// every element sees the same operations either way, so the result is
// bitwise the same as a serial loop.
func (o *AdamW) Step(lr float64) {
	o.Steps++
	c := o.Config
	bc1 := 1 - math.Pow(c.Beta1, float64(o.Steps))
	bc2 := 1 - math.Pow(c.Beta2, float64(o.Steps))
	var wg sync.WaitGroup
	for i, p := range o.Params {
		wd := 0.0
		if o.Decay[i] {
			wd = c.WeightDecay
		}
		update := func(lo, hi int) {
			kernels.AdamWVector(p.Data[lo:hi], p.Grad[lo:hi],
				o.M[i][lo:hi], o.V[i][lo:hi], float32(lr),
				float32(c.Beta1), float32(c.Beta2), float32(c.Eps),
				float32(wd), float32(bc1), float32(bc2))
		}
		n := len(p.Data)
		if n <= splitSize {
			update(0, n)
			continue
		}
		half := n / 2 &^ 15
		wg.Go(func() { update(half, n) })
		update(0, half)
	}
	wg.Wait()
}

// splitSize is the parameter size above which Step uses two
// goroutines: large enough that starting one costs under 1%.
const splitSize = 1 << 16

// CheckNames verifies that moments loaded from a checkpoint line up
// with the parameters, by count and size.
func (o *AdamW) CheckNames(names []string, sizes []int) error {
	if len(names) != len(o.Params) {
		return fmt.Errorf("optim: checkpoint has %d moment pairs, "+
			"model has %d parameters", len(names), len(o.Params))
	}
	for i, p := range o.Params {
		if names[i] != p.Name || sizes[i] != p.Size() {
			return fmt.Errorf("optim: moment %d is %s (%d values), "+
				"parameter is %s (%d)", i, names[i], sizes[i], p.Name,
				p.Size())
		}
	}
	return nil
}
