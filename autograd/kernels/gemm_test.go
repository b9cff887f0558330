package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// gemmCase is one Gemm call to check against GemmNaive.
type gemmCase struct {
	m, n, k        int
	transA, transB bool
	alpha, beta    float32
	pad            int // extra stride beyond the minimum, for A, B and C
}

// gemmShapes mixes sizes below, at and across every tile and block edge
// (mr 4/6/12, nr 4/16/32, blockK 256, blockN 512).
var gemmShapes = [][3]int{
	{1, 1, 1}, {3, 17, 33}, {17, 3, 127}, {33, 127, 3}, {127, 33, 17},
	{12, 32, 256}, {13, 33, 257}, {24, 64, 300}, {64, 64, 16},
	{100, 530, 40}, {5, 600, 520}, {1, 130, 7}, {130, 1, 9},
}

// scalings are the (alpha, beta) pairs that take different code paths.
var scalings = [][2]float32{{1, 0}, {1, 1}, {-0.5, 2}, {2, 0}}

func TestGemmMatchesNaive(t *testing.T) {
	for _, kn := range kernelsAvailable() {
		t.Run(kernelName(kn), func(t *testing.T) {
			defer useKernel(kn)()
			for _, c := range allCases(gemmShapes) {
				if (testing.Short() || raceEnabled) && c.m*c.n*c.k > 1<<17 {
					continue
				}
				t.Run(c.String(), func(t *testing.T) { checkGemmCase(t, c) })
			}
		})
	}
}

// TestGemmParallel uses shapes above parallelMinWork so that the
// worker pool splits C by rows and by columns; run it with -race.
func TestGemmParallel(t *testing.T) {
	shapes := [][3]int{{200, 96, 64}, {40, 700, 50}, {131, 77, 129}}
	for _, kn := range kernelsAvailable() {
		t.Run(kernelName(kn), func(t *testing.T) {
			defer useKernel(kn)()
			for _, c := range allCases(shapes) {
				if c.pad != 0 || c.alpha != 1 {
					continue
				}
				t.Run(c.String(), func(t *testing.T) { checkGemmCase(t, c) })
			}
		})
	}
}

// TestGemmConcurrentCallers runs parallel Gemm calls from several
// goroutines at once, as a data-parallel trainer would.
func TestGemmConcurrentCallers(t *testing.T) {
	c := gemmCase{m: 150, n: 100, k: 90, alpha: 1, transB: true}
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 3 {
				checkGemmCase(t, c)
			}
		}()
	}
	for range 4 {
		<-done
	}
}

func TestGemmZeroK(t *testing.T) {
	c := []float32{1, float32(math.NaN()), 3, 4}
	Gemm(false, false, 2, 2, 0, 1, nil, 1, nil, 2, 0, c, 2)
	for i, v := range c {
		if v != 0 {
			t.Fatalf("beta=0, k=0: c[%d] = %v, want 0", i, v)
		}
	}
	c = []float32{1, 2, 3, 4}
	Gemm(false, false, 2, 2, 0, 1, nil, 1, nil, 2, 0.5, c, 2)
	for i, want := range []float32{0.5, 1, 1.5, 2} {
		if c[i] != want {
			t.Fatalf("beta=0.5, k=0: c[%d] = %v, want %v", i, c[i], want)
		}
	}
}

func TestGemmPanicsOnShortSlices(t *testing.T) {
	tests := []panicCase{
		{"short A", func() {
			Gemm(false, false, 2, 2, 2, 1, make([]float32, 3), 2,
				make([]float32, 4), 2, 0, make([]float32, 4), 2)
		}},
		{"small ldb", func() {
			Gemm(false, true, 2, 2, 3, 1, make([]float32, 6), 3,
				make([]float32, 6), 2, 0, make([]float32, 4), 2)
		}},
		{"short C", func() {
			Gemm(true, false, 2, 2, 2, 1, make([]float32, 4), 2,
				make([]float32, 4), 2, 0, make([]float32, 3), 2)
		}},
	}
	expectPanics(t, tests)
}

// allCases crosses shapes with all four layouts, the scalings and two
// stride paddings.
func allCases(shapes [][3]int) []gemmCase {
	var cases []gemmCase
	for _, s := range shapes {
		for lay := range 4 {
			for _, ab := range scalings {
				for _, pad := range []int{0, 3} {
					cases = append(cases, gemmCase{m: s[0], n: s[1], k: s[2],
						transA: lay&1 != 0, transB: lay&2 != 0,
						alpha: ab[0], beta: ab[1], pad: pad})
				}
			}
		}
	}
	return cases
}

func (c gemmCase) String() string {
	lay := map[bool]string{false: "N", true: "T"}
	return fmt.Sprintf("%dx%dx%d/%s%s/a%g_b%g/pad%d", c.m, c.n, c.k,
		lay[c.transA], lay[c.transB], c.alpha, c.beta, c.pad)
}

// checkGemmCase runs Gemm and GemmNaive on the same random data and
// compares every element of C, padding included, within a bound scaled
// by Σ|a||b| (the size of the rounding error of a float32 sum).
func checkGemmCase(t *testing.T, c gemmCase) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(c.m*131+c.n), uint64(c.k)))
	ar, ac := c.m, c.k
	if c.transA {
		ar, ac = c.k, c.m
	}
	br, bc := c.k, c.n
	if c.transB {
		br, bc = c.n, c.k
	}
	lda, ldb, ldc := ac+c.pad, bc+c.pad, c.n+c.pad
	a, b := randSlice(rng, ar*lda), randSlice(rng, br*ldb)
	got := randSlice(rng, c.m*ldc)
	if c.beta == 0 {
		for i := range got {
			got[i] = float32(math.NaN())
		}
	}
	want := append([]float32(nil), got...)
	if c.beta == 0 {
		clear(want) // the naive reference never reads C when beta = 0
	}
	bound := append([]float32(nil), want...)

	Gemm(c.transA, c.transB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb,
		c.beta, got, ldc)
	GemmNaive(c.transA, c.transB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb,
		c.beta, want, ldc)
	absAll(a, b, bound)
	GemmNaive(c.transA, c.transB, c.m, c.n, c.k, abs32(c.alpha), a, lda,
		b, ldb, abs32(c.beta), bound, ldc)
	compareC(t, c, got, want, bound, ldc)
}

// compareC checks the m×n corner against want and the padding columns
// against their untouched value (NaN when beta = 0).
func compareC(t *testing.T, c gemmCase, got, want, bound []float32,
	ldc int) {
	t.Helper()
	tol := 2e-6 * float32(c.k/16+2)
	for i := range c.m {
		for j := range ldc {
			g, w := got[i*ldc+j], want[i*ldc+j]
			if j >= c.n {
				if g != w && !(c.beta == 0 && math.IsNaN(float64(g))) {
					t.Fatalf("padding C[%d][%d] = %v changed", i, j, g)
				}
				continue
			}
			if d := abs32(g - w); !(d <= tol*bound[i*ldc+j]+1e-6) {
				t.Fatalf("C[%d][%d] = %v, want %v (|diff| %g)", i, j, g, w, d)
			}
		}
	}
}

// useKernel switches the micro-kernel for a test and returns the undo.
func useKernel(kn kernelInfo) func() {
	old := active
	active = kn
	return func() { active = old }
}

func kernelName(kn kernelInfo) string {
	return fmt.Sprintf("%s%dx%d",
		[]string{"purego", "avx2_", "avx512_"}[kn.id], kn.mr, kn.nr)
}

func randSlice(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

func absAll(xs ...[]float32) {
	for _, x := range xs {
		for i, v := range x {
			x[i] = abs32(v)
		}
	}
}

func abs32(x float32) float32 {
	return math.Float32frombits(math.Float32bits(x) &^ (1 << 31))
}

// TestGemmGoldenLayouts pins a hand-computed product in all four
// storage layouts, for the reference as well as Gemm. GemmNaive once
// indexed A and B as if untransposed before checking the flags, which
// read out of range on non-square operands.
func TestGemmGoldenLayouts(t *testing.T) {
	// op(A) = [[1 2 3] [4 5 6]], op(B) = [[7] [8] [9]], C = [[50] [122]].
	aN, aT := []float32{1, 2, 3, 4, 5, 6}, []float32{1, 4, 2, 5, 3, 6}
	b := []float32{7, 8, 9} // 3×1 and 1×3 store the same floats
	tests := []struct {
		name           string
		transA, transB bool
		a              []float32
		lda, ldb       int
	}{
		{"NN", false, false, aN, 3, 1},
		{"NT", false, true, aN, 3, 3},
		{"TN", true, false, aT, 2, 1},
		{"TT", true, true, aT, 2, 3},
	}
	gemms := map[string]func(bool, bool, int, int, int, float32,
		[]float32, int, []float32, int, float32, []float32, int){
		"naive": GemmNaive, "fast": Gemm}
	for _, tt := range tests {
		for name, gemm := range gemms {
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				c := []float32{1, 1}
				gemm(tt.transA, tt.transB, 2, 1, 3, 1, tt.a, tt.lda,
					b, tt.ldb, 0, c, 1)
				if c[0] != 50 || c[1] != 122 {
					t.Fatalf("C = %v, want [50 122]", c)
				}
			})
		}
	}
}

// TestKernelGoStridedA covers the portable kernel's own packing path,
// which Gemm never takes: A read with row stride 301 over 300 k steps
// (more than one blockK slice), beta = 0.5.
func TestKernelGoStridedA(t *testing.T) {
	const k, lda = 300, 301
	rng := rand.New(rand.NewPCG(9, 10))
	a, bp := randSlice(rng, goMR*lda), randSlice(rng, goNR*k)
	c := randSlice(rng, goMR*goNR)
	want := append([]float32(nil), c...)
	kernelGo(k, a, lda, 1, bp, c, goNR, 2, 0.5)
	// bp is op(B) stored k×goNR, exactly what GemmNaive reads.
	GemmNaive(false, false, goMR, goNR, k, 2, a, lda, bp, goNR, 0.5,
		want, goNR)
	for i := range c {
		if d := abs32(c[i] - want[i]); d > 1e-3 {
			t.Fatalf("C[%d] = %v, want %v", i, c[i], want[i])
		}
	}
}

// panicCase is a call that must panic, named for its subtest.
type panicCase struct {
	name string
	call func()
}

// expectPanics runs each case as a subtest that fails unless the call
// panics.
func expectPanics(t *testing.T, cases []panicCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			c.call()
		})
	}
}
