#!/usr/bin/python3
"""Merge BenchmarkGemm output and numpy_gemm.py output into one table.

Usage:
    go test -run '^$' -bench Gemm -benchmem ./autograd/kernels/ > go.txt
    /usr/bin/python3 autograd/kernels/testdata/numpy_gemm.py > np.txt
    /usr/bin/python3 autograd/kernels/testdata/gemm_table.py go.txt np.txt

Prints a Markdown table of GFLOP/s per shape and layout (the best line
when a benchmark was run with -count > 1), then ours/numpy and
ours/gonum ratios, and ns/op and allocs/op for our Gemm.
"""
import re
import sys

GO_LINE = re.compile(
    r"^BenchmarkGemm/(?P<shape>\d+x\d+x\d+)/(?P<lay>[NT]{2})/(?P<impl>\w+)"
    r"(?:-\d+)?\s+\d+\s+(?P<ns>[\d.]+) ns/op\s+(?P<gf>[\d.]+) GFLOP/s"
    r"(?:\s+(?P<bytes>\d+) B/op\s+(?P<allocs>\d+) allocs/op)?")
NP_LINE = re.compile(
    r"^(?P<shape>\d+x\d+x\d+)/(?P<lay>[NT]{2})\s+(?P<gf>[\d.]+) GFLOP/s")


def read_go(path):
    """Return {(shape, lay): {impl: (gflops, ns, allocs)}}, best run."""
    rows = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = GO_LINE.match(line)
            if not m:
                continue
            key = (m["shape"], m["lay"])
            val = (float(m["gf"]), float(m["ns"]), m["allocs"] or "?")
            impls = rows.setdefault(key, {})
            if m["impl"] not in impls or val[0] > impls[m["impl"]][0]:
                impls[m["impl"]] = val
    return rows


def read_numpy(path):
    """Return {(shape, lay): gflops}, best run."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = NP_LINE.match(line)
            if m:
                key = (m["shape"], m["lay"])
                out[key] = max(out.get(key, 0.0), float(m["gf"]))
    return out


def main():
    go = read_go(sys.argv[1])
    np_ = read_numpy(sys.argv[2]) if len(sys.argv) > 2 else {}
    print("| shape m×n×k | layout | ours | numpy | gonum | gorgonia "
          "| ours/numpy | ours/gonum | ours ns/op | allocs/op |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (shape, lay), impls in go.items():
        ours = impls.get("ours", (0.0, 0.0, "?"))
        gonum = impls.get("gonum", (0.0,))[0]
        gorg = impls.get("gorgonia", (0.0,))[0]
        npv = np_.get((shape, lay), 0.0)
        r_np = f"{ours[0] / npv:.2f}" if npv else "-"
        r_go = f"{ours[0] / gonum:.1f}" if gonum else "-"
        print(f"| {shape} | {lay} | {ours[0]:.1f} | {npv:.1f} | "
              f"{gonum:.1f} | {gorg:.1f} | {r_np} | {r_go} | "
              f"{ours[1]:.0f} | {ours[2]} |")


if __name__ == "__main__":
    main()
