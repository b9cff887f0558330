// Package rlhf aligns a fine-tuned model with human preferences: a
// reward model trained on chosen/rejected pairs, then PPO against it
// with a KL penalty that ties the policy to a frozen copy of itself.
//
// # Reward model (train rlhf reward)
//
// The SFT backbone plus a scalar head score.weight (1, C) read at the
// final-norm hidden state of each sequence's last real token (its
// <|end|>), located from the sequence lengths. Pack pads batches with
// <|pad|> on either side; pads get their own attention segment and real
// tokens positions 0…len−1, so padding never changes a score. The loss
// is Bradley–Terry as in InstructGPT (Ouyang et al. 2022, after
// Christiano et al. 2017):
//
//	L = −log σ(r_c − r_r − m) + c·(r_c + r_r)²
//
// with an optional per-pair margin m (Llama 2, Touvron et al. 2023) and
// a centering term c (Eisenstein et al. 2023). It runs on the shared
// pretrain.Trainer: LossFn scores chosen and rejected rows of one
// batch, Params are the backbone's and the head, SaveExtra writes the
// head. Pairwise accuracy on held-out prompts (split by prompt hash,
// so no prompt is in both splits) is val_accuracy.
//
// Pair files are JSONL: {"prompt","chosen","rejected"[,"margin"]} or
// Human/Assistant transcripts {"chosen","rejected"} whose shared turns
// become the prompt conversation in the chat template (data.EncodeChat).
// Sequences longer than max_position_embeddings keep their last tokens.
// Without a file, BuiltinPairs draws pairs from data.BuiltinTasks with
// a near-miss wrong answer as the rejected reply.
//
// # PPO (train rlhf ppo)
//
// The policy and the frozen reference start from the SFT checkpoint,
// the critic from the reward checkpoint (backbone and head). Each
// iteration (one train.steps step):
//
//  1. samples ppo.rollout_batch responses with the KV cache at
//     temperature τ (full softmax) for up to ppo.max_new_tokens,
//     stopping after <|end|>;
//  2. scores them in inference mode: log π and log π_ref of each token
//     from logits/τ, the critic's values, the reward model's score;
//  3. rewards each token −β·(log π − log π_ref), adds the score (and
//     ppo.end_penalty when the response never closed) at the last token;
//  4. computes GAE(γ, λ) advantages and returns (Schulman et al. 2015)
//     and whitens the advantages (when there are at least 2);
//  5. runs ppo.epochs over shuffled minibatches: the clipped surrogate
//     −min(ρA, clip(ρ, 1±ε)A) and the clipped value loss of PPO
//     (Schulman et al. 2017), dropout off, gradients clipped per model;
//  6. adapts β toward ppo.target_kl with the proportional controller of
//     Ziegler et al. 2019, or keeps it fixed.
//
// Logged per iteration to metrics.jsonl: score, kl (mean summed
// log-ratio), kl_k3 (the non-negative estimator Σ (e^{−d} − 1 + d)),
// kl_coef, entropy, clip_frac, approx_kl (k3 of old vs new), policy_loss,
// value_loss, explained_var, response_len, ended_frac and
// rollout_tokens_per_sec; evaluations add eval_score, eval_kl,
// eval_ended and eval_task_accuracy on held-out prompts.
//
// # Files and run layout
//
// train rlhf writes OUT/reward and OUT/ppo (default runs/rlhf/reward
// and runs/rlhf/ppo). A reward checkpoint is a model folder
// (model.safetensors, config.json, tokenizer.json,
// optimizer.safetensors) plus score.safetensors. A PPO checkpoint holds
// the policy as a model folder, so `train generate --ckpt runs/rlhf/ppo`
// works, plus value.safetensors (critic and head),
// value_optimizer.safetensors, reference.safetensors, and β in
// trainer_state.json's extra.kl_coef. Every random draw (prompt order,
// sampling seeds, minibatch order) derives from (train.seed,
// iteration), so a resumed run reproduces the uninterrupted one.
//
// Dimension letters: B batch, T time, C model width, V vocabulary,
// n response tokens of a batch, P pairs. Errors start with "rlhf";
// bad JSONL lines are *data.ParseError with the line.
package rlhf

// BUG(tinyseek): the reward model is not stored in PPO checkpoints; a
// resumed PPO run reloads it from --reward, which must be unchanged.

// BUG(tinyseek): rollouts decode one response at a time (batch 1 KV
// cache), because the cache has no padding mask for prompts of
// different lengths.
