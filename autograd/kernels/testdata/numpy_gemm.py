#!/usr/bin/python3
"""Time numpy float32 matrix products at the shapes of BenchmarkGemm.

numpy hands `a @ b` to its BLAS, so with OpenBLAS loaded this is the
contrast for the README table. Transposed operands are passed as
transposed views (`a.T`), which BLAS reads in place, like Gemm's
transA/transB flags. Prints one line per shape and layout:

    512x512x512/NN  141.2 GFLOP/s  1.901 ms

Run: /usr/bin/python3 autograd/kernels/testdata/numpy_gemm.py

Debian's python3-numpy links libblas.so.3, which is the slow netlib
reference BLAS unless an optimised one is installed. The first line
names the library that was loaded. To time OpenBLAS without changing
the system, unpack it and point the loader at it:

    apt-get download libopenblas0-pthread
    dpkg -x libopenblas0-pthread_*.deb /tmp/openblas
    LD_LIBRARY_PATH=/tmp/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread \
    OPENBLAS_CORETYPE=SkylakeX \
        /usr/bin/python3 autograd/kernels/testdata/numpy_gemm.py

OpenBLAS 0.3.21 does not recognise every recent Xeon and then falls
back to a generic SSE3 kernel (OPENBLAS_VERBOSE=2 prints "Core:
Prescott", about 40 GFLOP/s here); OPENBLAS_CORETYPE=SkylakeX selects
its AVX-512 kernels.
"""
import time

import numpy as np


def shapes():
    """Yield (m, n, k, layout) in BenchmarkGemm's order."""
    for lay in ("NN", "NT", "TN"):
        yield 512, 512, 512, lay
    for lay in ("NN", "NT", "TN"):
        for k in (128, 256, 384, 512):
            for n in (128, 256, 384, 512):
                yield 768, n, k, lay
    for lay in ("NN", "NT", "TN"):
        for m, n, k in ((64, 64, 64), (768, 128, 32), (64, 64, 16)):
            yield m, n, k, lay


def operands(m, n, k, lay, rng):
    """Build op(A) (m×k) and op(B) (k×n) stored as the layout says."""
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    if lay[0] == "T":
        a = np.ascontiguousarray(a.T).T
    if lay[1] == "T":
        b = np.ascontiguousarray(b.T).T
    return a, b


def bench(a, b, out, min_time=0.5):
    """Return seconds per product, best of three runs of ≥ min_time/3."""
    np.matmul(a, b, out=out)
    reps = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(reps):
            np.matmul(a, b, out=out)
        dt = time.perf_counter() - t0
        if dt >= min_time / 3:
            break
        reps *= 2
    best = dt / reps
    for _ in range(2):
        t0 = time.perf_counter()
        for _ in range(reps):
            np.matmul(a, b, out=out)
        best = min(best, (time.perf_counter() - t0) / reps)
    return best


def loaded_blas():
    """Return the BLAS shared libraries mapped into this process."""
    libs = set()
    with open("/proc/self/maps", encoding="ascii", errors="replace") as f:
        for line in f:
            path = line.split()[-1]
            if "blas" in path.lower():
                libs.add(path)
    return ", ".join(sorted(libs)) or "unknown"


def main():
    np.matmul(np.ones((2, 2), np.float32), np.ones((2, 2), np.float32))
    print(f"# numpy {np.__version__}, BLAS: {loaded_blas()}")
    rng = np.random.default_rng(1)
    for m, n, k, lay in shapes():
        a, b = operands(m, n, k, lay, rng)
        out = np.empty((m, n), dtype=np.float32)
        sec = bench(a, b, out)
        gflops = 2.0 * m * n * k / sec / 1e9
        print(f"{m}x{n}x{k}/{lay}  {gflops:.1f} GFLOP/s  {sec * 1e3:.3f} ms")


if __name__ == "__main__":
    main()
