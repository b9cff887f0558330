package layers

import (
	"math"
	"path/filepath"
	"testing"

	ag "github.com/tinyseek/tinyseek/autograd"
	"github.com/tinyseek/tinyseek/checkpoints/safetensors"
)

// TestGolden loads the checkpoints written by testdata/golden/make.py
// (an independent PyTorch model) and compares logits, loss and every
// parameter gradient.
func TestGolden(t *testing.T) {
	for _, name := range []string{"sigmoid", "softmax"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", "golden", name)
			m, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			io := readGolden(t, filepath.Join(dir, "io.safetensors"))
			ids, targets := toIDs(io["ids"]), toIDs(io["targets"])
			B, T := io["ids"].Shape[0], io["ids"].Shape[1]

			tp := ag.NewTape()
			loss, logits := m.Loss(tp, ids, targets, B, T, ForwardOptions{})
			if d := maxAbsDiff(logits.Data, io["logits"].Data); d > 1e-4 {
				t.Errorf("logits differ by %.3g > 1e-4", d)
			} else {
				t.Logf("logits max |Δ| = %.3g", d)
			}
			if d := math.Abs(float64(loss.Item() - io["loss"].Data[0])); d > 1e-5 {
				t.Errorf("loss %v, want %v", loss.Item(), io["loss"].Data[0])
			}

			tp.Backward(loss)
			grads := readGolden(t, filepath.Join(dir, "grads.safetensors"))
			if len(grads) != len(m.Params()) {
				t.Errorf("%d golden gradients for %d parameters",
					len(grads), len(m.Params()))
			}
			var worst float64
			for _, p := range m.Params() {
				g, ok := grads[p.Name]
				if !ok {
					t.Errorf("no golden gradient for %s", p.Name)
					continue
				}
				rel := relErr(p.Grad, g.Data)
				worst = math.Max(worst, rel)
				if rel > 1e-3 {
					t.Errorf("%s: gradient relative error %.3g > 1e-3",
						p.Name, rel)
				}
			}
			t.Logf("gradients max relative error = %.3g", worst)
		})
	}
}

func readGolden(t *testing.T, path string) map[string]safetensors.Tensor {
	t.Helper()
	f, err := safetensors.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]safetensors.Tensor{}
	for _, x := range f.Tensors {
		out[x.Name] = x
	}
	return out
}

func toIDs(x safetensors.Tensor) []int32 {
	ids := make([]int32, len(x.Data))
	for i, v := range x.Data {
		ids[i] = int32(v)
	}
	return ids
}

func maxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var d float64
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

// relErr is max|a−b| / max|b|: the error relative to the tensor's scale.
func relErr(a, b []float32) float64 {
	var scale float64
	for _, v := range b {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	return maxAbsDiff(a, b) / math.Max(scale, 1e-12)
}
