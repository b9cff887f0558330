// Package sft fine-tunes a pretrained checkpoint on prompt/response
// pairs (supervised fine-tuning), on the training loop of package
// pretrain, so that the "document continuer" learns the chat template
// and to answer.
//
// # Data
//
// ReadJSONL reads one example per line, in either of two formats told
// apart per line: {"prompt": P, "response": R}, which is the
// conversation user P, assistant R; or {"messages": [{"role":
// "system"|"user"|"assistant", "content": C}, ...]}, several turns. A
// bad line is a *data.ParseError with file and line, or is skipped and
// counted. Without a file, Builtin draws the built-in tasks of
// data.BuiltinTasks (arithmetic, copy, reverse, sort, count, facts of
// the built-in world) with train.seed, and a held-out set with a fixed
// seed whose questions never appear in training; user files lose 5%
// (1 to 200 examples) to a held-out split chosen by seed.
//
// # Template and mask
//
// Every conversation goes through data.EncodeChat, the one template
// shared with `train generate --chat` (data.ChatPrompt) and RLHF:
//
//	<|endoftext|> [<|system|> S <|end|>] <|user|> U <|end|>
//	<|assistant|> A <|end|> [<|user|> ... ]
//
// The markers are token ids (tokenizer.System, User, Assistant, End),
// never found by searching text. Only assistant tokens and the <|end|>
// closing each assistant turn are trained: for a prompt [P1 P2 P3],
// P3 being <|assistant|>, and a response [R1 R2 <|end|>], exactly the
// targets R1, R2 and <|end|> are active, predicted from P3, R1 and R2;
// every other target is −1 (data.Targets). The loss is the mean over
// active targets; a batch with none has loss 0, not NaN. An example
// longer than train.seq_len keeps its first seq_len tokens; one whose
// response that cuts away entirely is skipped and counted.
//
// # Packing
//
// Pack places whole examples into rows of T = train.seq_len tokens by
// first-fit decreasing length, then pads each row with tokenizer.Pad.
// Positions restart at 0 for each example (ForwardOptions.Positions)
// and each example is its own segment (ForwardOptions.Segments, a
// block-diagonal causal mask; padding is segment −1 and PadMask), so
// a packed example has exactly the loss it would have alone. The
// rows are fixed for the run; epoch e visits them in an order drawn
// from (train.seed, e), B rows per micro-batch, so a batch depends
// only on (seed, step, micro-batch) and --resume is exact. The start
// of the run logs the fraction of padding.
//
// # Configuration
//
// The model config and tokenizer come from the init checkpoint (the
// run's own checkpoint when resuming); model keys other than
// model.dropout are refused. The train section starts from
// DefaultsYAML (400 steps, lr 1e-3 → 1e-4, 20 warmup steps, batch 16)
// whatever preset pretrained the model; seq_len defaults to
// min(128, max_position_embeddings).
//
// # Evaluation
//
// At each evaluation: held-out loss (val_loss) over the packed
// held-out rows, and greedy answers to the held-out prompts, stopped
// at <|end|>: end_rate is the share that ended with <|end|>, accuracy
// and acc_KIND the share data.CheckAnswer accepts (built-in tasks
// only). At the end of a run the init checkpoint is scored the same
// way, for comparison.
//
// # Files
//
// The run folder is laid out as pretraining's: config.yaml (the
// resolved config, model from the init checkpoint), metrics.jsonl
// (training lines and evaluations with the keys above), loss.png and
// checkpoints/step-NNNNNN/ with the weights, config.json,
// tokenizer.json, optimizer moments and trainer_state.json (stage
// "sft"; extra: pad_fraction, skipped_truncated, train_examples).
package sft

// BUG(tinyseek): the MoE sequence-wise aux loss treats each packed row,
// not each example, as a sequence (see package layers), so with
// aux_loss_alpha > 0 a packed example's loss is not exactly its loss
// alone.
