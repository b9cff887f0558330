package sft

import (
	"fmt"
	"math/rand/v2"

	"github.com/tinyseek/tinyseek/data"
)

// Sizes of the built-in instruction data.
const (
	// BuiltinTrain is the number of training tasks drawn.
	BuiltinTrain = 8000
	// BuiltinHeldOut is the number of held-out tasks (20 per kind).
	BuiltinHeldOut = 140
	// heldOutSeed fixes the held-out tasks whatever train.seed is, so
	// runs with different seeds are scored on the same questions.
	heldOutSeed = 0x5f7
)

// Builtin returns the built-in instruction data: nTrain tasks drawn
// with seed and nHeld held-out tasks drawn with a fixed seed. No
// held-out question appears among the training ones, and each
// held-out question appears once.
func Builtin(seed uint64, nTrain, nHeld int) (train, held []Example) {
	seen := map[string]bool{}
	for _, t := range data.BuiltinTasks(heldOutSeed, nHeld) {
		if !seen[t.Prompt] {
			seen[t.Prompt] = true
			held = append(held, taskExample(t))
		}
	}
	for _, t := range data.BuiltinTasks(int64(seed), nTrain) {
		if !seen[t.Prompt] {
			train = append(train, taskExample(t))
		}
	}
	return train, held
}

func taskExample(t data.Task) Example {
	return Example{Task: &t, Messages: []data.Message{
		{Role: data.RoleUser, Content: t.Prompt},
		{Role: data.RoleAssistant, Content: t.Answer}}}
}

// SplitHeldOut sets aside a held-out share of user data: 5% of the
// examples, at least 1 and at most 200, chosen by seed.
func SplitHeldOut(exs []Example, seed uint64) (train, held []Example,
	err error) {
	if len(exs) < 2 {
		return nil, nil, fmt.Errorf("sft: %d example(s): need at least "+
			"2, one of them held out", len(exs))
	}
	n := min(max(len(exs)/20, 1), 200)
	rng := rand.New(rand.NewPCG(seed, 0x4e1d))
	out := map[int]bool{}
	for _, i := range rng.Perm(len(exs))[:n] {
		out[i] = true
	}
	for i, ex := range exs {
		if out[i] {
			held = append(held, ex)
		} else {
			train = append(train, ex)
		}
	}
	return train, held, nil
}
