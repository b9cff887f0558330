package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// elemLengths cross the AVX-512 (16) and AVX2 (8) widths, their masked
// and scalar tails, and a long run.
var elemLengths = []int{0, 1, 3, 15, 16, 17, 33, 1000}

// forLevels runs f once per vector level this CPU has (portable Go,
// AVX2, AVX-512), restoring the detected level afterwards.
func forLevels(t *testing.T, f func(t *testing.T)) {
	saved := vecLevel
	defer func() { vecLevel = saved }()
	for _, l := range vecLevels() {
		vecLevel = l
		t.Run(fmt.Sprintf("level%d", l), f)
	}
}

// ulpDiff is the distance between two float32 of the same sign in
// units in the last place (subnormals included).
func ulpDiff(a, b float32) int64 {
	d := int64(math.Float32bits(a)) - int64(math.Float32bits(b))
	return max(d, -d)
}

// TestExpWithinTwoULP sweeps e^x over [−104, 89] in steps of about
// 7e-4 through ExpTo on every level and through the scalar Exp, and
// compares with math.Exp rounded to float32: at most 2 ulp, subnormal
// results included.
func TestExpWithinTwoULP(t *testing.T) {
	var xs []float32
	for x := float32(-104); x < 89; x += 0.000731 {
		xs = append(xs, x)
	}
	got := make([]float32, len(xs))
	check := func(t *testing.T, name string, got []float32) {
		worst := int64(0)
		for i, x := range xs {
			want := float32(math.Exp(float64(x)))
			if u := ulpDiff(got[i], want); u > worst {
				worst = u
				if u > 2 {
					t.Fatalf("%s(%v) = %v, want %v (%d ulp)", name, x,
						got[i], want, u)
				}
			}
		}
		t.Logf("%s: worst error %d ulp over %d points", name, worst,
			len(xs))
	}
	forLevels(t, func(t *testing.T) {
		ExpTo(got, xs)
		check(t, "ExpTo", got)
	})
	for i, x := range xs {
		got[i] = Exp(x)
	}
	check(t, "Exp", got)
}

// TestExpEdgeValues pins saturation and NaN on every path, in a slice
// long enough to reach the vector loop and the tail.
func TestExpEdgeValues(t *testing.T) {
	inf := float32(math.Inf(1))
	ref := func(x float32) float32 { return float32(math.Exp(float64(x))) }
	tests := []struct{ x, want float32 }{
		{0, 1}, {1e4, inf}, {-1e4, 0}, {100, inf},
		{-100, ref(-100)}, // subnormal, not flushed
		{88.72, ref(88.72)}, {88.73, inf}, {-104, 0}, {-inf, 0},
		{inf, inf},
	}
	xs := make([]float32, 0, 2*len(tests))
	for range 2 {
		for _, tt := range tests {
			xs = append(xs, tt.x)
		}
	}
	nan := float32(math.NaN())
	xs = append(xs, nan)
	forLevels(t, func(t *testing.T) {
		got := make([]float32, len(xs))
		ExpTo(got, xs)
		for i, x := range xs[:len(xs)-1] {
			want := tests[i%len(tests)].want
			if ulpDiff(got[i], want) > 1 || Exp(x) != got[i] &&
				ulpDiff(Exp(x), want) > 1 {
				t.Errorf("exp(%v) = %v (scalar %v), want %v", x, got[i],
					Exp(x), want)
			}
		}
		if g := got[len(xs)-1]; g == g || Exp(nan) == Exp(nan) {
			t.Errorf("exp(NaN) = %v, scalar %v, want NaN", g, Exp(nan))
		}
	})
}

// randRange returns n floats uniform in [lo, hi).
func randRange(rng *rand.Rand, n int, lo, hi float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(lo + (hi-lo)*rng.Float64())
	}
	return x
}

// closeTo reports whether got is within rel·(|want|+floor) of want.
func closeTo(got float32, want, rel, floor float64) bool {
	return math.Abs(float64(got)-want) <= rel*(math.Abs(want)+floor)
}

func TestExpShiftSumMatchesNaive(t *testing.T) {
	forLevels(t, func(t *testing.T) {
		for _, n := range elemLengths {
			t.Run(fmt.Sprint(n), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(n), 11))
				x := randRange(rng, n, -30, 10)
				const m = 5
				y := make([]float32, n)
				s := ExpShiftSum(y, x, m)
				var want float64
				for i, v := range x {
					// The shift is rounded to float32 first.
					e := math.Exp(float64(v - m))
					want += e
					if !closeTo(y[i], e, 3e-7, 0) {
						t.Fatalf("y[%d] = %v, want %v", i, y[i], e)
					}
				}
				if !closeTo(s, want, 1e-6, 0) {
					t.Fatalf("sum = %v, want %v", s, want)
				}
				if s2 := SumExpShift(x, m); !closeTo(s2, want, 1e-6, 0) {
					t.Fatalf("SumExpShift = %v, want %v", s2, want)
				}
			})
		}
	})
}

func TestAxpyExpShiftMatchesNaive(t *testing.T) {
	forLevels(t, func(t *testing.T) {
		for _, n := range elemLengths {
			t.Run(fmt.Sprint(n), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(n), 12))
				x, y := randRange(rng, n, -20, 3), randSlice(rng, n)
				want := toF64(y)
				for i, v := range x {
					want[i] += -0.7 * math.Exp(float64(v-1))
				}
				AxpyExpShift(y, -0.7, x, 1)
				for i := range y {
					if !closeTo(y[i], want[i], 1e-6, 1) {
						t.Fatalf("y[%d] = %v, want %v", i, y[i], want[i])
					}
				}
			})
		}
	})
}

func TestMaxMatchesNaive(t *testing.T) {
	forLevels(t, func(t *testing.T) {
		for _, n := range elemLengths {
			t.Run(fmt.Sprint(n), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(n), 13))
				x := randRange(rng, n, -1e4, -100)
				want := math.Inf(-1)
				for _, v := range x {
					want = max(want, float64(v))
				}
				if got := Max(x); float64(got) != want {
					t.Fatalf("Max = %v, want %v", got, want)
				}
				if n == 0 {
					return
				}
				x[n/2] = float32(math.NaN())
				if got := Max(x); got == got {
					t.Fatalf("Max with a NaN = %v, want NaN", got)
				}
				clear(x)
				x[n-1] = float32(math.Inf(-1))
				if got := Max(x); got != 0 && n > 1 {
					t.Fatalf("Max of zeros = %v, want 0", got)
				}
			})
		}
	})
}
