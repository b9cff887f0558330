package layers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/tinyseek/tinyseek/checkpoints/safetensors"
)

// OptRank is a rank that Hugging Face writes as null when absent: 0
// marshals to null and null unmarshals to 0.
type OptRank int

// MarshalJSON writes null for 0.
func (r OptRank) MarshalJSON() ([]byte, error) {
	if r == 0 {
		return []byte("null"), nil
	}
	return []byte(strconv.Itoa(int(r))), nil
}

// UnmarshalJSON reads null as 0.
func (r *OptRank) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*r = 0
		return nil
	}
	var n int
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*r = OptRank(n)
	return nil
}

// Config describes a model. The JSON keys are those of Hugging Face's
// DeepSeek-V3 config.json, plus tinyseek's own keys at the end.
type Config struct {
	// ModelType is always "deepseek_v3" (written for other tools).
	ModelType string `json:"model_type"`
	// HiddenSize is the model width C.
	HiddenSize int `json:"hidden_size"`
	// NumHiddenLayers is the number of decoder blocks.
	NumHiddenLayers int `json:"num_hidden_layers"`
	// NumAttentionHeads is H.
	NumAttentionHeads int `json:"num_attention_heads"`
	// QLoraRank is the query compression rank; 0 (null) means a plain
	// q_proj.
	QLoraRank OptRank `json:"q_lora_rank"`
	// KVLoraRank is the latent width R of MLA's compressed keys/values.
	KVLoraRank int `json:"kv_lora_rank"`
	// QKNopeHeadDim is the per-head query/key width without RoPE.
	QKNopeHeadDim int `json:"qk_nope_head_dim"`
	// QKRopeHeadDim is the per-head width that RoPE rotates (even).
	QKRopeHeadDim int `json:"qk_rope_head_dim"`
	// VHeadDim is the per-head value width.
	VHeadDim int `json:"v_head_dim"`
	// IntermediateSize is the width of the dense SwiGLU layers.
	IntermediateSize int `json:"intermediate_size"`
	// MoEIntermediateSize is the width of one routed expert.
	MoEIntermediateSize int `json:"moe_intermediate_size"`
	// NRoutedExperts is E.
	NRoutedExperts int `json:"n_routed_experts"`
	// NSharedExperts is how many always-on experts are fused into one
	// SwiGLU of width NSharedExperts·MoEIntermediateSize; 0 for none.
	NSharedExperts int `json:"n_shared_experts"`
	// NumExpertsPerTok is K.
	NumExpertsPerTok int `json:"num_experts_per_tok"`
	// FirstKDenseReplace is how many leading layers use a dense MLP.
	FirstKDenseReplace int `json:"first_k_dense_replace"`
	// NormTopKProb renormalises the K routing weights to sum to 1.
	NormTopKProb bool `json:"norm_topk_prob"`
	// RoutedScalingFactor multiplies the routing weights.
	RoutedScalingFactor float64 `json:"routed_scaling_factor"`
	// ScoringFunc is "sigmoid" (DeepSeek-V3) or "softmax".
	ScoringFunc string `json:"scoring_func"`
	// NGroup is the number of expert groups for group-limited routing.
	NGroup int `json:"n_group"`
	// TopKGroup is how many groups a token may route to.
	TopKGroup int `json:"topk_group"`
	// RMSNormEps is the epsilon of every norm.
	RMSNormEps float64 `json:"rms_norm_eps"`
	// RopeTheta is RoPE's base.
	RopeTheta float64 `json:"rope_theta"`
	// RopeInterleave is always true: RoPE rotates adjacent pairs.
	RopeInterleave bool `json:"rope_interleave"`
	// MaxPositionEmbeddings bounds positions (RoPE table, cache).
	MaxPositionEmbeddings int `json:"max_position_embeddings"`
	// TieWordEmbeddings makes the LM head reuse embed_tokens.
	TieWordEmbeddings bool `json:"tie_word_embeddings"`
	// VocabSize is V.
	VocabSize int `json:"vocab_size"`
	// InitializerRange is the std of the N(0, std²) weight init.
	InitializerRange float64 `json:"initializer_range"`

	// Dropout is the residual and embedding dropout probability.
	Dropout float64 `json:"dropout"`
	// AuxLossAlpha is α of the sequence-wise balance loss; 0 disables.
	AuxLossAlpha float64 `json:"aux_loss_alpha"`
	// BiasUpdateSpeed is γ of the aux-loss-free bias update.
	BiasUpdateSpeed float64 `json:"bias_update_speed"`
	// Norm is "rmsnorm" (default) or "layernorm" (no bias).
	Norm string `json:"norm"`
	// MLPAct is "swiglu" (default) or "gelu" (up, gelu, down).
	MLPAct string `json:"mlp_act"`
	// Pos is "rope" (default) or "learned" absolute embeddings.
	Pos string `json:"pos"`
	// Attention is "mla" (default) or "mha".
	Attention string `json:"attention"`
	// FFN is "moe" (default) or "dense" for every layer.
	FFN string `json:"ffn"`
}

// DefaultConfig returns the deepseek-tiny model: pure DeepSeek-V3
// components at a size that trains on a laptop CPU.
func DefaultConfig() Config {
	return Config{
		ModelType: "deepseek_v3", HiddenSize: 128, NumHiddenLayers: 4,
		NumAttentionHeads: 4, KVLoraRank: 32,
		QKNopeHeadDim: 32, QKRopeHeadDim: 16, VHeadDim: 32,
		IntermediateSize: 352, MoEIntermediateSize: 64,
		NRoutedExperts: 8, NSharedExperts: 1, NumExpertsPerTok: 2,
		FirstKDenseReplace: 1, NormTopKProb: true,
		RoutedScalingFactor: 1, ScoringFunc: "sigmoid",
		NGroup: 1, TopKGroup: 1, RMSNormEps: 1e-6, RopeTheta: 10000,
		RopeInterleave: true, MaxPositionEmbeddings: 1024,
		VocabSize: 256, InitializerRange: 0.02,
		BiasUpdateSpeed: 0.001,
		Norm:            "rmsnorm", MLPAct: "swiglu", Pos: "rope",
		Attention: "mla", FFN: "moe",
	}
}

// withDefaults fills the swappable-component keys that an older or
// foreign config.json leaves empty.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	for _, p := range []struct{ v, d *string }{{&c.Norm, &d.Norm},
		{&c.MLPAct, &d.MLPAct}, {&c.Pos, &d.Pos},
		{&c.Attention, &d.Attention}, {&c.FFN, &d.FFN},
		{&c.ScoringFunc, &d.ScoringFunc}, {&c.ModelType, &d.ModelType}} {
		if *p.v == "" {
			*p.v = *p.d
		}
	}
	if c.NGroup == 0 {
		c.NGroup, c.TopKGroup = 1, 1
	}
	if c.InitializerRange == 0 {
		c.InitializerRange = d.InitializerRange
	}
	c.RopeInterleave = true
	return c
}

// LoadConfig reads and validates a config.json.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("layers: load config: %w", err)
	}
	var c Config
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("layers: load config %s: %w", path, err)
	}
	c = c.withDefaults()
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("layers: load config %s: %w", path, err)
	}
	return c, nil
}

// Save writes the config as indented JSON, atomically.
func (c Config) Save(path string) error {
	b, err := json.MarshalIndent(c.withDefaults(), "", "  ")
	if err != nil {
		return fmt.Errorf("layers: save config %s: %w", path, err)
	}
	if err := safetensors.WriteFileAtomic(path, append(b, '\n')); err != nil {
		return fmt.Errorf("layers: save config: %w", err)
	}
	return nil
}

// Validate reports every impossible combination of settings, joined.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("layers: config: "+format, a...))
	}
	for _, p := range []struct {
		name string
		v    int
	}{{"hidden_size", c.HiddenSize}, {"num_hidden_layers", c.NumHiddenLayers},
		{"num_attention_heads", c.NumAttentionHeads},
		{"qk_nope_head_dim + qk_rope_head_dim",
			c.QKNopeHeadDim + c.QKRopeHeadDim},
		{"v_head_dim", c.VHeadDim}, {"vocab_size", c.VocabSize},
		{"max_position_embeddings", c.MaxPositionEmbeddings}} {
		if p.v <= 0 {
			bad("%s = %d must be positive", p.name, p.v)
		}
	}
	if c.QLoraRank < 0 || c.KVLoraRank < 0 || c.QKNopeHeadDim < 0 ||
		c.QKRopeHeadDim < 0 {
		bad("negative rank or head width")
	}
	c.validateAttention(bad)
	c.validateMoE(bad)
	c.validateChoices(bad)
	if c.RMSNormEps <= 0 {
		bad("rms_norm_eps = %g must be positive (zero rows give NaN)",
			c.RMSNormEps)
	}
	if c.Dropout < 0 || c.Dropout >= 1 {
		bad("dropout = %g outside [0, 1)", c.Dropout)
	}
	if c.AuxLossAlpha < 0 || c.BiasUpdateSpeed < 0 {
		bad("aux_loss_alpha and bias_update_speed must not be negative")
	}
	return errors.Join(errs...)
}

func (c Config) validateAttention(bad func(string, ...any)) {
	if c.QKRopeHeadDim%2 != 0 {
		bad("qk_rope_head_dim = %d must be even: RoPE rotates pairs",
			c.QKRopeHeadDim)
	}
	if c.Attention == "mla" && c.KVLoraRank <= 0 {
		bad("kv_lora_rank = %d must be positive for MLA", c.KVLoraRank)
	}
	if c.Attention == "mha" && c.Pos == "rope" &&
		(c.QKNopeHeadDim+c.QKRopeHeadDim)%2 != 0 {
		bad("MHA with RoPE rotates the whole head: qk_nope_head_dim + "+
			"qk_rope_head_dim = %d must be even",
			c.QKNopeHeadDim+c.QKRopeHeadDim)
	}
	if c.Pos == "rope" && c.RopeTheta <= 1 {
		bad("rope_theta = %g must exceed 1", c.RopeTheta)
	}
}

func (c Config) validateMoE(bad func(string, ...any)) {
	if c.FirstKDenseReplace < 0 {
		bad("first_k_dense_replace = %d is negative", c.FirstKDenseReplace)
	}
	if c.FirstKDenseReplace > 0 || c.FFN == "dense" {
		if c.IntermediateSize <= 0 {
			bad("intermediate_size = %d must be positive for dense "+
				"layers", c.IntermediateSize)
		}
	}
	if c.FFN != "moe" || c.FirstKDenseReplace >= c.NumHiddenLayers {
		return
	}
	switch {
	case c.NRoutedExperts <= 0 || c.MoEIntermediateSize <= 0:
		bad("n_routed_experts = %d and moe_intermediate_size = %d must "+
			"be positive", c.NRoutedExperts, c.MoEIntermediateSize)
	case c.NumExpertsPerTok < 1 || c.NumExpertsPerTok > c.NRoutedExperts:
		bad("num_experts_per_tok = %d must be in [1, n_routed_experts "+
			"= %d]", c.NumExpertsPerTok, c.NRoutedExperts)
	case c.NGroup < 1 || c.NRoutedExperts%c.NGroup != 0:
		bad("n_group = %d does not divide n_routed_experts = %d",
			c.NGroup, c.NRoutedExperts)
	case c.TopKGroup < 1 || c.TopKGroup > c.NGroup:
		bad("topk_group = %d must be in [1, n_group = %d]", c.TopKGroup,
			c.NGroup)
	case c.NumExpertsPerTok > c.TopKGroup*(c.NRoutedExperts/c.NGroup):
		bad("num_experts_per_tok = %d exceeds the %d experts of the "+
			"topk_group = %d kept groups", c.NumExpertsPerTok,
			c.TopKGroup*(c.NRoutedExperts/c.NGroup), c.TopKGroup)
	case c.ScoringFunc == "sigmoid" && c.NGroup > 1 &&
		c.NRoutedExperts/c.NGroup < 2:
		bad("sigmoid group scores sum the top 2 experts of a group; "+
			"groups of %d expert are too small",
			c.NRoutedExperts/c.NGroup)
	}
	if c.NSharedExperts < 0 {
		bad("n_shared_experts = %d is negative", c.NSharedExperts)
	}
	if c.RoutedScalingFactor <= 0 {
		bad("routed_scaling_factor = %g must be positive",
			c.RoutedScalingFactor)
	}
}

func (c Config) validateChoices(bad func(string, ...any)) {
	for _, p := range []struct {
		key, v string
		ok     []string
	}{{"norm", c.Norm, []string{"rmsnorm", "layernorm"}},
		{"mlp_act", c.MLPAct, []string{"swiglu", "gelu"}},
		{"pos", c.Pos, []string{"rope", "learned"}},
		{"attention", c.Attention, []string{"mla", "mha"}},
		{"ffn", c.FFN, []string{"moe", "dense"}},
		{"scoring_func", c.ScoringFunc, []string{"sigmoid", "softmax"}},
	} {
		found := false
		for _, o := range p.ok {
			found = found || o == p.v
		}
		if !found {
			bad("%s = %q must be one of %q", p.key, p.v, p.ok)
		}
	}
}

// ValidateVocab checks that the model's vocabulary holds every id of a
// tokenizer with n tokens.
func (c Config) ValidateVocab(n int) error {
	if c.VocabSize < n {
		return fmt.Errorf("layers: config: vocab_size = %d is smaller "+
			"than the tokenizer's %d tokens", c.VocabSize, n)
	}
	return nil
}

// moeLayer reports whether layer l uses the mixture of experts.
func (c Config) moeLayer(l int) bool {
	return c.FFN == "moe" && l >= c.FirstKDenseReplace
}
