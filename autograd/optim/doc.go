// Package optim updates parameters from their accumulated gradients:
// AdamW with decoupled weight decay (Loshchilov & Hutter, 2019), a
// linear-warmup cosine learning-rate schedule, and global-norm gradient
// clipping.
//
// The optimizer reads each parameter's Grad and leaves it untouched;
// the caller zeroes gradients between steps. Moments are float32, one
// pair per parameter, exposed by name so checkpoints can save them.
package optim
