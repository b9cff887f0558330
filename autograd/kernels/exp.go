package kernels

import "math"

// The exponential behind every exp-based kernel, written once in scalar
// Go (Exp, the portable loops and the tails of the AVX2 loops) and twice
// in assembly (16 AVX-512 lanes, 8 AVX2 lanes), all the same way:
//
//  1. Clamp x to [expLo, expHi]: NaN passes through, +Inf and anything
//     above 89 become +Inf at the end, −Inf and anything below −104
//     become 0.
//  2. k = round-to-even(x·log2 e), r = x − k·ln2 with ln2 split in a
//     short head (k·ln2hi is exact) and a tail, so |r| ≤ ln2/2.
//  3. e^r ≈ 1 + r + r²·P(r), P of degree 5 (Cephes' expf minimax).
//  4. Scale by 2^k: AVX-512 with VSCALEFPS, the others by two powers of
//     two built in the exponent bits (k = k1 + k2 keeps each factor a
//     normal float even at k = 128 or −150).
//
// Results below the smallest normal float32 (x < −87.34) underflow
// gradually to subnormals and reach 0 near x = −103.97; they are not
// flushed. The error is at most 2 ulp over the normal range (tested
// against math.Exp on a dense sweep).
const (
	expHi  = 89
	expLo  = -104
	log2e  = 1.44269504088896341
	ln2hi  = 0.693359375
	ln2lo  = -2.12194440e-4
	expC0  = 1.9875691500e-4
	expC1  = 1.3981999507e-3
	expC2  = 8.3334519073e-3
	expC3  = 4.1665795894e-2
	expC4  = 1.6666665459e-1
	expC5  = 5.0000001201e-1
	rndMag = 12582912 // 1.5·2^23: adding it rounds to an integer
)

// expTab holds the constants of the vector exp, eight copies each so
// that AVX2 code can use them as 32-byte memory operands and AVX-512
// code can broadcast the first. Offsets (×32 bytes) are fixed in
// exp_amd64.s.
var expTab = func() (t [13][8]float32) {
	vals := [13]float32{expHi, expLo, log2e, ln2hi, ln2lo, expC0, expC1,
		expC2, expC3, expC4, expC5, 1, math.Float32frombits(127)}
	for i, v := range vals {
		for j := range t[i] {
			t[i][j] = v
		}
	}
	return t
}()

// Exp returns e^x in float32, the scalar twin of the vector kernels
// (same reduction and polynomial, without FMA). NaN gives NaN.
func Exp(x float32) float32 {
	// Plain comparisons, not min/max: NaN fails both and passes
	// through, and the branches predict well on real data.
	if x > expHi {
		x = expHi
	} else if x < expLo {
		x = expLo
	}
	k := float32(x*log2e) + rndMag
	k -= rndMag
	r := x - k*ln2hi
	r -= k * ln2lo
	p := float32(expC0)
	p = p*r + expC1
	p = p*r + expC2
	p = p*r + expC3
	p = p*r + expC4
	p = p*r + expC5
	y := (p*r)*r + r + 1
	ki := int32(k)
	k1 := ki >> 1
	k2 := ki - k1
	y *= math.Float32frombits(uint32(k1+127) << 23)
	return y * math.Float32frombits(uint32(k2+127)<<23)
}

// ExpTo writes e^x[i] into dst[i]. It panics if the lengths differ.
func ExpTo(dst, x []float32) {
	if len(dst) != len(x) {
		panic("kernels: ExpTo length mismatch")
	}
	if len(x) > 0 {
		expShiftSum(dst, x, 0)
	}
}

// ExpShiftSum writes y[i] = e^(x[i]−m) and returns Σ y[i], summed in
// float32 lanes. With m = max(x), as softmax and log-sum-exp use it,
// every term is in (0, 1] and the sum cannot overflow. It panics if
// the lengths differ.
func ExpShiftSum(y, x []float32, m float32) float32 {
	if len(y) != len(x) {
		panic("kernels: ExpShiftSum length mismatch")
	}
	if len(x) == 0 {
		return 0
	}
	return expShiftSum(y, x, m)
}

// SumExpShift returns Σ e^(x[i]−m) without storing the terms; it runs
// ExpShiftSum over chunks into a stack buffer that stays in L1.
func SumExpShift(x []float32, m float32) float32 {
	var buf [512]float32
	var s float32
	for i := 0; i < len(x); i += len(buf) {
		n := min(len(buf), len(x)-i)
		s += expShiftSum(buf[:n], x[i:i+n], m)
	}
	return s
}

// AxpyExpShift adds alpha·e^(x[i]−m) to y[i]: the softmax term of a
// cross-entropy or log-softmax gradient, without a temporary. It panics
// if the lengths differ.
func AxpyExpShift(y []float32, alpha float32, x []float32, m float32) {
	if len(y) != len(x) {
		panic("kernels: AxpyExpShift length mismatch")
	}
	if len(x) > 0 {
		axpyExpShift(y, alpha, x, m)
	}
}

// Max returns the largest element of x: −Inf for an empty slice, NaN
// if any element is NaN (as the max builtin does).
func Max(x []float32) float32 {
	if len(x) == 0 {
		return float32(math.Inf(-1))
	}
	return maxOf(x)
}

// SigmoidTo writes σ(x[i]) = 1/(1+e^−x[i]) into dst[i]. It saturates
// to exactly 0 below x ≈ −88.7 and to 1 above x ≈ 17. It panics if the
// lengths differ.
func SigmoidTo(dst, x []float32) {
	if len(dst) != len(x) {
		panic("kernels: SigmoidTo length mismatch")
	}
	if len(x) > 0 {
		sigmoidTo(dst, x)
	}
}

// SwiGLUForward computes the gated unit of a SwiGLU MLP: sig[i] =
// σ(a[i]) and out[i] = a[i]·sig[i]·b[i]. sig may be nil when backward
// will not run. It panics if the lengths differ.
func SwiGLUForward(out, sig, a, b []float32) {
	n := len(out)
	if len(a) != n || len(b) != n || (sig != nil && len(sig) != n) {
		panic("kernels: SwiGLUForward length mismatch")
	}
	if sig != nil {
		if n > 0 {
			swigluForward(out, sig, a, b)
		}
		return
	}
	var buf [512]float32
	for i := 0; i < n; i += len(buf) {
		j := min(n, i+len(buf))
		swigluForward(out[i:j], buf[:j-i], a[i:j], b[i:j])
	}
}

// expShiftSumGo and the loops below are the portable versions, also
// used for the tails that the AVX2 loops leave.
func expShiftSumGo(y, x []float32, m float32) float32 {
	y = y[:len(x)]
	var s float32
	for i, v := range x {
		e := Exp(v - m)
		y[i] = e
		s += e
	}
	return s
}

func axpyExpShiftGo(y []float32, alpha float32, x []float32, m float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * Exp(v-m)
	}
}

func maxGo(x []float32) float32 {
	m := float32(math.Inf(-1))
	for _, v := range x {
		m = max(m, v)
	}
	return m
}

func sigmoidGo(dst, x []float32) {
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = 1 / (1 + Exp(-v))
	}
}

func swigluForwardGo(out, sig, a, b []float32) {
	out, sig, b = out[:len(a)], sig[:len(a)], b[:len(a)]
	for i, x := range a {
		s := 1 / (1 + Exp(-x))
		sig[i] = s
		out[i] = x * s * b[i]
	}
}
