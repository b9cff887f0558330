// Package layers builds tinyseek's DeepSeek-V3-style language model on
// the autograd engine: embeddings, RMSNorm, RoPE, multi-head latent
// attention (MLA), DeepSeekMoE with aux-loss-free balancing, the decoder
// stack, the KV cache, sampling, and Hugging Face compatible weights.
//
// # Dimension letters
//
//	B batch, T time, N = B·T rows, C model width (hidden_size),
//	H heads, dn/dr qk_nope/qk_rope head widths, dq = dn + dr,
//	dv v_head_dim, R kv_lora_rank (MLA latent), V vocabulary,
//	E routed experts, K experts per token, L layers.
//
// # Model
//
// Each block is pre-norm residual: x += attn(norm(x)); x += ffn(norm(x)).
// MLA (DeepSeek-V2 §2.1, V3 §2.1.1) projects x to queries (q_proj, or
// q_a → norm → q_b when q_lora_rank > 0) and to a latent c (R) plus a
// rotary key k_rope (dr) shared by every head; kv_b maps norm(c) to
// per-head [k_nope | v]. RoPE rotates adjacent pairs. The first
// first_k_dense_replace layers use a dense SwiGLU, the others
// DeepSeekMoE: sigmoid or softmax affinities, group-limited top-K
// choice on affinity + e_score_correction_bias, weights from the
// unbiased affinities (optionally renormalised, then scaled), plus shared
// experts. Tokens reach experts by gather and scatter, so the work
// scales with K, not E.
//
// Balancing follows DeepSeek-V3 §2.1.2: UpdateBias, called by the trainer
// after each optimizer step, moves each expert's bias by ±γ toward the
// mean load counted since the previous update (all micro-batches of a
// step, from every data-parallel worker); an optional
// sequence-wise balance loss (α = aux_loss_alpha) is added by Loss.
//
// Config keys are Hugging Face DeepSeek-V3 config.json keys, plus
// tinyseek's dropout, aux_loss_alpha, bias_update_speed and the
// swappable components norm, mlp_act, pos, attention and ffn (see
// Config). Weights are saved with Hugging Face tensor names.
//
// # Modes and gradients
//
// Every forward takes an explicit tape: a training tape records for
// Backward and applies dropout; an inference tape (autograd.NewInference)
// records nothing and is in eval mode. Parameter gradients accumulate
// (see package autograd). Expert load counts are updated only by
// forwards on a recording tape, so generation does not disturb them.
//
// # Inference
//
// Step decodes with a Cache. For MLA the cache holds only norm(c) and
// the rotated k_rope per token and layer, and attention absorbs kv_b
// into the query (q_nope·W_uk) and output ((P·c)·W_uvᵀ) sides; for MHA
// it holds full K and V. Generate streams token ids through a callback.
//
// # Errors
//
// Wrong shapes or out-of-range token ids are programmer errors and
// panic. Config validation, file I/O and weight loading return errors
// that start with "layers:" and name the file, key or tensor.
package layers

// BUG(tinyseek): a Cache advances all B sequences together, so batched
// generation needs prompts of equal length (Generate uses B = 1).

// BUG(tinyseek): with packed sequences (Segments) the sequence-wise aux
// loss still treats each batch row, not each segment, as a sequence.

// BUG(tinyseek): the engine has no division op; routing-weight
// renormalisation uses exp(−log(s)), exact to float32 rounding.
