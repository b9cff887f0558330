// Package autograd is tinyseek's define-by-run, reverse-mode automatic
// differentiation engine over float32 tensors.
//
// # Tensors and the tape
//
// A Tensor is a row-major float32 array with a shape; the last dimension
// is contiguous. Parameters (NewParam) own a gradient buffer that lives as
// long as they do. Every operation is a method on a *Tape: when the tape
// records and an input needs a gradient, the op appends a backward closure
// (its vector-Jacobian product) to the tape. The tape is an explicit
// value, never global state, so two goroutines may run two graphs at once
// as long as they do not share a tape.
//
// Backward(loss) walks the recorded ops in reverse order of recording,
// which is a valid topological order because an op can only consume
// tensors that already exist. Gradients ACCUMULATE: every VJP adds into
// its inputs' gradients, and parameter gradients keep growing across
// Backward calls until ZeroGrad. Gradient accumulation over micro-batches
// relies on this.
//
// # Memory
//
// A training tape hands out intermediate buffers from an arena. Reset
// returns them all at once, so a steady-state training step reuses the
// previous step's buffers instead of allocating new ones. Tensors made on
// a tape are invalid after its Reset; read what you need (the loss value)
// before. An inference tape (NewInference, the Go answer to
// torch.no_grad) records nothing and allocates from the Go heap, so each
// intermediate is garbage as soon as the caller drops it.
//
// Train mode (the default for NewTape) enables dropout; eval mode (the
// default for NewInference, or SetTrain(false)) makes dropout the
// identity, the Go answer to model.eval().
//
// # Dimension letters
//
//	B batch, T time, C channels (model width), H heads, D head width,
//	V vocabulary, N rows of a flattened (B·T, C) activation, E experts,
//	K experts per token.
//
// # Errors
//
// A shape mismatch is a programmer error: the op panics with its name and
// the offending shapes. Nothing in this package touches files.
package autograd
