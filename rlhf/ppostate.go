package rlhf

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	ag "github.com/tinyseek/tinyseek/autograd"
	"github.com/tinyseek/tinyseek/checkpoints"
	"github.com/tinyseek/tinyseek/data"
	"github.com/tinyseek/tinyseek/data/tokenizer"
	"github.com/tinyseek/tinyseek/layers"
	"github.com/tinyseek/tinyseek/pretrain"
)

// Names of the files a PPO checkpoint holds besides the policy's
// model.safetensors, config.json, tokenizer.json and
// optimizer.safetensors.
const (
	ValueFile          = "value.safetensors"
	ValueOptimizerFile = "value_optimizer.safetensors"
	ReferenceFile      = "reference.safetensors"
)

// newPPORun loads the policy, reference, reward model and critic,
// fresh from their checkpoints or from the run's latest checkpoint.
func newPPORun(o PPOOptions) (*ppoRun, error) {
	ck, err := pretrain.LoadCheckpoint(o.Policy, o.Log)
	if err != nil {
		return nil, fmt.Errorf("rlhf ppo: --policy: %w", err)
	}
	rdir, _, err := checkpoints.Open(o.Reward, o.Log)
	if err != nil {
		return nil, fmt.Errorf("rlhf ppo: --reward: %w", err)
	}
	r := &ppoRun{o: o, cfg: o.Config, tok: ck.Tok, policy: ck.Model,
		inputs: ppoInputs(o, ck.Dir, rdir)}
	r.cfg.Model = ck.Model.Cfg
	if r.reward, err = LoadScorer(rdir); err != nil {
		return nil, err
	}
	if r.value, err = LoadScorer(rdir); err != nil {
		return nil, err
	}
	if r.ref, err = layers.Load(ck.Dir); err != nil {
		return nil, err
	}
	if err := r.checkConfig(); err != nil {
		return nil, err
	}
	r.popt = newAdamW(trainable(r.policy, o.PPO.UnfrozenLayers),
		r.cfg.Train)
	r.vopt = newAdamW(r.value.Params(), r.cfg.Train)
	r.kl = KLController{Coef: o.PPO.KLCoef, Adaptive: o.PPO.AdaptiveKL,
		Target: o.PPO.TargetKL, Horizon: o.PPO.KLHorizon}
	r.state = &checkpoints.State{Stage: "ppo", Seed: r.cfg.Train.Seed,
		Extra: map[string]float64{"kl_coef": r.kl.Coef}}
	r.norm = scoreNorm{std: 1}
	if r.train, r.evals, err = ppoPrompts(o, r.cfg.Train.Seed); err != nil {
		return nil, err
	}
	err = checkPromptLengths(r.tok, r.policy.Cfg.MaxPositionEmbeddings,
		o.PPO.MaxNewTokens, slices.Concat(r.train, r.evals), o.Log)
	if err != nil {
		return nil, err
	}
	if o.Resume {
		return r, r.restore()
	}
	return r, nil
}

// ppoInputs are the inputs config.yaml records: the SFT and reward
// checkpoints (resolved, so that a reward run extended meanwhile is
// another input) and the prompt file.
func ppoInputs(o PPOOptions, policy, reward string) map[string]string {
	return map[string]string{"policy": policy, "reward": reward,
		"prompts": o.Prompts}
}

// unfrozenBlocks is ppo.unfrozen_layers as it takes effect on a
// model of L blocks: -1 (every parameter) when it asks for all blocks
// or more.
func unfrozenBlocks(n, L int) int {
	if n < 0 || n >= L {
		return -1
	}
	return n
}

// trainable returns the parameters of m that PPO updates: those of
// its last n decoder blocks, the final norm and the output head (the
// embeddings when the head is tied to them), or every parameter when
// unfrozenBlocks gives -1.
func trainable(m *layers.Model, n int) []*ag.Tensor {
	L := len(m.Layers)
	if unfrozenBlocks(n, L) < 0 {
		return m.Params()
	}
	head := "lm_head.weight"
	if m.Cfg.TieWordEmbeddings {
		head = "model.embed_tokens.weight"
	}
	var out []*ag.Tensor
	for _, p := range m.Params() {
		keep := p.Name == head || p.Name == "model.norm.weight"
		for i := L - n; i < L && !keep; i++ {
			keep = strings.HasPrefix(p.Name, fmt.Sprintf("model.layers.%d.", i))
		}
		if keep {
			out = append(out, p)
		}
	}
	return out
}

func (r *ppoRun) checkConfig() error {
	if err := r.o.PPO.Validate(); err != nil {
		return err
	}
	if r.reward.Model.Cfg.VocabSize != r.policy.Cfg.VocabSize {
		return fmt.Errorf("rlhf ppo: the reward model's vocabulary (%d) "+
			"differs from the policy's (%d)",
			r.reward.Model.Cfg.VocabSize, r.policy.Cfg.VocabSize)
	}
	return sameTokenizer(r.inputs["policy"], r.inputs["reward"])
}

// sameTokenizer refuses a reward checkpoint whose tokenizer differs
// from the policy's: equal vocabulary sizes are not enough, the reward
// model must read the policy's token ids as the same text.
func sameTokenizer(policy, reward string) error {
	pt, err1 := os.ReadFile(filepath.Join(policy, "tokenizer.json"))
	rt, err2 := os.ReadFile(filepath.Join(reward, "tokenizer.json"))
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("rlhf ppo: %w", err)
	}
	if !bytes.Equal(pt, rt) {
		return fmt.Errorf("rlhf ppo: the reward model's tokenizer (%s) "+
			"differs from the policy's (%s); train the reward model from "+
			"the same SFT checkpoint", reward, policy)
	}
	return nil
}

// checkPromptLengths refuses a prompt that leaves no position for a
// reply, naming its line, and warns once about prompts that leave
// fewer than ppo.max_new_tokens: their replies are cut short and most
// take the end penalty.
func checkPromptLengths(tok *tokenizer.Tokenizer, P, maxNew int,
	ps []Prompt, log *slog.Logger) error {
	short, first := 0, ""
	for _, p := range ps {
		ids, _, err := data.EncodeChat(tok, p.Msgs, true)
		if err != nil {
			return fmt.Errorf("rlhf ppo: %s: %w", where(p), err)
		}
		if len(ids) >= P {
			return fmt.Errorf("rlhf ppo: %s: prompt of %d tokens leaves "+
				"no room for a reply in the model's %d positions",
				where(p), len(ids), P)
		}
		if len(ids)+maxNew > P {
			if short++; first == "" {
				first = where(p)
			}
		}
	}
	if short > 0 {
		log.Warn("ppo: prompts leave fewer than ppo.max_new_tokens "+
			"positions for the reply; those replies are cut short",
			"prompts", short, "first", first, "max_new_tokens", maxNew,
			"positions", P)
	}
	return nil
}

// where names a prompt for an error: its file and line, or its text.
func where(p Prompt) string {
	if p.Where != "" {
		return p.Where
	}
	return fmt.Sprintf("built-in prompt %q", p.Msgs[len(p.Msgs)-1].Content)
}

// ppoPrompts reads or draws the prompts and splits off the held-out
// ones by prompt hash.
func ppoPrompts(o PPOOptions, seed uint64) (train, evals []Prompt,
	err error) {
	var all []Prompt
	if o.Prompts == "" {
		for _, t := range data.BuiltinTasks(int64(seed)+7,
			o.PPO.BuiltinPrompts) {
			all = append(all, Prompt{Msgs: []data.Message{{
				Role: data.RoleUser, Content: t.Prompt}}, Task: &t})
		}
	} else {
		if all, err = ReadPrompts(o.Prompts); err != nil {
			return nil, nil, err
		}
	}
	for _, p := range all {
		if len(evals) < o.PPO.EvalPrompts && heldOut(p.Msgs, seed, 0.1) {
			evals = append(evals, p)
		} else if !heldOut(p.Msgs, seed, 0.1) {
			train = append(train, p)
		}
	}
	if len(train) == 0 || len(evals) == 0 {
		return nil, nil, fmt.Errorf("rlhf ppo: %d prompts gave %d for "+
			"training and %d held out; need both (about one prompt in "+
			"ten is held out, chosen by a hash of its text, so give a "+
			"few dozen or more)", len(all), len(train), len(evals))
	}
	return train, evals, nil
}

// modelTensors are the tensors that define a model: parameters and
// buffers (the routing biases).
func modelTensors(m *layers.Model) []*ag.Tensor {
	return append(slices.Clone(m.Params()), m.Buffers()...)
}

// save writes the policy (model.safetensors, optimizer), the critic
// and its optimizer, the reference, and the state with β.
func (r *ppoRun) save() error {
	r.state.Extra = r.extra()
	dir, err := checkpoints.Save(r.o.Out, r.state, r.cfg.Train.KeepLast,
		func(dir string) error {
			err := pretrain.SaveModel(dir, r.policy, r.tok, r.popt, nil)
			if err != nil {
				return err
			}
			vt := append(modelTensors(r.value.Model), r.value.Head)
			if err := writeTensors(filepath.Join(dir, ValueFile),
				vt); err != nil {
				return err
			}
			if err := pretrain.SaveOptimizer(filepath.Join(dir,
				ValueOptimizerFile), r.vopt); err != nil {
				return err
			}
			return writeTensors(filepath.Join(dir, ReferenceFile),
				modelTensors(r.ref))
		})
	if err != nil {
		return fmt.Errorf("rlhf ppo: %w", err)
	}
	r.o.Log.Info("checkpoint saved", "step", r.state.Step, "dir", dir)
	return r.metrics.Plot(filepath.Join(r.o.Out, "score.png"), "ppo")
}

// restore loads everything save wrote from the run's latest good
// checkpoint.
func (r *ppoRun) restore() error {
	if err := r.checkUnfrozen(); err != nil {
		return err
	}
	st, err := pretrain.Restore(r.o.Out, "ppo", r.cfg, r.policy, r.popt,
		r.o.Log)
	if err != nil {
		return err
	}
	dir := filepath.Join(checkpoints.Dir(r.o.Out), checkpoints.Name(st.Step))
	vt := append(modelTensors(r.value.Model), r.value.Head)
	if err := readTensors(filepath.Join(dir, ValueFile), vt); err != nil {
		return err
	}
	if err := pretrain.LoadOptimizer(filepath.Join(dir,
		ValueOptimizerFile), r.vopt); err != nil {
		return err
	}
	if err := readTensors(filepath.Join(dir, ReferenceFile),
		modelTensors(r.ref)); err != nil {
		return err
	}
	coef, ok := st.Extra["kl_coef"]
	if !ok {
		return fmt.Errorf("rlhf ppo: %s: trainer_state.json lacks "+
			"extra.kl_coef", dir)
	}
	r.kl.Coef, r.state = coef, st
	r.norm = scoreNorm{mean: st.Extra["score_mean"], std: 1}
	if v, ok := st.Extra["score_std"]; ok {
		r.norm.std = v
	}
	return nil
}

// scoreNorm maps a reward-model score to the PPO reward.
type scoreNorm struct{ mean, std float64 }

func (n scoreNorm) apply(score float64) float64 {
	return (score - n.mean) / n.std
}

// extra is what trainer_state.json's extra records: β and the score
// normalisation.
func (r *ppoRun) extra() map[string]float64 {
	return map[string]float64{"kl_coef": r.kl.Coef,
		"score_mean": r.norm.mean, "score_std": r.norm.std,
		"unfrozen_layers": float64(r.unfrozen())}
}

// unfrozen is the effective ppo.unfrozen_layers of this run.
func (r *ppoRun) unfrozen() int {
	return unfrozenBlocks(r.o.PPO.UnfrozenLayers, len(r.policy.Layers))
}

// checkUnfrozen refuses to resume a run with other trained blocks
// than it started with: the optimizer state would not fit, or, with
// fewer blocks, the run would silently change course. It reads the
// newest checkpoint's state unverified (every checkpoint of a run has
// the same setting; Restore verifies the one it loads). Checkpoints
// from before the setting existed trained every parameter.
func (r *ppoRun) checkUnfrozen() error {
	root := checkpoints.Dir(r.o.Out)
	names, err := checkpoints.List(root)
	if err != nil || len(names) == 0 {
		return nil // Restore reports it
	}
	st, err := checkpoints.ReadState(filepath.Join(root,
		names[len(names)-1]))
	if err != nil {
		return nil // a damaged newest checkpoint: Restore falls back
	}
	was, ok := st.Extra["unfrozen_layers"]
	if !ok {
		was = -1
	}
	if int(was) != r.unfrozen() {
		return fmt.Errorf("rlhf ppo: --resume: ppo.unfrozen_layers "+
			"gives %d here but the run was started with %d (-1: every "+
			"parameter); resume with --set ppo.unfrozen_layers=%d",
			r.unfrozen(), int(was), int(was))
	}
	return nil
}

// calibrate sets the score normalisation from the SFT policy's
// answers to the first ppo.norm_prompts training prompts; it runs
// before the first iteration. Fewer than 2 prompts leave it off.
func (r *ppoRun) calibrate() error {
	scores, err := r.calibrationScores()
	if err != nil || len(scores) < 2 {
		return err
	}
	mean, v := meanVar(scores)
	r.norm = scoreNorm{mean: mean, std: math.Sqrt(v) + 1e-6}
	r.state.Extra = r.extra()
	r.o.Log.Info("ppo reward normalisation", "prompts", len(scores),
		"score_mean", pretrain.Round(mean, 4),
		"score_std", pretrain.Round(r.norm.std, 4))
	return nil
}

// calibrationScores samples the policy's answers to the calibration
// prompts, with seeds of their own, and scores them.
func (r *ppoRun) calibrationScores() ([]float64, error) {
	n := min(r.o.PPO.NormPrompts, len(r.train))
	if n < 1 {
		return nil, nil
	}
	ro, err := r.rollout(r.train[:n], func(i int) uint64 {
		return r.cfg.Train.Seed ^ 0xca1<<24 + uint64(i)
	})
	if err != nil {
		return nil, err
	}
	return r.scoreRollouts(ro).score, nil
}
