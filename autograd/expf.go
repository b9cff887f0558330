package autograd

import "math"

// expf is e^x in float32, about 3× faster than math.Exp through
// float64, within 2 ulp of the correctly rounded result (tested against
// math.Exp). It reduces x = k·ln2 + r with |r| ≤ ln2/2, evaluates a
// degree-6 minimax polynomial for e^r (Cephes' expf coefficients) and
// scales by 2^k through the exponent bits. Results below the smallest
// normal float32 flush to 0.
//
// The ops no longer call it in their loops: softmax, log-sum-exp,
// cross-entropy and the sigmoid family run kernels.ExpShiftSum,
// AxpyExpShift, SigmoidTo and SwiGLUForward, the same reduction and
// polynomial in 16 AVX-512 or 8 AVX2 lanes (those underflow gradually
// instead of flushing). expf stays as the scalar form for callers
// that need a single value.
func expf(x float32) float32 {
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693359375
		ln2lo = -2.12194440e-4
	)
	switch {
	case x != x:
		return x
	case x > 88.72283:
		return float32(math.Inf(1))
	case x < -87.33654:
		return 0
	}
	// Round x·log2(e) to the nearest integer; the conversion truncates
	// toward zero, hence the sign-dependent half.
	t := x * log2e
	if t < 0 {
		t -= 0.5
	} else {
		t += 0.5
	}
	ki := int32(t)
	k := float32(ki)
	r := x - k*ln2hi - k*ln2lo
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	y := p*r*r + r + 1
	// 2^k in two halves, so that k = 128 near the top does not
	// overflow the exponent field.
	k1 := ki / 2
	return y * math.Float32frombits(uint32(k1+127)<<23) *
		math.Float32frombits(uint32(ki-k1+127)<<23)
}
