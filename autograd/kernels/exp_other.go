//go:build purego || !amd64

package kernels

// Without assembly every elementwise kernel runs its portable loop.

const levelGo = 0

// vecLevel is always levelGo here; tests read it.
var vecLevel = levelGo

// vecLevels lists the levels built in: only the portable one.
func vecLevels() []int { return []int{levelGo} }

func expShiftSum(y, x []float32, m float32) float32 {
	return expShiftSumGo(y, x, m)
}

func axpyExpShift(y []float32, alpha float32, x []float32, m float32) {
	axpyExpShiftGo(y, alpha, x, m)
}

func maxOf(x []float32) float32              { return maxGo(x) }
func sigmoidTo(dst, x []float32)             { sigmoidGo(dst, x) }
func swigluForward(out, sig, a, b []float32) { swigluForwardGo(out, sig, a, b) }
func swigluBackward(da, db, dout, a, b, sig []float32) {
	swigluBackwardGo(da, db, dout, a, b, sig)
}
func mulScale(y, x, w []float32, r float32)    { mulScaleGo(y, x, w, r) }
func rmsBackDW(dw, dy, x []float32, r float32) { rmsBackDWGo(dw, dy, x, r) }
func dot3(a, b, c []float32) float32           { return dot3Go(a, b, c) }
func rmsBackDX(dx, dy, x, w []float32, r, k float32) {
	rmsBackDXGo(dx, dy, x, w, r, k)
}
func adamw(p, g, m, v []float32, h *adamwParams) { adamwGo(p, g, m, v, h) }
