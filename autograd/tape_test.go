package autograd

import (
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestSoftmaxStableForHugeLogits(t *testing.T) {
	tp := NewTape()
	x := NewParam("x", 2, 3)
	copy(x.Data, []float32{1e4, -1e4, 0, -1e4, -1e4, -1e4})
	y := tp.Softmax(x)
	want := []float32{1, 0, 0, 1. / 3, 1. / 3, 1. / 3}
	for i, v := range y.Data {
		if math.Abs(float64(v-want[i])) > 1e-6 {
			t.Fatalf("softmax = %v, want %v", y.Data, want)
		}
	}
	ls := tp.LogSoftmax(x)
	if ls.Data[0] != 0 || ls.Data[1] != -2e4 {
		t.Fatalf("log softmax = %v", ls.Data)
	}
	loss := tp.CrossEntropy(x, []int32{1, 0})
	tp.Backward(loss)
	if !AllFinite(loss.Data) || !AllFinite(x.Grad) {
		t.Fatalf("loss %v grad %v not finite", loss.Data, x.Grad)
	}
}

func TestCrossEntropyNoActiveTargetsIsZero(t *testing.T) {
	tp := NewTape()
	x := NewParam("x", 3, 4)
	x.Fill(1)
	loss := tp.CrossEntropy(x, []int32{-1, -1, -1})
	if loss.Item() != 0 {
		t.Fatalf("loss = %v, want 0", loss.Item())
	}
	// A loss with no recorded op still adds nothing and stays finite.
	y := tp.Add(tp.Scale(tp.Sum(x), 0), loss)
	tp.Backward(y)
	for _, g := range x.Grad {
		if g != 0 {
			t.Fatalf("grad %v, want zeros", x.Grad)
		}
	}
}

func TestCrossEntropyKnownValue(t *testing.T) {
	// Uniform logits over V classes give a loss of ln V.
	tp := NewInference()
	x := Zeros(2, 8)
	got := tp.CrossEntropy(x, []int32{3, 7}).Item()
	if math.Abs(float64(got)-math.Log(8)) > 1e-6 {
		t.Fatalf("loss %v, want ln 8 = %v", got, math.Log(8))
	}
}

func TestGradientsAccumulateUntilZeroed(t *testing.T) {
	w := NewParam("w", 3)
	copy(w.Data, []float32{1, 2, 3})
	run := func() {
		tp := NewTape()
		tp.Backward(tp.Sum(tp.Mul(w, w)))
	}
	run()
	run()
	for i, g := range w.Grad {
		if want := 4 * w.Data[i]; g != want {
			t.Fatalf("after two backward passes grad %v, want 4w", w.Grad)
		}
	}
	w.ZeroGrad()
	run()
	if w.Grad[2] != 6 {
		t.Fatalf("after ZeroGrad grad %v, want 2w", w.Grad)
	}
}

func TestTapeResetReusesBuffers(t *testing.T) {
	w := NewParam("w", 64, 64)
	x := New(make([]float32, 32*64), 32, 64)
	tp := NewTape()
	step := func() {
		y := tp.SiLU(tp.Linear(x, w))
		tp.Backward(tp.Mean(y))
		tp.Reset()
	}
	step()
	allocs := testing.AllocsPerRun(10, step)
	// Only small headers (tensors, closures) are new; no big buffers.
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	for i := 0; i < 10; i++ {
		step()
	}
	runtime.ReadMemStats(&ms)
	perStep := (ms.TotalAlloc - before) / 10
	if perStep > 4096 {
		t.Fatalf("a steady step allocates %d bytes (%v allocs); "+
			"buffers are not reused", perStep, allocs)
	}
}

func TestTwoGraphsInTwoGoroutines(t *testing.T) {
	var wg sync.WaitGroup
	grads := make([][]float32, 2)
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := NewParam("w", 16, 16)
			w.FillNormal(rand.New(rand.NewPCG(1, 1)), 1)
			x := New(make([]float32, 8*16), 8, 16)
			x.Fill(float32(g + 1))
			tp := NewTape()
			for i := 0; i < 50; i++ {
				tp.Backward(tp.Mean(tp.Tanh(tp.Linear(x, w))))
				tp.Reset()
			}
			grads[g] = w.Grad
		}()
	}
	wg.Wait()
	if grads[0][0] == grads[1][0] {
		t.Fatalf("both graphs produced the same gradient %v", grads[0][0])
	}
}

// forwardHeap runs a small MLP forward on tp and returns the live heap
// while its output is still held.
func forwardHeap(tp *Tape, w *Tensor, x *Tensor) uint64 {
	h := x
	for i := 0; i < 8; i++ {
		h = tp.SiLU(tp.Linear(h, w))
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	runtime.KeepAlive(h)
	runtime.KeepAlive(tp)
	return ms.HeapAlloc
}

func TestInferenceKeepsNoIntermediates(t *testing.T) {
	w := NewParam("w", 256, 256)
	x := New(make([]float32, 512*256), 512, 256)
	runtime.GC()
	train := forwardHeap(NewTape(), w, x)
	infer := forwardHeap(NewInference(), w, x)
	// Training keeps 16 activations of 512 KiB; inference keeps ~1.
	if infer+4<<20 > train {
		t.Fatalf("inference heap %d B, training %d B: want inference "+
			"lower by the activations", infer, train)
	}
	t.Logf("live heap after forward: train %d KiB, inference %d KiB",
		train>>10, infer>>10)
}

func TestShapeMismatchPanicsNamingOpAndShapes(t *testing.T) {
	cases := []struct {
		name string
		f    func(tp *Tape)
		want []string
	}{
		{"matmul", func(tp *Tape) { tp.MatMul(Zeros(2, 3), Zeros(4, 5), false, false) },
			[]string{"MatMul", "[2 3]", "[4 5]"}},
		{"add", func(tp *Tape) { tp.Add(Zeros(2, 3), Zeros(2, 2)) },
			[]string{"Add", "[2 2]", "[2 3]"}},
		{"rmsnorm", func(tp *Tape) { tp.RMSNorm(Zeros(2, 3), Zeros(4), 1e-6) },
			[]string{"RMSNorm", "[2 3]", "[4]"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				for _, w := range c.want {
					if !strings.Contains(msg, w) {
						t.Fatalf("panic %q does not name %q", msg, w)
					}
				}
			}()
			c.f(NewTape())
		})
	}
}

func TestDropoutTrainAndEval(t *testing.T) {
	x := NewParam("x", 1000)
	x.Fill(1)
	tp := NewTape()
	y := tp.Dropout(x, 0.25)
	tp.Backward(tp.Sum(y))
	zeros := 0
	for i, v := range y.Data {
		if v == 0 {
			zeros++
		} else if v != 1/0.75 {
			t.Fatalf("kept value %v, want 1/(1-p)", v)
		}
		if x.Grad[i] != v { // x = 1, so dy/dx equals y
			t.Fatalf("grad %v for output %v", x.Grad[i], v)
		}
	}
	if zeros < 200 || zeros > 300 {
		t.Fatalf("%d of 1000 dropped at p=0.25", zeros)
	}
	tp.SetTrain(false)
	if tp.Dropout(x, 0.25) != x {
		t.Fatal("eval-mode dropout is not the identity")
	}
}

func TestAllFinite(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	for _, c := range []struct {
		xs   []float32
		want bool
	}{{[]float32{1, -2, 0}, true}, {[]float32{1, inf}, false},
		{[]float32{-inf}, false}, {[]float32{nan, 1}, false}, {nil, true}} {
		if got := AllFinite(c.xs); got != c.want {
			t.Errorf("AllFinite(%v) = %v", c.xs, got)
		}
	}
}

func TestTopKOrderAndTies(t *testing.T) {
	x := New([]float32{0.1, 0.9, 0.5, 0.9, 3, 2, 1, 0}, 2, 4)
	got := TopK(x, 2)
	want := []int32{1, 3, 0, 1}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("TopK = %v, want %v", got, want)
		}
	}
}

func TestRedirectGradsSplitsBatchExactly(t *testing.T) {
	// Two tapes, each with half the rows and its own gradient buffer,
	// sum to the gradient of the whole batch.
	r := rand.New(rand.NewPCG(5, 5))
	w := NewParam("w", 6, 4)
	w.FillNormal(r, 1)
	x := New(make([]float32, 8*4), 8, 4)
	x.FillNormal(r, 1)
	loss := func(tp *Tape, x *Tensor) {
		tp.Backward(tp.Sum(tp.Tanh(tp.Linear(x, w))))
	}
	loss(NewTape(), x)
	whole := append([]float32(nil), w.Grad...)

	w.ZeroGrad()
	other := make([]float32, w.Size())
	tp1 := NewTape()
	tp1.RedirectGrads(map[*Tensor][]float32{w: other})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		loss(NewTape(), New(x.Data[:16], 4, 4))
	}()
	go func() {
		defer wg.Done()
		loss(tp1, New(x.Data[16:], 4, 4))
	}()
	wg.Wait()
	for i := range whole {
		got := w.Grad[i] + other[i]
		if math.Abs(float64(got-whole[i])) > 1e-5 {
			t.Fatalf("split gradient %v, whole %v", got, whole[i])
		}
	}
}
