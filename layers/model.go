package layers

import (
	"fmt"
	"math/rand/v2"

	ag "github.com/tinyseek/tinyseek/autograd"
)

// Model is a DeepSeek-V3-style decoder: embedding, NumHiddenLayers
// pre-norm blocks (attention, then a dense MLP or a mixture of experts),
// a final norm and the LM head.
type Model struct {
	Cfg Config

	Embed    *ag.Tensor // (V, C) model.embed_tokens.weight
	PosEmbed *ag.Tensor // (maxPos, C) when Pos is "learned", else nil
	Layers   []*Block
	Norm     *ag.Tensor // (C) model.norm.weight
	LMHead   *ag.Tensor // (V, C); nil when tied to Embed

	rope   *ag.RoPETable
	params []*ag.Tensor
}

// Block is one decoder layer: x += attn(norm(x)); x += ffn(norm(x)).
type Block struct {
	InNorm, PostNorm *ag.Tensor // (C)
	Attn             *Attention
	MLP              *MLP // dense layers; nil in MoE layers
	MoE              *MoE // MoE layers; nil in dense layers
}

// Attention holds MLA's or MHA's projections (Linear layout: out, in).
// MLA uses QProj or QA/QANorm/QB, KVA, KVANorm, KVB and O; MHA uses
// QProj, K, V and O.
type Attention struct {
	QProj, QA, QANorm, QB *ag.Tensor
	KVA, KVANorm, KVB     *ag.Tensor
	K, V                  *ag.Tensor
	O                     *ag.Tensor
}

// MLP is a gated SwiGLU (Gate, Up, Down) or, with mlp_act gelu, an
// ungated Up, GELU, Down; Gate is nil then.
type MLP struct {
	Gate, Up, Down *ag.Tensor
}

// New builds a model with N(0, initializer_range²) matrices, unit norm
// weights and zero routing biases, all drawn from seed.
func New(cfg Config, seed uint64) (*Model, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Model{Cfg: cfg}
	m.build()
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	for _, p := range m.params {
		if len(p.Shape) == 1 {
			p.Fill(1)
		} else {
			p.FillNormal(r, cfg.InitializerRange)
		}
	}
	return m, nil
}

// build allocates every parameter with its Hugging Face name, in the
// stable order Params returns.
func (m *Model) build() {
	c := m.Cfg
	C, V := c.HiddenSize, c.VocabSize
	m.Embed = m.param("model.embed_tokens.weight", V, C)
	if c.Pos == "learned" {
		m.PosEmbed = m.param("model.embed_positions.weight",
			c.MaxPositionEmbeddings, C)
	}
	for l := 0; l < c.NumHiddenLayers; l++ {
		m.Layers = append(m.Layers, m.buildBlock(l))
	}
	m.Norm = m.param("model.norm.weight", C)
	if !c.TieWordEmbeddings {
		m.LMHead = m.param("lm_head.weight", V, C)
	}
	switch {
	case c.Pos != "rope":
	case c.Attention == "mla":
		m.rope = ag.NewRoPETable(c.QKRopeHeadDim, c.MaxPositionEmbeddings,
			c.RopeTheta)
	default:
		m.rope = ag.NewRoPETable(c.QKNopeHeadDim+c.QKRopeHeadDim,
			c.MaxPositionEmbeddings, c.RopeTheta)
	}
}

func (m *Model) buildBlock(l int) *Block {
	c := m.Cfg
	C, H := c.HiddenSize, c.NumAttentionHeads
	dq, dv := c.QKNopeHeadDim+c.QKRopeHeadDim, c.VHeadDim
	pre := fmt.Sprintf("model.layers.%d.", l)
	b := &Block{InNorm: m.param(pre+"input_layernorm.weight", C)}
	a := &Attention{}
	at := pre + "self_attn."
	switch {
	case c.Attention == "mha":
		a.QProj = m.param(at+"q_proj.weight", H*dq, C)
		a.K = m.param(at+"k_proj.weight", H*dq, C)
		a.V = m.param(at+"v_proj.weight", H*dv, C)
	case c.QLoraRank > 0:
		q := int(c.QLoraRank)
		a.QA = m.param(at+"q_a_proj.weight", q, C)
		a.QANorm = m.param(at+"q_a_layernorm.weight", q)
		a.QB = m.param(at+"q_b_proj.weight", H*dq, q)
	default:
		a.QProj = m.param(at+"q_proj.weight", H*dq, C)
	}
	if c.Attention == "mla" {
		R := c.KVLoraRank
		a.KVA = m.param(at+"kv_a_proj_with_mqa.weight",
			R+c.QKRopeHeadDim, C)
		a.KVANorm = m.param(at+"kv_a_layernorm.weight", R)
		a.KVB = m.param(at+"kv_b_proj.weight",
			H*(c.QKNopeHeadDim+dv), R)
	}
	a.O = m.param(at+"o_proj.weight", C, H*dv)
	b.Attn = a
	b.PostNorm = m.param(pre+"post_attention_layernorm.weight", C)
	if c.moeLayer(l) {
		b.MoE = m.buildMoE(pre + "mlp.")
	} else {
		b.MLP = m.buildMLP(pre+"mlp.", c.IntermediateSize)
	}
	return b
}

func (m *Model) buildMLP(pre string, width int) *MLP {
	C := m.Cfg.HiddenSize
	f := &MLP{}
	if m.Cfg.MLPAct == "swiglu" {
		f.Gate = m.param(pre+"gate_proj.weight", width, C)
	}
	f.Up = m.param(pre+"up_proj.weight", width, C)
	f.Down = m.param(pre+"down_proj.weight", C, width)
	return f
}

func (m *Model) param(name string, shape ...int) *ag.Tensor {
	p := ag.NewParam(name, shape...)
	m.params = append(m.params, p)
	return p
}

// Params returns the trained parameters in a stable order, each named
// with its Hugging Face tensor name. Routing biases are not parameters;
// see Buffers.
func (m *Model) Params() []*ag.Tensor { return m.params }

// Buffers returns the tensors saved with the weights that are not
// trained by gradient: the per-layer e_score_correction_bias.
func (m *Model) Buffers() []*ag.Tensor {
	var bs []*ag.Tensor
	for _, b := range m.Layers {
		if b.MoE != nil {
			bs = append(bs, b.MoE.Bias)
		}
	}
	return bs
}

// NumParams counts trained parameters (tied weights once).
func (m *Model) NumParams() int {
	n := 0
	for _, p := range m.params {
		n += p.Size()
	}
	return n
}

// FLOPsPerToken estimates the training (forward + backward = 3 ×
// forward) floating-point operations per token at context length T:
// 2 per multiply-add of every weight a token uses (K routed experts, not
// E; the embedding lookup is free) plus causal attention's q·k and p·v
// over (T+1)/2 keys on average.
func (m *Model) FLOPsPerToken(T int) float64 {
	c := m.Cfg
	active := 0
	for _, p := range m.params {
		if p == m.Embed || p == m.PosEmbed || len(p.Shape) < 2 {
			continue
		}
		active += p.Size()
	}
	if c.TieWordEmbeddings {
		active += m.Embed.Size()
	}
	for _, b := range m.Layers {
		if b.MoE != nil {
			per := b.MoE.Experts[0].size()
			active -= (c.NRoutedExperts - c.NumExpertsPerTok) * per
		}
	}
	dq := c.QKNopeHeadDim + c.QKRopeHeadDim
	attn := 2 * float64(c.NumAttentionHeads*(dq+c.VHeadDim)) *
		float64(T+1) / 2 * float64(c.NumHiddenLayers)
	return 3 * (2*float64(active) + attn)
}

func (f *MLP) size() int {
	n := f.Up.Size() + f.Down.Size()
	if f.Gate != nil {
		n += f.Gate.Size()
	}
	return n
}
