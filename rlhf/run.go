package rlhf

import (
	"fmt"
	"hash/fnv"

	ag "github.com/tinyseek/tinyseek/autograd"
	"github.com/tinyseek/tinyseek/autograd/optim"
	"github.com/tinyseek/tinyseek/checkpoints"
	"github.com/tinyseek/tinyseek/checkpoints/safetensors"
	"github.com/tinyseek/tinyseek/configs"
	"github.com/tinyseek/tinyseek/data"
	"github.com/tinyseek/tinyseek/pretrain"
)

// Common is what both RLHF commands take: the run options of every
// stage. Config's train section drives the optimisation; its model
// section is replaced by the initial checkpoint's.
type Common = pretrain.Options

// keepSteps applies pretrain.KeepSteps to c's config.
func keepSteps(c Common) Common {
	c.Config.Train.Steps = pretrain.KeepSteps(c.Out,
		c.Resume && HasCheckpoints(c.Out), c.StepsGiven,
		c.Config.Train.Steps)
	return c
}

// finished reports whether a resumed run's latest checkpoint of stage
// is already at train.steps (or beyond), with its step and folder.
// Anything unusual (no checkpoint, another stage) is left to the
// restore that follows to report.
func finished(c Common, stage string) (step int, dir string, ok bool) {
	if !c.Resume {
		return 0, "", false
	}
	dir, st, err := checkpoints.Open(c.Out, c.Log)
	if err != nil || st.Stage != stage {
		return 0, "", false
	}
	return st.Step, dir, st.Step >= c.Config.Train.Steps
}

// HasCheckpoints reports whether run folder out holds a checkpoint.
func HasCheckpoints(out string) bool {
	names, _ := checkpoints.List(checkpoints.Dir(out))
	return len(names) > 0
}

// newAdamW is pretrain.NewOptimizer's rule over any parameter list:
// decay matrices, never norms, embeddings only when configured.
func newAdamW(params []*ag.Tensor, t configs.Train) *optim.AdamW {
	cfg := optim.AdamWConfig{Beta1: t.Beta1, Beta2: t.Beta2, Eps: 1e-8,
		WeightDecay: t.WeightDecay}
	return optim.NewAdamW(params, cfg, func(p *ag.Tensor) bool {
		if len(p.Shape) < 2 {
			return false
		}
		return t.DecayEmbeddings || p.Name != "model.embed_tokens.weight"
	})
}

// heldOut puts a prompt in the validation split when its hash falls
// below frac, so that the splits never share a prompt.
func heldOut(prompt []data.Message, seed uint64, frac float64) bool {
	h := fnv.New64a()
	fmt.Fprint(h, seed)
	for _, m := range prompt {
		h.Write([]byte(m.Role + "\x00" + m.Content + "\x00"))
	}
	return float64(h.Sum64()%1_000_000)/1e6 < frac
}

// writeTensors saves ts under their names into path.
func writeTensors(path string, ts []*ag.Tensor) error {
	out := make([]safetensors.Tensor, len(ts))
	for i, t := range ts {
		out[i] = safetensors.Tensor{Name: t.Name, Shape: t.Shape,
			Data: t.Data}
	}
	return safetensors.Write(path, out, nil)
}

// readTensors fills ts from path by name; every one must be there
// with its size.
func readTensors(path string, ts []*ag.Tensor) error {
	f, err := safetensors.Read(path)
	if err != nil {
		return fmt.Errorf("rlhf: %w", err)
	}
	for _, t := range ts {
		v, ok := f.Get(t.Name)
		if !ok || len(v.Data) != t.Size() {
			return fmt.Errorf("rlhf: %s: tensor %s missing or of the "+
				"wrong size", path, t.Name)
		}
		copy(t.Data, v.Data)
	}
	return nil
}
