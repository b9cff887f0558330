package rlhf

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tinyseek/tinyseek/checkpoints"
	"github.com/tinyseek/tinyseek/configs"
	"github.com/tinyseek/tinyseek/data"
	"github.com/tinyseek/tinyseek/data/tokenizer"
	"github.com/tinyseek/tinyseek/internal/runtest"
	"github.com/tinyseek/tinyseek/layers"
	"github.com/tinyseek/tinyseek/pretrain"
)

// fixture writes a tiny random "SFT" checkpoint and a reward
// checkpoint on top of it.
func fixture(t *testing.T) (sft, reward string) {
	t.Helper()
	return fixtureHead(t, 3)
}

// fixtureHead is fixture with the reward head drawn from headSeed.
func fixtureHead(t *testing.T, headSeed uint64) (sft, reward string) {
	t.Helper()
	root := t.TempDir()
	tok, err := tokenizer.Train(slices.Values([]string{"What is 1 plus 2?"}),
		262, tokenizer.TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := tinyModel(t, 7)
	sft, reward = filepath.Join(root, "sft"), filepath.Join(root, "reward")
	save := func(run, stage string, extra func(string) error) {
		_, err := checkpoints.Save(run, &checkpoints.State{Stage: stage,
			Step: 1}, 2, func(dir string) error {
			return pretrain.SaveModel(dir, m, tok, nil, extra)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	save(sft, "sft", nil)
	save(reward, "reward", NewScorer(m, headSeed).SaveHead)
	return sft, reward
}

func ppoOptions(t *testing.T, sft, reward, out string, steps,
	stopAfter int) PPOOptions {
	t.Helper()
	cfg, err := configs.Load([]configs.Source{{Name: "ppo",
		YAML: []byte(PPODefaults)}}, []string{"train.save_every=2",
		"train.eval_every=100", "train.lr=1e-3",
		"train.steps=" + itoa(steps)})
	if err != nil {
		t.Fatal(err)
	}
	p := DefaultPPOConfig()
	p.RolloutBatch, p.MiniBatch, p.Epochs, p.MaxNewTokens = 4, 2, 2, 5
	p.EvalPrompts, p.BuiltinPrompts, p.NormPrompts = 2, 60, 6
	return PPOOptions{Common: Common{Config: cfg, Out: out, Log: quiet(),
		StopAfter: stopAfter}, Policy: sft, Reward: reward, PPO: p}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// records reads metrics.jsonl's per-iteration lines (those with
// "kl"), without the wall-clock rollout speed.
func records(t *testing.T, run string) []map[string]float64 {
	t.Helper()
	out := runtest.Metrics(t, run, "kl")
	for _, rec := range out {
		delete(rec, "rollout_tokens_per_sec")
	}
	return out
}

func checksum(m *layers.Model) uint32 {
	h := crc32.NewIEEE()
	for _, p := range modelTensors(m) {
		for _, v := range p.Data {
			b := math.Float32bits(v)
			h.Write([]byte{byte(b), byte(b >> 8), byte(b >> 16),
				byte(b >> 24)})
		}
	}
	return h.Sum32()
}

// TestPPOFirstIterationKLIsZeroAndReferenceFrozen: before any update
// policy and reference are the same network, so the KL is exactly 0;
// after updates the policy moved and the reference did not.
func TestPPOFirstIterationKLIsZeroAndReferenceFrozen(t *testing.T) {
	sft, reward := fixture(t)
	o := ppoOptions(t, sft, reward, filepath.Join(t.TempDir(), "ppo"), 3, 0)
	r, err := newPPORun(o)
	if err != nil {
		t.Fatal(err)
	}
	ref0, pol0 := checksum(r.ref), checksum(r.policy)
	var first map[string]float64
	for it := range 3 {
		st, err := r.iteration(it, 1e-3)
		if err != nil {
			t.Fatal(err)
		}
		if it == 0 {
			first = st
		}
	}
	if first["kl"] != 0 || first["kl_k3"] != 0 {
		t.Errorf("iteration 0: kl %v, k3 %v, want exactly 0", first["kl"],
			first["kl_k3"])
	}
	if checksum(r.ref) != ref0 {
		t.Error("the reference model's weights changed")
	}
	if checksum(r.policy) == pol0 {
		t.Error("the policy did not change in 3 iterations")
	}
}

// TestPPOResumeReproducesUninterruptedRun: 4 iterations in one go and
// 2 + resumed 2 log the same statistics bitwise, with the whole policy
// trained and with its first block frozen (whose optimizer state then
// covers only the trained tensors). The run also draws score.png.
func TestPPOResumeReproducesUninterruptedRun(t *testing.T) {
	for _, unfrozen := range []int{-1, 1} {
		t.Run(fmt.Sprintf("unfrozen_layers=%d", unfrozen), func(t *testing.T) {
			checkPPOResume(t, unfrozen)
		})
	}
}

func checkPPOResume(t *testing.T, unfrozen int) {
	sft, reward := fixture(t)
	ctx := context.Background()
	opts := func(out string, stopAfter int) PPOOptions {
		o := ppoOptions(t, sft, reward, out, 4, stopAfter)
		o.PPO.UnfrozenLayers = unfrozen
		return o
	}
	whole := filepath.Join(t.TempDir(), "whole")
	full, err := RunPPO(ctx, opts(whole, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(whole, "score.png")); err != nil {
		t.Error(err)
	}
	split := filepath.Join(t.TempDir(), "split")
	res, err := RunPPO(ctx, opts(split, 2))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Stopped || res.Steps != 2 {
		t.Errorf("stop-after 2: stopped %v at step %d, want true at 2",
			res.Stopped, res.Steps)
	}
	o := opts(split, 0)
	o.Resume = true

	// Ctrl-C before the first rollout of the resumed run: the state of
	// step 2 is saved again and the run says how to continue.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = RunPPO(cancelled, o)
	if err == nil || !strings.Contains(err.Error(),
		"interrupted after step 2") {
		t.Fatalf("interrupted resume: err = %v", err)
	}
	// Without its saved "before", the run evaluates the frozen
	// reference, which is the SFT policy: the same numbers.
	if err := os.Remove(filepath.Join(split, BeforeFile)); err != nil {
		t.Fatal(err)
	}
	resumed, err := RunPPO(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	// The resumed run compares with the policy it started from, as
	// the uninterrupted one does, not with the resume point.
	if !reflect.DeepEqual(resumed.Before, full.Before) ||
		!reflect.DeepEqual(resumed.After.PerPrompt, full.After.PerPrompt) {
		t.Errorf("resumed before/after %v / %v, uninterrupted %v / %v",
			resumed.Before.PerPrompt, resumed.After.PerPrompt,
			full.Before.PerPrompt, full.After.PerPrompt)
	}
	// Resuming the finished run trains nothing and repeats its summary.
	again, err := RunPPO(ctx, o)
	if err != nil || !again.Finished ||
		!reflect.DeepEqual(again.Before, full.Before) ||
		!reflect.DeepEqual(again.After.PerPrompt, full.After.PerPrompt) {
		t.Errorf("finished resume: %+v, %v; want the run's summary",
			again, err)
	}
	// Without its final evaluation (Ctrl-C during it), resuming the
	// finished run evaluates it.
	if err := os.Remove(filepath.Join(split, AfterFile)); err != nil {
		t.Fatal(err)
	}
	again, err = RunPPO(ctx, o)
	if err != nil || !reflect.DeepEqual(again.After.PerPrompt,
		full.After.PerPrompt) || again.Steps != 4 {
		t.Errorf("resume without %s: %+v, %v; want the final evaluation",
			AfterFile, again, err)
	}
	// A "before" that is not this run's evaluation is refused.
	bad := filepath.Join(split, BeforeFile)
	if err := os.WriteFile(bad, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := RunPPO(ctx, o); err == nil ||
		!strings.Contains(err.Error(), "is not an evaluation") {
		t.Errorf("resume with an empty %s: err = %v", BeforeFile, err)
	}
	a, b := records(t, whole), records(t, split)
	if len(a) != 4 || len(b) != 4 {
		t.Fatalf("logged %d and %d iterations, want 4", len(a), len(b))
	}
	for i := range a {
		for k, v := range a[i] {
			if b[i][k] != v {
				t.Errorf("iteration %d %s: uninterrupted %v, resumed %v",
					i+1, k, v, b[i][k])
			}
		}
	}
	if a[3]["kl_coef"] == a[0]["kl_coef"] {
		t.Error("the adaptive KL coefficient never moved")
	}
}

// TestCalibrateNormalisesReferenceScores: after calibrate, the
// reference batch's normalised scores have mean 0 and variance 1 (up
// to the 1e-6 guard), and the numbers are what the state records.
func TestCalibrateNormalisesReferenceScores(t *testing.T) {
	sft, reward := fixture(t)
	o := ppoOptions(t, sft, reward, filepath.Join(t.TempDir(), "ppo"), 1, 0)
	r, err := newPPORun(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.calibrate(); err != nil {
		t.Fatal(err)
	}
	scores, err := r.calibrationScores()
	if err != nil || len(scores) != 6 {
		t.Fatalf("%d scores, err %v", len(scores), err)
	}
	z := make([]float64, len(scores))
	for i, s := range scores {
		z[i] = r.norm.apply(s)
	}
	mean, v := meanVar(z)
	if math.Abs(mean) > 1e-9 || math.Abs(v-1) > 1e-4 {
		t.Errorf("normalised mean %v variance %v, want 0 and 1", mean, v)
	}
	e := r.extra()
	if e["score_mean"] != r.norm.mean || e["score_std"] != r.norm.std ||
		r.norm.std <= 1e-6 {
		t.Errorf("extra %v, norm %+v", e, r.norm)
	}
}

// TestPPOTrainsOnlyUnfrozenBlocks: with ppo.unfrozen_layers = 1 the
// first block, the embeddings and every router bias keep their SFT
// values bitwise, while the last block and lm_head move.
func TestPPOTrainsOnlyUnfrozenBlocks(t *testing.T) {
	sft, reward := fixture(t)
	o := ppoOptions(t, sft, reward, filepath.Join(t.TempDir(), "ppo"), 3, 0)
	o.PPO.UnfrozenLayers = 1
	r, err := newPPORun(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.policy.Layers) != 2 {
		t.Fatalf("fixture has %d blocks, want 2", len(r.policy.Layers))
	}
	snap := func() map[string][]float32 {
		out := map[string][]float32{}
		for _, p := range r.policy.Params() {
			out[p.Name] = slices.Clone(p.Data)
		}
		for i, b := range r.policy.Layers {
			if b.MoE != nil {
				out["bias"+itoa(i)] = slices.Clone(b.MoE.Bias.Data)
			}
		}
		return out
	}
	before := snap()
	for it := range 3 {
		if _, err := r.iteration(it, 1e-3); err != nil {
			t.Fatal(err)
		}
	}
	after := snap()
	for name, v := range before {
		same := slices.Equal(v, after[name])
		trained := name == "lm_head.weight" || name == "model.norm.weight" ||
			strings.HasPrefix(name, "model.layers.1.")
		switch {
		case !trained && !same:
			t.Errorf("%s changed; it is frozen", name)
		case trained && same && strings.HasSuffix(name, "proj.weight") &&
			!strings.Contains(name, "experts."):
			// Routed experts may receive no token in 3 iterations;
			// attention and shared projections always do.
			t.Errorf("%s did not change; it is trained", name)
		}
	}
	if slices.Equal(before["lm_head.weight"], after["lm_head.weight"]) {
		t.Error("lm_head did not change")
	}
}

// TestPairedGain: the gain is the mean per-prompt difference and its
// standard error the differences' sample deviation over √n.
func TestPairedGain(t *testing.T) {
	b := EvalPPO{PerPrompt: []float64{1, 2, 3, 4}}
	a := EvalPPO{PerPrompt: []float64{2, 2, 4, 6}} // differences 1 0 1 2
	g, se, ok := PairedGain(b, a)
	// mean 1, sample variance (0+1+0+1)/3, se = sqrt(2/3/4).
	if !ok || g != 1 || math.Abs(se-math.Sqrt(2.0/3/4)) > 1e-12 {
		t.Errorf("gain %v ± %v ok %v, want 1 ± %v", g, se, ok,
			math.Sqrt(2.0/3/4))
	}
	if _, _, ok := PairedGain(b, EvalPPO{PerPrompt: []float64{1}}); ok {
		t.Error("prompts of different evaluations were paired")
	}
}

// TestTrainableNames: which tensors each ppo.unfrozen_layers trains on
// a 2-block model, tied and untied.
func TestTrainableNames(t *testing.T) {
	tied := tinyConfig()
	tied.TieWordEmbeddings = true
	mt, err := layers.New(tied, 7)
	if err != nil {
		t.Fatal(err)
	}
	m := tinyModel(t, 7)
	all := len(m.Params())
	for _, c := range []struct {
		name       string
		m          *layers.Model
		n          int
		want       int // tensors, or -1 for all
		head       string
		notBlock0  bool
		trainBlock bool
	}{
		{"all", m, -1, -1, "lm_head.weight", false, true},
		{"more than blocks", m, 5, -1, "lm_head.weight", false, true},
		{"head only", m, 0, 2, "lm_head.weight", true, false},
		{"last block", m, 1, 0, "lm_head.weight", true, true},
		{"tied head only", mt, 0, 2, "model.embed_tokens.weight", true,
			false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := trainable(c.m, c.n)
			names := map[string]bool{}
			for _, p := range got {
				names[p.Name] = true
			}
			switch {
			case c.want == -1 && len(got) != all:
				t.Errorf("%d tensors, want all %d", len(got), all)
			case c.want > 0 && len(got) != c.want:
				t.Errorf("%d tensors %v, want %d", len(got), names, c.want)
			}
			if !names[c.head] || !names["model.norm.weight"] {
				t.Errorf("head %s or final norm not trained: %v", c.head,
					names)
			}
			block0 := names["model.layers.0.self_attn.q_proj.weight"]
			block1 := names["model.layers.1.self_attn.q_proj.weight"]
			if block0 == c.notBlock0 || block1 != c.trainBlock {
				t.Errorf("block 0 trained %v, block 1 trained %v",
					block0, block1)
			}
		})
	}
}

// TestPPOResumeRefusesOtherUnfrozenLayers: a run started with one
// block trained cannot resume with another count; the error names the
// key and the value to use.
func TestPPOResumeRefusesOtherUnfrozenLayers(t *testing.T) {
	sft, reward := fixture(t)
	out := filepath.Join(t.TempDir(), "ppo")
	o := ppoOptions(t, sft, reward, out, 4, 2)
	o.PPO.UnfrozenLayers = 1
	if _, err := RunPPO(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, -1} {
		o := ppoOptions(t, sft, reward, out, 4, 0)
		o.PPO.UnfrozenLayers, o.Resume = n, true
		_, err := RunPPO(context.Background(), o)
		if err == nil || !strings.Contains(err.Error(),
			"ppo.unfrozen_layers=1") {
			t.Errorf("resume with %d: err %v, want a refusal naming "+
				"ppo.unfrozen_layers=1", n, err)
		}
	}
}

// TestBatchPromptsGroupsSamples: with ppo.samples_per_prompt = S a
// rollout batch is RolloutBatch/S prompts, each repeated S times in a
// row, and one pass over the training prompts visits each once.
func TestBatchPromptsGroupsSamples(t *testing.T) {
	const nTrain, batch, S = 12, 8, 4
	r := &ppoRun{o: PPOOptions{PPO: DefaultPPOConfig()}}
	r.o.PPO.RolloutBatch, r.o.PPO.SamplesPerPrompt = batch, S
	for i := range nTrain {
		r.train = append(r.train, Prompt{Msgs: []data.Message{{
			Role: data.RoleUser, Content: "prompt " + itoa(i)}}})
	}
	seen := map[string]int{}
	for it := range nTrain * S / batch {
		ps := r.batchPrompts(it)
		if len(ps) != batch {
			t.Fatalf("iteration %d: %d prompts, want %d", it, len(ps), batch)
		}
		for g := 0; g < batch; g += S {
			p := ps[g].Msgs[0].Content
			for _, q := range ps[g : g+S] {
				if q.Msgs[0].Content != p {
					t.Fatalf("iteration %d group %d mixes %q and %q", it,
						g/S, p, q.Msgs[0].Content)
				}
			}
			seen[p]++
		}
	}
	if len(seen) != nTrain {
		t.Fatalf("one epoch visited %d distinct prompts, want %d",
			len(seen), nTrain)
	}
	for p, n := range seen {
		if n != 1 {
			t.Errorf("%q drawn %d times in one epoch, want 1", p, n)
		}
	}
}

// TestPPOResumeRefusesChangedSettings: a resumed run keeps the ppo.*
// settings and the inputs it started with, which config.yaml records
// (inputs by content: another reward model or a prompt file edited in
// place is refused, the same file under another path is not); any
// other is refused by name, and so is a --stop-after that is not ahead
// of the checkpoint.
func TestPPOResumeRefusesChangedSettings(t *testing.T) {
	sft, reward := fixture(t)
	_, reward2 := fixtureHead(t, 4)
	prompts := writeLines(t, promptLines(100))
	out := filepath.Join(t.TempDir(), "ppo")
	opts := func(stopAfter int) PPOOptions {
		o := ppoOptions(t, sft, reward, out, 4, stopAfter)
		o.Prompts = prompts
		return o
	}
	if _, err := RunPPO(context.Background(), opts(2)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(o *PPOOptions)
		want string
	}{
		{"rollout batch", func(o *PPOOptions) { o.PPO.RolloutBatch = 8 },
			"ppo.rollout_batch=4, not 8"},
		{"kl coefficient", func(o *PPOOptions) { o.PPO.KLCoef = 0.9 },
			"ppo.kl_coef=0.3, not 0.9"},
		{"learning rate", func(o *PPOOptions) { o.Config.Train.LR = 5e-4 },
			"train.lr=0.001, not 0.0005"},
		{"stop-after not ahead", func(o *PPOOptions) { o.StopAfter = 2 },
			"--stop-after 2: want 0 or a step after the checkpoint's 2"},
		{"reward model", func(o *PPOOptions) { o.Reward = reward2 },
			"--reward " + filepath.Join(reward2, "checkpoints",
				"step-000001") + " is not what the run started with"},
		{"other prompt file", func(o *PPOOptions) {
			o.Prompts = writeLines(t, `{"prompt": "Other"}`+"\n"+
				promptLines(100))
		}, "its content changed"},
		{"built-in prompts", func(o *PPOOptions) { o.Prompts = "" },
			"lines.jsonl, not (built-in data)"},
		{"prompt file edited in place", func(o *PPOOptions) {
			if err := os.WriteFile(prompts, []byte(promptLines(101)),
				0o644); err != nil {
				t.Fatal(err)
			}
		}, "its content changed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := opts(0)
			o.Resume = true
			tt.edit(&o)
			_, err := RunPPO(context.Background(), o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
	// The same prompts under another path are the same input.
	o := opts(0)
	o.Resume, o.Prompts = true, writeLines(t, promptLines(100))
	if _, err := RunPPO(context.Background(), o); err != nil {
		t.Errorf("resume with the same settings: %v", err)
	}
}

// promptLines is n lines of a prompt file.
func promptLines(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"prompt": "Say %d."}`+"\n", i)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// TestPPORefusesPromptWithoutRoom: a prompt that fills the model's
// positions is refused with its file and line before any training.
func TestPPORefusesPromptWithoutRoom(t *testing.T) {
	sft, reward := fixture(t)
	var b strings.Builder
	for i := range 100 {
		p := fmt.Sprintf("Say %d.", i)
		if i == 1 {
			p = strings.Repeat("word ", 200)
		}
		fmt.Fprintf(&b, `{"prompt": %q}`+"\n", p)
	}
	out := filepath.Join(t.TempDir(), "ppo")
	o := ppoOptions(t, sft, reward, out, 2, 0)
	o.Prompts = writeLines(t, b.String())
	_, err := RunPPO(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(),
		o.Prompts+":2: prompt of ") {
		t.Fatalf("err = %v, want one naming %s:2", err, o.Prompts)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("refused run left %s (stat: %v)", out, err)
	}
}

// TestSameTokenizer: byte-identical tokenizer files pass; files that
// differ, or a missing one, are refused.
func TestSameTokenizer(t *testing.T) {
	dir := func(content string) string {
		d := t.TempDir()
		if content != "" {
			err := os.WriteFile(filepath.Join(d, "tokenizer.json"),
				[]byte(content), 0o644)
			if err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	a, same, other, none := dir(`{"v":1}`), dir(`{"v":1}`), dir(`{"v":2}`),
		dir("")
	tests := []struct {
		name, reward, want string
	}{
		{"same", same, ""},
		{"other", other, "the reward model's tokenizer"},
		{"missing", none, "tokenizer.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := sameTokenizer(a, tt.reward)
			if tt.want == "" && err != nil ||
				tt.want != "" && (err == nil ||
					!strings.Contains(err.Error(), tt.want)) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
