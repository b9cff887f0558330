package layers

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestConfigJSONRoundTrip(t *testing.T) {
	for _, q := range []OptRank{0, 24} {
		c := DefaultConfig()
		c.QLoraRank, c.Dropout, c.AuxLossAlpha = q, 0.1, 0.001
		path := filepath.Join(t.TempDir(), "config.json")
		if err := c.Save(path); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(path)
		wantNull := q == 0
		if strings.Contains(string(b), `"q_lora_rank": null`) != wantNull {
			t.Errorf("q_lora_rank=%d written as:\n%s", q, b)
		}
		for _, key := range []string{`"model_type": "deepseek_v3"`,
			`"rope_interleave": true`, `"kv_lora_rank": 32`} {
			if !strings.Contains(string(b), key) {
				t.Errorf("config.json lacks %s", key)
			}
		}
		got, err := LoadConfig(path)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, c)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name, want string
		edit       func(*Config)
	}{
		{"k>e", "num_experts_per_tok = 9", func(c *Config) {
			c.NumExpertsPerTok = 9
		}},
		{"groups", "n_group = 3 does not divide", func(c *Config) {
			c.NGroup, c.TopKGroup = 3, 1
		}},
		{"topk_group", "topk_group = 3", func(c *Config) {
			c.NGroup, c.TopKGroup = 2, 3
		}},
		{"k beyond kept groups", "exceeds the 2 experts", func(c *Config) {
			c.NGroup, c.TopKGroup, c.NumExpertsPerTok = 4, 1, 3
		}},
		{"odd rope", "qk_rope_head_dim = 15 must be even", func(c *Config) {
			c.QKRopeHeadDim = 15
		}},
		{"heads", "num_attention_heads = 0", func(c *Config) {
			c.NumAttentionHeads = 0
		}},
		{"latent", "kv_lora_rank = 0", func(c *Config) { c.KVLoraRank = 0 }},
		{"eps", "rms_norm_eps", func(c *Config) { c.RMSNormEps = 0 }},
		{"dropout", "dropout = 1", func(c *Config) { c.Dropout = 1 }},
		{"component", `norm = "batchnorm"`, func(c *Config) {
			c.Norm = "batchnorm"
		}},
		{"scoring", `scoring_func = "relu"`, func(c *Config) {
			c.ScoringFunc = "relu"
		}},
		{"dense width", "intermediate_size = 0", func(c *Config) {
			c.IntermediateSize = 0
		}},
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.edit(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
			if _, err := New(c, 1); err == nil {
				t.Error("New accepted an invalid config")
			}
		})
	}
}

func TestValidateVocab(t *testing.T) {
	c := DefaultConfig()
	if err := c.ValidateVocab(256); err != nil {
		t.Error(err)
	}
	err := c.ValidateVocab(300)
	if err == nil || !strings.Contains(err.Error(), "vocab_size = 256") {
		t.Errorf("got %v", err)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"hidden_size": "wide"}`), 0o644)
	invalid := filepath.Join(dir, "invalid.json")
	c := DefaultConfig()
	c.NumExpertsPerTok = 20
	c.Save(invalid)
	for _, p := range []string{bad, invalid, filepath.Join(dir, "none")} {
		if _, err := LoadConfig(p); err == nil ||
			!strings.HasPrefix(err.Error(), "layers:") {
			t.Errorf("%s: error %v", p, err)
		}
	}
}
