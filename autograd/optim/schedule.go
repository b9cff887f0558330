package optim

import (
	"math"

	"github.com/tinyseek/tinyseek/autograd"
)

// Schedule is linear warmup to MaxLR over WarmupSteps, then cosine
// decay to MinLR at TotalSteps, then MinLR.
type Schedule struct {
	MaxLR, MinLR            float64
	WarmupSteps, TotalSteps int
}

// LR returns the learning rate for step (0-based).
func (s Schedule) LR(step int) float64 {
	if step < s.WarmupSteps {
		return s.MaxLR * float64(step+1) / float64(s.WarmupSteps)
	}
	if step >= s.TotalSteps {
		return s.MinLR
	}
	span := s.TotalSteps - s.WarmupSteps
	if span <= 0 {
		return s.MaxLR
	}
	frac := float64(step-s.WarmupSteps) / float64(span)
	return s.MinLR + 0.5*(1+math.Cos(math.Pi*frac))*(s.MaxLR-s.MinLR)
}

// ClipGradNorm scales every gradient so that their global L2 norm is at
// most maxNorm, and returns the norm before clipping. maxNorm ≤ 0 only
// measures.
func ClipGradNorm(params []*autograd.Tensor, maxNorm float64) float64 {
	var ss float64
	for _, p := range params {
		for _, g := range p.Grad {
			ss += float64(g) * float64(g)
		}
	}
	norm := math.Sqrt(ss)
	if maxNorm > 0 && norm > maxNorm {
		s := float32(maxNorm / (norm + 1e-6))
		for _, p := range params {
			for j := range p.Grad {
				p.Grad[j] *= s
			}
		}
	}
	return norm
}
