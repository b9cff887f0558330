package layers

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	ag "github.com/tinyseek/tinyseek/autograd"
	"github.com/tinyseek/tinyseek/checkpoints/safetensors"
)

func TestWeightsRoundTrip(t *testing.T) {
	m, _ := New(smallConfig(), 3)
	m.Layers[1].MoE.Bias.Data[2] = 0.5
	dir := t.TempDir()
	if err := m.SaveWeights(dir); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := m.saved()
	for i, p := range got.saved() {
		if p.Name != want[i].Name || maxAbsDiff(p.Data, want[i].Data) != 0 {
			t.Errorf("%s differs after the round trip", p.Name)
		}
	}
}

// TestLoadWeightsMismatch checks that a file with a wrong shape, a
// missing and an unexpected tensor fails listing all three, and leaves
// the model untouched.
func TestLoadWeightsMismatch(t *testing.T) {
	m, _ := New(smallConfig(), 3)
	dir := t.TempDir()
	var ts []safetensors.Tensor
	for _, p := range m.saved() {
		switch p.Name {
		case "model.norm.weight":
			continue
		case "lm_head.weight":
			ts = append(ts, safetensors.Tensor{Name: p.Name,
				Shape: []int{2}, Data: []float32{1, 2}})
			continue
		}
		ts = append(ts, safetensors.Tensor{Name: p.Name, Shape: p.Shape,
			Data: make([]float32, p.Size())})
	}
	ts = append(ts, safetensors.Tensor{Name: "extra", Shape: []int{1},
		Data: []float32{1}})
	err := safetensors.Write(filepath.Join(dir, WeightsFile), ts, nil)
	if err != nil {
		t.Fatal(err)
	}
	before := append([]float32(nil), m.Embed.Data...)
	err = m.LoadWeights(dir)
	if err == nil {
		t.Fatal("mismatched weights loaded")
	}
	for _, s := range []string{"3 mismatches", "missing model.norm.weight",
		"lm_head.weight: file [2], model [64 32]", "unexpected extra"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error lacks %q:\n%v", s, err)
		}
	}
	if maxAbsDiff(before, m.Embed.Data) != 0 {
		t.Error("a failed load changed the weights")
	}
}

func TestTopKMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 5))
	for trial := 0; trial < 200; trial++ {
		n, k := 1+r.IntN(12), 0
		k = 1 + r.IntN(n)
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.IntN(5)) // many ties
		}
		got := make([]int32, k)
		topK(x, got)
		want := make([]int32, n)
		for i := range want {
			want[i] = int32(i)
		}
		sort.SliceStable(want, func(a, b int) bool {
			return x[want[a]] > x[want[b]]
		})
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("topK(%v, %d) = %v, want %v", x, k, got, want[:k])
			}
		}
	}
}

// TestRouteGroups checks group-limited routing on a hand-made row:
// with sigmoid scoring a group's score is its top-two sum.
func TestRouteGroups(t *testing.T) {
	c := smallConfig() // E=8, 4 groups of 2, keep 2, K=2
	m, _ := New(c, 1)
	e := m.Layers[1].MoE
	// Groups: {.9,.0}=.9, {.5,.5}=1.0, {.6,.45}=1.05, {.1,.1}=.2.
	// The single best expert (0, in group 0) is masked out.
	s := []float32{.9, 0, .5, .5, .6, .45, .1, .1}
	got := e.route(c, s, 1)
	if got[0] != 4 || got[1] != 2 {
		t.Errorf("route = %v, want [4 2]", got)
	}
	// A bias steers the choice: it lifts expert 3 over expert 2.
	e.Bias.Data[3] = 0.01
	if got := e.route(c, s, 1); got[1] != 3 {
		t.Errorf("with bias route = %v, want [4 3]", got)
	}
	c.ScoringFunc = "softmax" // group score = max: group 0 wins now
	e.Bias.Data[3] = 0
	if got := e.route(c, s, 1); got[0] != 0 || got[1] != 4 {
		t.Errorf("softmax route = %v, want [0 4]", got)
	}
}

func TestExpertLoadAndUpdateBias(t *testing.T) {
	c := smallConfig()
	c.BiasUpdateSpeed = 0.25
	m, _ := New(c, 2)
	B, T := 2, 10
	ids := make([]int32, B*T)
	for i := range ids {
		ids[i] = int32(i * 7 % c.VocabSize)
	}
	pad := make([]bool, B*T)
	pad[B*T-1], pad[B*T-2] = true, true
	m.Forward(ag.NewTape(), ids, B, T, ForwardOptions{PadMask: pad})
	loads := m.ExpertLoad()
	if len(loads) != c.NumHiddenLayers-c.FirstKDenseReplace {
		t.Fatalf("%d load rows", len(loads))
	}
	for l, load := range loads {
		var sum float32
		for _, v := range load {
			sum += v
		}
		if want := float32((B*T - 2) * c.NumExpertsPerTok); sum != want {
			t.Errorf("layer %d: load sums to %v, want %v", l, sum, want)
		}
	}
	// Inference forwards leave the counts alone.
	m.Forward(ag.NewInference(), ids[:5], 1, 5, ForwardOptions{})
	if maxAbsDiff(m.ExpertLoad()[0], loads[0]) != 0 {
		t.Error("an inference forward changed the load counts")
	}
	m.UpdateBias()
	for l, b := range m.Buffers() {
		var mean float32
		for _, v := range loads[l] {
			mean += v / float32(len(loads[l]))
		}
		for i, v := range loads[l] {
			want := float32(0)
			if v < mean {
				want = 0.25
			} else if v > mean {
				want = -0.25
			}
			if b.Data[i] != want {
				t.Errorf("%s[%d] = %v with load %v (mean %v), want %v",
					b.Name, i, b.Data[i], v, mean, want)
			}
		}
	}
}

// TestAuxLossPadding checks that padded tokens change neither the aux
// loss nor the logits of the real tokens.
func TestAuxLossPadding(t *testing.T) {
	c := smallConfig()
	c.AuxLossAlpha = 0.1
	m, _ := New(c, 5)
	ids := []int32{1, 2, 3, 4, 5, 6}
	_, aux := m.ForwardAux(ag.NewTape(), ids, 1, 6, ForwardOptions{})
	padded := append(append([]int32(nil), ids...), 0, 0)
	pad := []bool{false, false, false, false, false, false, true, true}
	_, auxP := m.ForwardAux(ag.NewTape(), padded, 1, 8,
		ForwardOptions{PadMask: pad})
	if aux == nil || math.Abs(float64(aux.Item()-auxP.Item())) > 1e-7 {
		t.Errorf("aux %v without padding, %v with", aux, auxP)
	}
	if aux.Item() <= 0 {
		t.Errorf("aux loss %v is not positive", aux.Item())
	}
}

func TestRMSNormZeroRow(t *testing.T) {
	m, _ := New(smallConfig(), 1)
	x := ag.Zeros(2, m.Cfg.HiddenSize)
	y := m.norm(ag.NewInference(), x, m.Norm)
	for _, v := range y.Data {
		if v != 0 {
			t.Fatalf("norm of a zero row = %v", y.Data)
		}
	}
}

func TestDropoutModes(t *testing.T) {
	c := smallConfig()
	c.Dropout = 0.5
	m, _ := New(c, 1)
	ids := []int32{1, 2, 3, 4}
	eval := m.Forward(ag.NewInference(), ids, 1, 4, ForwardOptions{})
	tp := ag.NewTape()
	tp.SetTrain(false)
	same := m.Forward(tp, ids, 1, 4, ForwardOptions{})
	train := m.Forward(ag.NewTape(), ids, 1, 4, ForwardOptions{})
	if maxAbsDiff(eval.Data, same.Data) > 1e-6 {
		t.Error("eval-mode tape differs from inference")
	}
	if maxAbsDiff(eval.Data, train.Data) < 1e-3 {
		t.Error("train mode applied no dropout")
	}
}

// TestNumParams counts deepseek-tiny's parameters by hand.
func TestNumParams(t *testing.T) {
	m, _ := New(DefaultConfig(), 1)
	C, V := 128, 256
	attn := 4*48*C + (32+16)*C + 32 + 4*(32+32)*32 + C*4*32
	dense := 3 * C * 352
	moe := 8*C + 8*3*C*64 + 3*C*64
	want := 2*V*C + C + 4*(attn+2*C) + dense + 3*moe
	if got := m.NumParams(); got != want {
		t.Errorf("NumParams = %d, want %d", got, want)
	}
	// FLOPs: 6 per active weight (K=2 of 8 experts) plus attention.
	norms := C + 4*(2*C+32)
	active := want - V*C - 3*6*3*C*64 - norms
	T := 64
	wantF := 6*float64(active) + 3*2*4*(48+32)*float64(T+1)/2*4
	if got := m.FLOPsPerToken(T); math.Abs(got-wantF) > 1 {
		t.Errorf("FLOPsPerToken = %g, want %g", got, wantF)
	}
}

func TestHiddenShape(t *testing.T) {
	m, _ := New(smallConfig(), 1)
	h := m.Hidden(ag.NewInference(), []int32{1, 2, 3, 4, 5, 6}, 2, 3,
		ForwardOptions{})
	if h.Rows() != 6 || h.Cols() != m.Cfg.HiddenSize {
		t.Errorf("Hidden shape %v", h.Shape)
	}
}

// TestSegmentsIsolate checks packed sequences: the second segment's
// logits equal those of the same tokens run alone at positions 0….
func TestSegmentsIsolate(t *testing.T) {
	m, _ := New(smallConfig(), 9)
	a, b := []int32{5, 6, 7}, []int32{8, 9, 10, 11}
	packed := append(append([]int32(nil), a...), b...)
	opts := ForwardOptions{Positions: []int32{0, 1, 2, 0, 1, 2, 3},
		Segments: []int32{0, 0, 0, 1, 1, 1, 1}}
	got := m.Forward(ag.NewInference(), packed, 1, 7, opts).Data
	alone := m.Forward(ag.NewInference(), b, 1, 4, ForwardOptions{}).Data
	V := m.Cfg.VocabSize
	if d := maxAbsDiff(got[3*V:], alone); d > 1e-5 {
		t.Errorf("packed segment differs from the lone sequence by %g", d)
	}
}
