package optim

import (
	"fmt"
	"math"

	"github.com/tinyseek/tinyseek/autograd"
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

// Step applies one AdamW update at learning rate lr.
func (o *AdamW) Step(lr float64) {
	o.Steps++
	c := o.Config
	bc1 := 1 - math.Pow(c.Beta1, float64(o.Steps))
	bc2 := 1 - math.Pow(c.Beta2, float64(o.Steps))
	for i, p := range o.Params {
		wd := 0.0
		if o.Decay[i] {
			wd = c.WeightDecay
		}
		adamwUpdate(p.Data, p.Grad, o.M[i], o.V[i], float32(lr),
			float32(c.Beta1), float32(c.Beta2), float32(c.Eps),
			float32(wd), float32(bc1), float32(bc2))
	}
}

// adamwUpdate is the fused per-element update:
//
//	p ← p − lr·wd·p
//	m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//	p ← p − lr·(m/bc1) / (√(v/bc2) + eps)
func adamwUpdate(p, g, m, v []float32, lr, b1, b2, eps, wd, bc1,
	bc2 float32) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	decay := 1 - lr*wd
	step := lr / bc1
	ibc2 := 1 / bc2
	for j := range p {
		gj := g[j]
		mj := b1*m[j] + (1-b1)*gj
		vj := b2*v[j] + (1-b2)*gj*gj
		m[j], v[j] = mj, vj
		den := float32(math.Sqrt(float64(vj*ibc2))) + eps
		p[j] = p[j]*decay - step*mj/den
	}
}

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
