// Package kernels holds the hot loops of the autodiff engine: SGEMM in the
// layouts that forward and backward passes need, plus elementwise and
// reduction loops over flat []float32 (Axpy, Dot, Scale, SumSquares,
// AdamW).
//
// Every fast kernel has a naive reference beside it (GemmNaive, and the
// references in the tests) and tests compare the two on random shapes,
// including sizes that are not a multiple of any tile. Kernels take
// outputs first, then inputs, then sizes, except Gemm, which keeps the
// BLAS argument order (transA, transB, m, n, k, alpha, a, lda, b, ldb,
// beta, c, ldc) so that readers who know sgemm can map it at a glance.
// All matrices are row-major; nothing here allocates in steady state.
//
// # Gemm design
//
// Gemm computes C = alpha·op(A)·op(B) + beta·C for the four layouts
// (A·B for activations times weights stored (in, out); A·Bᵀ for a
// Linear with (out, in) weights; Aᵀ·B for weight gradients; Aᵀ·Bᵀ for
// completeness). The structure is the GotoBLAS/BLIS one, cut to what
// the engine's shapes need:
//
//   - Micro-kernel. A register tile of mr×nr floats of C accumulates
//     over k: mr rows of A are broadcast one float at a time, nr columns
//     of B are loaded as vectors, one FMA per (row, vector). On amd64
//     with AVX-512 the tile is 12×32 (24 Z accumulators, two B vectors,
//     six broadcast registers); with AVX2+FMA it is 6×16 (12 Y
//     accumulators); elsewhere, and with the purego build tag, a pure-Go
//     2×4 kernel. The choice is made once at start-up from
//     golang.org/x/sys/cpu. The kernel applies alpha, and beta unless
//     beta = 0, in which case C is written without being read.
//   - Kernel arguments, in order: k; a pointer to A(0,0) of the tile
//     with its row stride rsa and k stride csa (so A is read in place
//     when row-major, rsa = lda, csa = 1, or from a packed strip, rsa =
//     1, csa = mr); the packed B panel; the C tile with ldc; alpha;
//     beta.
//   - Blocking. n is cut into column blocks of 512 and k into slices
//     of 256. For each column block all of op(B) is packed once
//     (by every goroutine of the call together, one panel at a time,
//     before any chunk starts): nr-wide panels of kc rows of nr contiguous floats,
//     zero-padded on the right; one kc slice of it (512 KiB) stays in
//     L2 while the mr-row strips of A (12·256·4 = 12 KiB, L1 resident)
//     sweep its panels left to right. A is read in place when the
//     panel is narrow (under 8 tiles); over wider panels each strip is
//     first packed into k steps of mr floats, since rows 2 KiB apart,
//     or k steps lda floats apart for transposed A, share L1 sets with
//     the streaming B panel. The short last strip is packed with zero
//     rows. Tiles that stick out of C on the right or bottom are
//     computed into a scratch tile and merged. The first k slice
//     applies beta, later ones add. Transposed B is packed with AVX2
//     8×8 transposes, and so is row-major A.
//   - Buffers. Each goroutine inside Gemm takes a scratch set (B slab,
//     A strip, edge tile) from a free list that the garbage collector
//     never empties, so the steady state allocates nothing; workers
//     own theirs.
//   - Threading. Problems below 2^20 multiply-adds (64×64×64, say) run
//     on the calling goroutine with no synchronisation at all. For
//     larger ones each column block is cut into about four chunks per
//     core (whole mr-row strips; also whole nr-column panels when there
//     are few strips), and GOMAXPROCS−1 persistent workers, started on
//     the first large call, join the caller in taking chunks from an
//     atomic counter. The caller returns when every chunk is done, not
//     when every worker has woken, so a core held by another process
//     slows the call down by one chunk at most. An idle worker polls
//     for the next job for 50 µs before it parks, since the engine
//     calls Gemm back to back and waking a parked goroutine takes
//     longer than a small call's chunk. The B slab is shared
//     read-only; chunks write disjoint parts of C. Gemm may be called
//     from many goroutines at once.
//
// # Elementwise kernels
//
// The exp family (ExpTo, ExpShiftSum, SumExpShift, AxpyExpShift,
// SigmoidTo, SwiGLUForward) shares one float32 exp: x = k·ln2 + r with
// ln2 split in two parts, a degree-5 polynomial for e^r and a scale by
// 2^k, within 1 ulp over [−104, 89], +Inf above about 88.72 and
// gradual underflow below −87.3. AVX-512 runs 16 lanes (tails under a
// lane mask), AVX2 8 lanes (tails in Go); the Go loop is the portable
// and purego path. SwiGLUBackward, the RMSNorm row kernels and
// AdamWVector are AVX2 loops, memory-bound on this machine. Outputs
// come first; backward kernels add into their outputs.
package kernels
