package rlhf

import (
	"context"
	"fmt"
	"slices"

	"github.com/tinyseek/tinyseek/checkpoints"
	"github.com/tinyseek/tinyseek/pretrain"
)

// BothResult is what `train rlhf` (reward, then PPO) reports.
type BothResult struct {
	Reward RewardResult
	// PPO is nil when PPO did not start because the reward stage
	// stopped early.
	PPO *PPOResult
}

// RunBoth trains the reward model into r.Out and then PPO into p.Out
// against it. With Resume set (on r), each stage resumes when its
// folder holds a checkpoint and starts fresh otherwise, so a chain
// interrupted in either stage continues with the same command; a
// reward stage already at its final step is not trained again. A
// reward stage that stops early (--stop-after) ends the chain there:
// PPO against a half-trained reward model would waste the run.
func RunBoth(ctx context.Context, r RewardOptions, p PPOOptions) (
	BothResult, error) {
	r.Common, p.Common = keepSteps(r.Common), keepSteps(p.Common)
	resume := r.Resume
	r.Resume = resume && HasCheckpoints(r.Out)
	p.Resume = resume && HasCheckpoints(p.Out)
	p.Reward = r.Out

	// Refuse a folder that needs --resume before spending the reward
	// stage's time, the reward folder first.
	var res BothResult
	if err := pretrain.StartRun("reward", r.Out, r.Resume,
		r.StopAfter); err != nil {
		return res, err
	}
	err := pretrain.StartRun("ppo", p.Out, p.Resume, p.StopAfter)
	if err != nil {
		return res, err
	}
	// PPO runs against the reward checkpoint it started with; training
	// the reward model further would strand a started PPO run.
	if p.Resume {
		_, st, err := checkpoints.Open(r.Out, r.Log)
		if err == nil && st.Step < r.Config.Train.Steps {
			return res, fmt.Errorf("rlhf: %s holds PPO checkpoints made "+
				"against the reward model at step %d, which the chain "+
				"would train on to step %d; resume PPO alone (train rlhf "+
				"ppo --resume --out %s --policy %s --reward %s and the "+
				"chain's other flags) or start the chain in another "+
				"--out", p.Out, st.Step, r.Config.Train.Steps, p.Out,
				p.Policy, r.Out)
		}
	}
	// So is a PPO prompt file that cannot be used, for its format or
	// for its prompts' lengths under the policy's tokenizer.
	train, evals, err := ppoPrompts(p, p.Config.Train.Seed)
	if err != nil {
		return res, err
	}
	if p.Prompts != "" {
		ck, err := pretrain.LoadCheckpoint(p.Policy, p.Log)
		if err != nil {
			return res, fmt.Errorf("rlhf ppo: --policy: %w", err)
		}
		err = checkPromptLengths(ck.Tok, ck.Model.Cfg.MaxPositionEmbeddings,
			p.PPO.MaxNewTokens, slices.Concat(train, evals), p.Log)
		if err != nil {
			return res, err
		}
	}
	if res.Reward, err = RunReward(ctx, r); err != nil || res.Reward.Stopped {
		return res, err
	}
	pr, err := RunPPO(ctx, p)
	res.PPO = &pr
	return res, err
}
