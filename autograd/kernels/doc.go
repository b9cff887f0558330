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
//     4×4 kernel. The choice is made once at start-up from
//     golang.org/x/sys/cpu. The kernel applies alpha, and beta unless
//     beta = 0, in which case C is written without being read.
//   - Kernel arguments, in order: k; a pointer to A(0,0) of the tile
//     with its row stride rsa and k stride csa (so A is read in place
//     when row-major, rsa = lda, csa = 1, or from a packed strip, rsa =
//     1, csa = mr); the packed B panel; the C tile with ldc; alpha;
//     beta.
//   - Blocking. k is cut into blocks of 256 and n into blocks of 512.
//     Each (k, n) block of op(B) is packed once into nr-wide panels, k
//     rows of nr contiguous floats, zero-padded on the right (512 KiB,
//     L2-resident). Each mr-row strip of A (12·256·4 = 12 KiB, L1
//     resident) then sweeps the panels left to right. Row-major A is
//     read in place; transposed A is copied into a contiguous strip
//     first (its k steps are lda floats apart and collide in L1 sets);
//     the last short strip is packed with zero rows. Tiles that stick
//     out of C on the right or bottom are computed into a scratch tile
//     and merged. The first k block applies beta, later ones add.
//   - Buffers. Each goroutine inside Gemm takes a scratch set (B panel,
//     A strip, edge tile) from a free list that the garbage collector
//     never empties, so the steady state allocates nothing.
//   - Threading. Problems below 2^20 multiply-adds (64×64×64, say) run
//     on the calling goroutine with no synchronisation at all. Larger
//     ones are cut into GOMAXPROCS blocks of C along the side with more
//     tiles, aligned to the tile; GOMAXPROCS−1 persistent workers,
//     started on the first large call, take all blocks but the first,
//     which the caller computes itself before waiting. Blocks are
//     independent, so each packs its own B panel and no lock is held
//     while computing. Gemm may be called from many goroutines at once.
//
// BUG(tinyseek): Gemm splits C into equal blocks, one per core, with no
// work stealing: when another process holds a core, the call waits for
// the slowest block.
package kernels
