package rlhf

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tinyseek/tinyseek/configs"
	"github.com/tinyseek/tinyseek/data"
)

// TestReadPairsBOMAndBadLines: a byte-order mark before a line is not
// a parse error, identical replies and (with skipBad) malformed lines
// (a negative margin among them) are skipped and counted, and
// without skipBad the first malformed line is reported by number.
func TestReadPairsBOMAndBadLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pairs.jsonl")
	body := "\uFEFF" + `{"prompt": "a?", "chosen": "1", "rejected": "2"}
{"prompt": "b?", "chosen": 3, "rejected": "4"}
{"prompt": "c?", "chosen": "5", "rejected": "5"}
not json
` + "\uFEFF" + `{"prompt": "d?", "chosen": "6", "rejected": "7"}
{"prompt": "e?", "chosen": "8", "rejected": "9", "margin": -1}
`
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	pairs, same, bad, err := ReadPairs(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 2 || same != 1 || bad != 3 {
		t.Errorf("got %d pairs, %d identical, %d bad; want 2, 1, 3",
			len(pairs), same, bad)
	}
	if len(pairs) > 0 && pairs[0].Prompt[0].Content != "a?" {
		t.Errorf("first prompt %q, want %q", pairs[0].Prompt[0].Content,
			"a?")
	}
	_, _, _, err = ReadPairs(path, false)
	var pe *data.ParseError
	if !errors.As(err, &pe) || pe.Line != 2 {
		t.Errorf("without skipBad: err = %v, want a ParseError at line 2",
			err)
	}
	prompts, err := ReadPrompts(writeLines(t, "\uFEFF"+`{"prompt": "x?"}`))
	if err != nil || len(prompts) != 1 ||
		prompts[0].Msgs[0].Content != "x?" ||
		!strings.HasSuffix(prompts[0].Where, "lines.jsonl:1") {
		t.Errorf("ReadPrompts with a BOM: %v, %v", prompts, err)
	}
}

func writeLines(t *testing.T, s string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "lines.jsonl")
	if err := os.WriteFile(path, []byte(s+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func rewardOptions(t *testing.T, sft, out string, steps,
	stopAfter int) RewardOptions {
	t.Helper()
	cfg, err := configs.Load([]configs.Source{{Name: "reward",
		YAML: []byte(RewardDefaults)}}, []string{"train.save_every=100",
		"train.eval_every=100", "train.batch_size=2",
		"train.steps=" + itoa(steps)})
	if err != nil {
		t.Fatal(err)
	}
	rc := DefaultRewardConfig()
	rc.BuiltinPairs, rc.ValFraction = 24, 0.3
	return RewardOptions{Common: Common{Config: cfg, Out: out, Log: quiet(),
		StopAfter: stopAfter}, Init: sft, Reward: rc}
}

// TestRunBothStopsAndResumesPerStage pins three failures of the
// combined command: PPO ran on a reward model stopped at --stop-after;
// --resume then failed because the PPO folder held no checkpoint; and
// a finished stage reported zeros as its evaluation.
func TestRunBothStopsAndResumesPerStage(t *testing.T) {
	sft, _ := fixture(t)
	out := t.TempDir()
	rout, pout := filepath.Join(out, "reward"), filepath.Join(out, "ppo")
	ctx := context.Background()
	run := func(resume bool, stopAfter int) BothResult {
		t.Helper()
		r := rewardOptions(t, sft, rout, 4, stopAfter)
		p := ppoOptions(t, sft, "", pout, 2, stopAfter)
		r.Resume = resume
		res, err := RunBoth(ctx, r, p)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	// 1. The reward stage pauses at step 2; PPO must not start.
	res := run(false, 2)
	if !res.Reward.Stopped || res.Reward.Steps != 2 || res.PPO != nil {
		t.Fatalf("stop-after: reward %+v, ppo %v; want stopped at 2 "+
			"and no PPO", res.Reward, res.PPO)
	}
	if res.Reward.Metrics != nil || HasCheckpoints(pout) {
		t.Errorf("stop-after: metrics %v, ppo checkpoints %v; want none",
			res.Reward.Metrics, HasCheckpoints(pout))
	}

	// 2. --resume finishes the reward model and starts PPO fresh.
	res = run(true, 0)
	if res.Reward.Stopped || res.Reward.Steps != 4 ||
		res.Reward.Metrics == nil {
		t.Fatalf("resume: reward %+v, want trained to 4 and evaluated",
			res.Reward)
	}
	if res.PPO == nil || res.PPO.Steps != 2 || res.PPO.Stopped ||
		res.PPO.Finished {
		t.Fatalf("resume: ppo %+v, want a fresh run of 2 steps", res.PPO)
	}

	// 3. Resuming a finished chain trains nothing and says so.
	res = run(true, 0)
	if !res.Reward.Finished || res.Reward.Steps != 4 ||
		res.PPO == nil || !res.PPO.Finished || res.PPO.Steps != 2 {
		t.Fatalf("finished: reward %+v, ppo %+v; want both finished",
			res.Reward, res.PPO)
	}

	// 4. More steps for the chain would train the reward model on
	// under the started PPO run: refused.
	r6 := rewardOptions(t, sft, rout, 6, 0)
	p6 := ppoOptions(t, sft, "", pout, 6, 0)
	r6.Resume, r6.StepsGiven, p6.StepsGiven = true, true, true
	_, err := RunBoth(ctx, r6, p6)
	if err == nil || !strings.Contains(err.Error(),
		"holds PPO checkpoints made against the reward model at step 4") {
		t.Errorf("chain with more steps: err = %v", err)
	}

	// 5. A finished stage still refuses settings that would not take
	// effect.
	r := rewardOptions(t, sft, rout, 4, 0)
	r.Resume, r.Reward.Center = true, 0.5
	if _, err := RunReward(ctx, r); err == nil ||
		!strings.Contains(err.Error(), "reward.center=0.01, not 0.5") {
		t.Errorf("finished reward, other center: err = %v", err)
	}
}

// TestRunBothChecksPromptsFirst: an unusable PPO prompt file (bad
// JSON, an empty prompt, a prompt too long for the policy) is refused
// before the reward stage spends its time, naming the file and line,
// and no run folder is left behind.
func TestRunBothChecksPromptsFirst(t *testing.T) {
	sft, _ := fixture(t)
	tests := []struct{ name, line2, want string }{
		{"bad json", "{oops", ":2: "},
		{"empty prompt", `{"prompt": " "}`, ":2: empty prompt"},
		{"too long", `{"prompt": "` + strings.Repeat("word ", 200) + `"}`,
			":2: prompt of "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			for i := range 100 {
				line := fmt.Sprintf(`{"prompt": "Say %d."}`, i)
				if i == 1 {
					line = tt.line2
				}
				b.WriteString(line + "\n")
			}
			bad := writeLines(t, b.String())
			out := filepath.Join(t.TempDir(), "rlhf")
			r := rewardOptions(t, sft, filepath.Join(out, "reward"), 4, 0)
			p := ppoOptions(t, sft, "", filepath.Join(out, "ppo"), 2, 0)
			p.Prompts = bad
			_, err := RunBoth(context.Background(), r, p)
			if err == nil || !strings.Contains(err.Error(), bad+tt.want) {
				t.Fatalf("err = %v, want one containing %s%s", err, bad,
					tt.want)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("refused chain left %s (stat: %v)", out, err)
			}
		})
	}
}
