package rlhf

import "math"

// GAE returns the advantages and returns of one response of L tokens
// (Schulman et al. 2015): δ_t = r_t + γ·V_{t+1} − V_t with V_L = 0,
// A_t = δ_t + γλ·A_{t+1}, return_t = A_t + V_t.
func GAE(rewards, values []float64, gamma, lambda float64) (adv,
	ret []float64) {
	L := len(rewards)
	adv, ret = make([]float64, L), make([]float64, L)
	next, nextV := 0.0, 0.0
	for t := L - 1; t >= 0; t-- {
		delta := rewards[t] + gamma*nextV - values[t]
		next = delta + gamma*lambda*next
		adv[t], ret[t] = next, next+values[t]
		nextV = values[t]
	}
	return adv, ret
}

// Whiten shifts and scales x in place to mean 0 and variance 1. With
// fewer than 2 values, or no spread, it leaves x alone.
func Whiten(x []float64) {
	if len(x) < 2 {
		return
	}
	mean, v := meanVar(x)
	if v <= 0 {
		return
	}
	s := 1 / math.Sqrt(v+1e-8)
	for i := range x {
		x[i] = (x[i] - mean) * s
	}
}

// meanVar is the mean and (population) variance of x.
func meanVar(x []float64) (mean, variance float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		variance += (v - mean) * (v - mean)
	}
	return mean, variance / float64(len(x))
}

// ExplainedVariance is 1 − Var(ret − v)/Var(ret): 1 for a perfect
// critic, 0 for one that predicts the mean, NaN without spread.
func ExplainedVariance(v, ret []float64) float64 {
	d := make([]float64, len(v))
	for i := range v {
		d[i] = ret[i] - v[i]
	}
	_, vr := meanVar(ret)
	_, vd := meanVar(d)
	return 1 - vd/vr
}

// KLController is the KL coefficient β: fixed, or adapted toward a
// target KL as in Ziegler et al. 2019,
// β ← β·(1 + clip(KL/target − 1, −0.2, 0.2)·n/horizon).
type KLController struct {
	Coef     float64
	Adaptive bool
	Target   float64
	Horizon  float64
}

// Update adapts β after a batch of n responses whose mean KL to the
// reference (summed over tokens) was kl.
func (c *KLController) Update(kl float64, n int) {
	if !c.Adaptive || c.Target <= 0 {
		return
	}
	e := min(max(kl/c.Target-1, -0.2), 0.2)
	c.Coef *= 1 + e*float64(n)/c.Horizon
}

func exp64(x float64) float64 { return math.Exp(x) }
func log64(x float64) float64 { return math.Log(x) }
