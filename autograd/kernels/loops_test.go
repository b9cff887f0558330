package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// loopLengths cross every vector width the loops use (8, 16, 32 floats)
// and their remainders.
var loopLengths = []int{0, 1, 7, 8, 9, 31, 32, 33, 100, 1000}

func TestAxpyMatchesNaive(t *testing.T) {
	for _, n := range loopLengths {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(n), 1))
			x, y := randSlice(rng, n), randSlice(rng, n)
			want := make([]float32, n)
			for i := range want {
				want[i] = float32(float64(y[i]) + 1.5*float64(x[i]))
			}
			Axpy(y, 1.5, x)
			for i := range y {
				if d := abs32(y[i] - want[i]); d > 1e-6*(1+abs32(want[i])) {
					t.Fatalf("y[%d] = %v, want %v", i, y[i], want[i])
				}
			}
		})
	}
}

func TestDotMatchesNaive(t *testing.T) {
	for _, n := range loopLengths {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(n), 2))
			x, y := randSlice(rng, n), randSlice(rng, n)
			var want, scale float64
			for i := range x {
				want += float64(x[i]) * float64(y[i])
				scale += math.Abs(float64(x[i]) * float64(y[i]))
			}
			got := float64(Dot(x, y))
			if d := math.Abs(got - want); d > 1e-6*scale+1e-7 {
				t.Fatalf("Dot = %v, want %v", got, want)
			}
		})
	}
}

func TestScaleMatchesNaive(t *testing.T) {
	for _, n := range loopLengths {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(n), 3))
			x := randSlice(rng, n)
			want := make([]float32, n)
			for i, v := range x {
				want[i] = v * -0.75
			}
			Scale(x, -0.75)
			for i := range x {
				if x[i] != want[i] {
					t.Fatalf("x[%d] = %v, want %v", i, x[i], want[i])
				}
			}
		})
	}
}

func TestSumSquaresMatchesNaive(t *testing.T) {
	for _, n := range loopLengths {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(n), 4))
			x := randSlice(rng, n)
			var want float64
			for _, v := range x {
				want += float64(v) * float64(v)
			}
			if got := SumSquares(x); math.Abs(got-want) > 1e-12*(1+want) {
				t.Fatalf("SumSquares = %v, want %v", got, want)
			}
		})
	}
}

// TestAdamWMatchesNaive runs three steps of AdamW against the update
// written out in float64, with and without weight decay.
func TestAdamWMatchesNaive(t *testing.T) {
	tests := []struct {
		name string
		wd   float32
	}{{"no_decay", 0}, {"decay", 0.1}}
	const lr, b1, b2, eps = 1e-2, 0.9, 0.95, 1e-8
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 6))
			n := 37
			p := randSlice(rng, n)
			m, v := make([]float32, n), make([]float32, n)
			rp := toF64(p)
			rm, rv := make([]float64, n), make([]float64, n)
			for step := 1; step <= 3; step++ {
				g := randSlice(rng, n)
				bc1 := 1 - math.Pow(b1, float64(step))
				bc2 := 1 - math.Pow(b2, float64(step))
				AdamW(p, g, m, v, lr, b1, b2, eps, tt.wd,
					float32(bc1), float32(bc2))
				adamWRef(rp, toF64(g), rm, rv, lr, b1, b2, eps,
					float64(tt.wd), bc1, bc2)
			}
			for i := range p {
				if d := math.Abs(float64(p[i]) - rp[i]); d > 1e-5 {
					t.Fatalf("p[%d] = %v, want %v", i, p[i], rp[i])
				}
				if d := math.Abs(float64(v[i]) - rv[i]); d > 1e-5*rv[i] {
					t.Fatalf("v[%d] = %v, want %v", i, v[i], rv[i])
				}
			}
		})
	}
}

// adamWRef is the AdamW update in float64, line by line as documented.
func adamWRef(p, g, m, v []float64, lr, b1, b2, eps, wd, bc1,
	bc2 float64) {
	for i := range p {
		p[i] -= lr * wd * p[i]
		m[i] = b1*m[i] + (1-b1)*g[i]
		v[i] = b2*v[i] + (1-b2)*g[i]*g[i]
		p[i] -= lr * (m[i] / bc1) / (math.Sqrt(v[i]/bc2) + eps)
	}
}

func TestLoopsPanicOnLengthMismatch(t *testing.T) {
	tests := []panicCase{
		{"Axpy", func() { Axpy(make([]float32, 3), 1, make([]float32, 2)) }},
		{"Dot", func() { Dot(make([]float32, 3), make([]float32, 4)) }},
		{"AdamW", func() {
			s := make([]float32, 3)
			AdamW(s, s, s[:2], s, 1, 0.9, 0.9, 1e-8, 0, 1, 1)
		}},
	}
	expectPanics(t, tests)
}

func toF64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// BenchmarkLoops times the elementwise loops on a 1M-float slice (4 MiB,
// about the size of a transformer block's weights).
func BenchmarkLoops(b *testing.B) {
	const n = 1 << 20
	rng := rand.New(rand.NewPCG(7, 8))
	x, y := randSlice(rng, n), randSlice(rng, n)
	m, v := make([]float32, n), make([]float32, n)
	loops := []struct {
		name string
		fn   func()
	}{
		{"Axpy", func() { Axpy(y, 1e-3, x) }},
		{"Dot", func() { _ = Dot(x, y) }},
		{"Scale", func() { Scale(y, 0.999) }},
		{"SumSquares", func() { _ = SumSquares(x) }},
		{"AdamW", func() {
			AdamW(y, x, m, v, 1e-3, 0.9, 0.95, 1e-8, 0.1, 0.5, 0.5)
		}},
	}
	for _, l := range loops {
		b.Run(l.name, func(b *testing.B) {
			b.SetBytes(4 * n)
			for b.Loop() {
				l.fn()
			}
		})
	}
}
