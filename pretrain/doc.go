// Package pretrain owns the training loop that every stage shares
// (Trainer) and next-token pretraining on top of it (Run).
//
// One optimizer step takes train.grad_accum micro-batches of (B, T)
// tokens, each a forward and backward pass on a reused tape, then a
// finiteness check, global-norm clipping, an AdamW update at the
// scheduled learning rate and the MoE bias update of auxiliary-loss-free
// balancing. The batch of every (step, micro-batch) and the dropout mask
// derive only from the seed and the step, and the optimizer moments are
// saved exactly, so a run stopped at step N and resumed computes the
// same losses, bit for bit, as one that never stopped.
//
// A step whose loss or gradients are not finite is skipped and counted;
// train.max_bad_steps such steps in a row stop the run with an error.
// SIGINT/SIGTERM (the caller's context) end the run after the current
// step with a checkpoint.
//
// Outputs in the run folder: config.yaml, metrics.jsonl (one JSON
// object per logged step or evaluation), loss.png (train and
// validation curves, redrawn at each evaluation) and checkpoints/.
package pretrain
