package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	"gorgonia.org/tensor"
)

// benchShape is one Gemm size in one layout. NN is A·B, NT is A·Bᵀ
// (forward of a Linear with (out, in) weights), TN is Aᵀ·B (its weight
// gradient).
type benchShape struct {
	m, n, k int
	lay     string
}

// benchShapes are 512³ and the transformer shapes: 768 rows (B·T) with
// K and N in {128, 256, 384, 512}, each in the three layouts, then the
// small calls the engine makes many times.
func benchShapes() []benchShape {
	var out []benchShape
	for _, lay := range []string{"NN", "NT", "TN"} {
		out = append(out, benchShape{512, 512, 512, lay})
	}
	for _, lay := range []string{"NN", "NT", "TN"} {
		for _, k := range []int{128, 256, 384, 512} {
			for _, n := range []int{128, 256, 384, 512} {
				out = append(out, benchShape{768, n, k, lay})
			}
		}
	}
	for _, lay := range []string{"NN", "NT", "TN"} {
		out = append(out, benchShape{64, 64, 64, lay},
			benchShape{768, 128, 32, lay}, benchShape{64, 64, 16, lay})
	}
	return out
}

// BenchmarkGemm times our Gemm beside gonum's pure-Go Sgemm and
// gorgonia's tensor MatMul on the same inputs, reporting GFLOP/s.
func BenchmarkGemm(b *testing.B) {
	for _, s := range benchShapes() {
		name := fmt.Sprintf("%dx%dx%d/%s", s.m, s.n, s.k, s.lay)
		tA, tB := s.lay[0] == 'T', s.lay[1] == 'T'
		a, lda, bm, ldb, c := benchOperands(s, tA, tB)
		want := make([]float32, len(c))
		Gemm(tA, tB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, want, s.n)
		b.Run(name+"/ours", func(b *testing.B) {
			for b.Loop() {
				Gemm(tA, tB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n)
			}
			reportGFLOPS(b, s)
		})
		b.Run(name+"/gonum", func(b *testing.B) {
			impl := gonum.Implementation{}
			ta, tb := blasTrans(tA), blasTrans(tB)
			for b.Loop() {
				impl.Sgemm(ta, tb, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c,
					s.n)
			}
			reportGFLOPS(b, s)
			sameProduct(b, c, want, s.k)
		})
		b.Run(name+"/gorgonia", func(b *testing.B) {
			ta, tb, tc := gorgoniaOperands(s, tA, tB, a, bm, c)
			for b.Loop() {
				if _, err := tensor.MatMul(ta, tb, tensor.WithReuse(tc)); err != nil {
					b.Fatal(err)
				}
			}
			reportGFLOPS(b, s)
			sameProduct(b, c, want, s.k)
		})
	}
}

// benchOperands builds random A and B stored for the layout, and C.
func benchOperands(s benchShape, tA, tB bool) (
	a []float32, lda int, bm []float32, ldb int, c []float32) {
	rng := rand.New(rand.NewPCG(1, 2))
	lda, ldb = s.k, s.n
	if tA {
		lda = s.m
	}
	if tB {
		ldb = s.k
	}
	return randSlice(rng, s.m*s.k), lda, randSlice(rng, s.k*s.n), ldb,
		make([]float32, s.m*s.n)
}

// gorgoniaOperands wraps the same backing arrays as gorgonia tensors;
// stored-transposed operands become transposed views, which MatMul
// hands to BLAS as transpose flags.
func gorgoniaOperands(s benchShape, tA, tB bool, a, bm, c []float32) (
	ta, tb, tc *tensor.Dense) {
	ta = tensor.New(tensor.WithShape(s.m, s.k), tensor.WithBacking(a))
	if tA {
		ta = tensor.New(tensor.WithShape(s.k, s.m), tensor.WithBacking(a))
		must(ta.T())
	}
	tb = tensor.New(tensor.WithShape(s.k, s.n), tensor.WithBacking(bm))
	if tB {
		tb = tensor.New(tensor.WithShape(s.n, s.k), tensor.WithBacking(bm))
		must(tb.T())
	}
	tc = tensor.New(tensor.WithShape(s.m, s.n), tensor.WithBacking(c))
	return ta, tb, tc
}

// sameProduct fails the benchmark when a contrast computed something
// other than our Gemm did (a wrong transpose flag, say).
func sameProduct(b *testing.B, got, want []float32, k int) {
	b.Helper()
	tol := 1e-4 * float32(k)
	for i := range got {
		if abs32(got[i]-want[i]) > tol {
			b.Fatalf("C[%d] = %v, ours %v", i, got[i], want[i])
		}
	}
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func blasTrans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

func reportGFLOPS(b *testing.B, s benchShape) {
	flops := 2 * float64(s.m) * float64(s.n) * float64(s.k) * float64(b.N)
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
