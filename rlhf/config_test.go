package rlhf

import (
	"strings"
	"testing"
)

// TestSetKeyErrorsNameTheKey: a bad --set says which key and what
// was wrong in one line, never Go's reflection or YAML vocabulary.
func TestSetKeyErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name, kv, want string
	}{
		{"unknown ppo key", "ppo.bogus=1",
			"rlhf: --set ppo.bogus: unknown key"},
		{"unknown reward key", "reward.bogus=1",
			"rlhf: --set reward.bogus: unknown key"},
		{"float not a number", "ppo.target_kl=abc",
			`rlhf: --set ppo.target_kl: want a number, got "abc"`},
		{"float NaN", "ppo.kl_coef=NaN",
			`rlhf: --set ppo.kl_coef: want a number, got "NaN"`},
		{"int not an integer", "ppo.epochs=1.5",
			`rlhf: --set ppo.epochs: want an integer, got "1.5"`},
		{"bool", "ppo.adaptive_kl=maybe",
			`rlhf: --set ppo.adaptive_kl: want true or false, ` +
				`got "maybe"`},
		{"no section", "kl_coef=1",
			`rlhf: --set "kl_coef=1": want reward.key=value or ` +
				`ppo.key=value`},
		{"other section", "train.lr=1",
			`rlhf: --set "train.lr=1": want reward.key=value or ` +
				`ppo.key=value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, pc := DefaultRewardConfig(), DefaultPPOConfig()
			err := SetKey(&rc, &pc, tt.kv, "--set")
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err = %v, want %s", err, tt.want)
			}
			if rc != DefaultRewardConfig() || pc != DefaultPPOConfig() {
				t.Error("a rejected value changed the config")
			}
		})
	}
}

func TestSetKeyStoresValues(t *testing.T) {
	rc, pc := DefaultRewardConfig(), DefaultPPOConfig()
	for _, kv := range []string{"ppo.kl_coef=0.05", "ppo.epochs=3",
		"ppo.adaptive_kl=false", "reward.builtin_pairs=40",
		"reward.center= 1e-3"} {
		if err := SetKey(&rc, &pc, kv, "--set"); err != nil {
			t.Fatal(err)
		}
	}
	if pc.KLCoef != 0.05 || pc.Epochs != 3 || pc.AdaptiveKL ||
		rc.BuiltinPairs != 40 || rc.Center != 1e-3 {
		t.Errorf("got %+v and %+v", pc, rc)
	}
}

// TestValidateRejectsImpossibleValues: each value no run can use is
// refused with an error naming its key; the defaults pass.
func TestValidateRejectsImpossibleValues(t *testing.T) {
	if err := DefaultPPOConfig().Validate(); err != nil {
		t.Fatalf("ppo defaults: %v", err)
	}
	if err := DefaultRewardConfig().Validate(); err != nil {
		t.Fatalf("reward defaults: %v", err)
	}
	tests := []struct{ name, kv string }{
		{"negative kl_coef", "ppo.kl_coef=-0.1"},
		{"zero target_kl", "ppo.target_kl=0"},
		{"zero clip_range", "ppo.clip_range=0"},
		{"gamma above 1", "ppo.gamma=1.5"},
		{"negative lambda", "ppo.lambda=-0.1"},
		{"zero rollout_batch", "ppo.rollout_batch=0"},
		{"zero mini_batch", "ppo.mini_batch=0"},
		{"zero samples_per_prompt", "ppo.samples_per_prompt=0"},
		{"mini_batch above rollout_batch", "ppo.mini_batch=256"},
		{"rollout_batch not a multiple of samples_per_prompt",
			"ppo.rollout_batch=66"},
		{"zero epochs", "ppo.epochs=0"},
		{"zero temperature", "ppo.temperature=0"},
		{"zero kl_horizon", "ppo.kl_horizon=0"},
		{"negative value_lr", "ppo.value_lr=-1"},
		{"zero eval_prompts", "ppo.eval_prompts=0"},
		{"negative center", "reward.center=-1"},
		{"val_fraction 1", "reward.val_fraction=1"},
		{"val_fraction 0", "reward.val_fraction=0"},
		{"one builtin pair", "reward.builtin_pairs=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, pc := DefaultRewardConfig(), DefaultPPOConfig()
			if err := SetKey(&rc, &pc, tt.kv, "--set"); err != nil {
				t.Fatal(err)
			}
			err := pc.Validate()
			if strings.HasPrefix(tt.kv, "reward.") {
				err = rc.Validate()
			}
			key, _, _ := strings.Cut(tt.kv, "=")
			if err == nil || !strings.HasPrefix(err.Error(),
				"rlhf: "+key+": ") {
				t.Errorf("err = %v, want one naming %s", err, key)
			}
		})
	}
}

// TestCheckKey: keys a stage would ignore are refused with the key
// named; the ones it reads pass.
func TestCheckKey(t *testing.T) {
	tests := []struct {
		stage, key string
		refused    bool
	}{
		{"reward", "model.num_hidden_layers", true},
		{"ppo", "model.dropout", true},
		{"ppo", "model", true},
		{"reward", "data.path", true},
		{"ppo", "train.seq_len", true},
		{"reward", "train.seq_len", true},
		{"ppo", "train.batch_size", true},
		{"ppo", "train.grad_accum", true},
		{"ppo", "train.sample_tokens", true},
		{"reward", "train.batch_size", false},
		{"reward", "train.grad_accum", false},
		{"ppo", "train.lr", false},
		{"ppo", "train.steps", false},
		{"reward", "train.seed", false},
	}
	for _, tt := range tests {
		t.Run(tt.stage+" "+tt.key, func(t *testing.T) {
			err := CheckKey(tt.stage, tt.key)
			if (err != nil) != tt.refused {
				t.Fatalf("err = %v, want refused %v", err, tt.refused)
			}
			if err != nil && !strings.Contains(err.Error(),
				"rlhf "+tt.stage+": "+tt.key+": ") {
				t.Errorf("err = %v, want one naming %s", err, tt.key)
			}
		})
	}
}
