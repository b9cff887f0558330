package optim

import (
	"math"
	"testing"

	"github.com/tinyseek/tinyseek/autograd"
)

// TestAdamWMatchesHandComputedSteps checks two updates against the
// formula evaluated in float64 (the values PyTorch's AdamW produces for
// the same inputs, since it uses the same update).
func TestAdamWMatchesHandComputedSteps(t *testing.T) {
	w := autograd.NewParam("w", 2, 2)
	copy(w.Data, []float32{1, -2, 0.5, 3})
	o := NewAdamW([]*autograd.Tensor{w}, DefaultAdamW(), nil)
	grads := [][]float64{{0.1, -0.2, 0.3, 0}, {-0.1, 0.4, 0.3, 1}}

	p := []float64{1, -2, 0.5, 3}
	m, v := make([]float64, 4), make([]float64, 4)
	const lr, b1, b2, eps, wd = 1e-2, 0.9, 0.95, 1e-8, 0.1
	for s, g := range grads {
		for j := range g {
			w.Grad[j] = float32(g[j])
			p[j] *= 1 - lr*wd
			m[j] = b1*m[j] + (1-b1)*g[j]
			v[j] = b2*v[j] + (1-b2)*g[j]*g[j]
			mh := m[j] / (1 - math.Pow(b1, float64(s+1)))
			vh := v[j] / (1 - math.Pow(b2, float64(s+1)))
			p[j] -= lr * mh / (math.Sqrt(vh) + eps)
		}
		o.Step(lr)
	}
	for j := range p {
		if math.Abs(float64(w.Data[j])-p[j]) > 1e-6 {
			t.Fatalf("w = %v, want %v", w.Data, p)
		}
	}
}

func TestNoDecayOnVectors(t *testing.T) {
	norm := autograd.NewParam("norm", 3)
	norm.Fill(1)
	o := NewAdamW([]*autograd.Tensor{norm}, DefaultAdamW(), nil)
	o.Step(1) // zero gradient: only decay could move it
	for _, v := range norm.Data {
		if v != 1 {
			t.Fatalf("norm weight decayed to %v", norm.Data)
		}
	}
}

func TestScheduleShape(t *testing.T) {
	s := Schedule{MaxLR: 1, MinLR: 0.1, WarmupSteps: 10, TotalSteps: 110}
	cases := []struct {
		step int
		want float64
	}{{0, 0.1}, {4, 0.5}, {9, 1}, {10, 1}, {60, 0.55}, {110, 0.1},
		{500, 0.1}}
	for _, c := range cases {
		if got := s.LR(c.step); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("LR(%d) = %v, want %v", c.step, got, c.want)
		}
	}
}

func TestClipGradNorm(t *testing.T) {
	a := autograd.NewParam("a", 2)
	b := autograd.NewParam("b", 1)
	copy(a.Grad, []float32{3, 0})
	b.Grad[0] = 4
	ps := []*autograd.Tensor{a, b}
	if n := ClipGradNorm(ps, 10); n != 5 || a.Grad[0] != 3 {
		t.Fatalf("norm %v, grads %v: clipped below the limit", n, a.Grad)
	}
	if n := ClipGradNorm(ps, 1); n != 5 {
		t.Fatalf("norm %v, want 5", n)
	}
	if got := ClipGradNorm(ps, 0); math.Abs(got-1) > 1e-5 {
		t.Fatalf("norm after clipping %v, want 1", got)
	}
}
