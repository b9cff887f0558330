//go:build !purego

#include "textflag.h"

// Arithmetic-only AVX2 loops of elem.go. Every n is a multiple of 8;
// the Go callers do the rest.

// func swigluBackAVX2(da, db, dout, a, b, sig *float32, n int)
// da += dout·b·s·(1 + a·(1−s)); db += dout·a·s.
TEXT ·swigluBackAVX2(SB), NOSPLIT, $0-56
	MOVQ         da+0(FP), DI
	MOVQ         db+8(FP), R8
	MOVQ         dout+16(FP), SI
	MOVQ         a+24(FP), R9
	MOVQ         b+32(FP), R10
	MOVQ         sig+40(FP), R11
	MOVQ         n+48(FP), CX
	MOVL         $0x3f800000, BX
	MOVL         BX, X15
	VPBROADCASTD X15, Y15

swb8:
	TESTQ       CX, CX
	JEQ         swbdone
	VMOVUPS     (SI), Y0
	VMOVUPS     (R9), Y1
	VMOVUPS     (R11), Y2
	VSUBPS      Y2, Y15, Y3
	VFMADD213PS Y15, Y1, Y3
	VMULPS      (R10), Y0, Y4
	VMULPS      Y2, Y4, Y4
	VMULPS      Y3, Y4, Y4
	VADDPS      (DI), Y4, Y4
	VMOVUPS     Y4, (DI)
	VMULPS      Y1, Y0, Y5
	VMULPS      Y2, Y5, Y5
	VADDPS      (R8), Y5, Y5
	VMOVUPS     Y5, (R8)
	ADDQ        $32, SI
	ADDQ        $32, DI
	ADDQ        $32, R8
	ADDQ        $32, R9
	ADDQ        $32, R10
	ADDQ        $32, R11
	SUBQ        $8, CX
	JMP         swb8

swbdone:
	VZEROUPPER
	RET

// func mulScaleAVX2(y, x, w *float32, n int, r float32)
// y = x·r·w.
TEXT ·mulScaleAVX2(SB), NOSPLIT, $0-36
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         w+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSS r+32(FP), Y15

ms8:
	TESTQ   CX, CX
	JEQ     msdone
	VMULPS  (SI), Y15, Y0
	VMULPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, DX
	SUBQ    $8, CX
	JMP     ms8

msdone:
	VZEROUPPER
	RET

// func rmsBackDWAVX2(dw, dy, x *float32, n int, r float32)
// dw += dy·x·r.
TEXT ·rmsBackDWAVX2(SB), NOSPLIT, $0-36
	MOVQ         dw+0(FP), DI
	MOVQ         dy+8(FP), SI
	MOVQ         x+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSS r+32(FP), Y15

dw8:
	TESTQ   CX, CX
	JEQ     dwdone
	VMOVUPS (SI), Y0
	VMULPS  (DX), Y0, Y0
	VMULPS  Y15, Y0, Y0
	VADDPS  (DI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, DX
	SUBQ    $8, CX
	JMP     dw8

dwdone:
	VZEROUPPER
	RET

// func dot3AVX2(a, b, c *float32, n int) float32
// Σ a·b·c in two 8-lane accumulators.
TEXT ·dot3AVX2(SB), NOSPLIT, $0-36
	MOVQ   a+0(FP), SI
	MOVQ   b+8(FP), DX
	MOVQ   c+16(FP), R8
	MOVQ   n+24(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

d3x16:
	CMPQ        CX, $16
	JLT         d3x8
	VMOVUPS     (SI), Y2
	VMOVUPS     32(SI), Y3
	VMULPS      (DX), Y2, Y2
	VMULPS      32(DX), Y3, Y3
	VFMADD231PS (R8), Y2, Y0
	VFMADD231PS 32(R8), Y3, Y1
	ADDQ        $64, SI
	ADDQ        $64, DX
	ADDQ        $64, R8
	SUBQ        $16, CX
	JMP         d3x16

d3x8:
	TESTQ       CX, CX
	JEQ         d3sum
	VMOVUPS     (SI), Y2
	VMULPS      (DX), Y2, Y2
	VFMADD231PS (R8), Y2, Y0

d3sum:
	VADDPS       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	VMOVSS       X0, ret+32(FP)
	VZEROUPPER
	RET

// func rmsBackDXAVX2(dx, dy, x, w *float32, n int, r, k float32)
// dx += r·dy·w − k·x.
TEXT ·rmsBackDXAVX2(SB), NOSPLIT, $0-48
	MOVQ         dx+0(FP), DI
	MOVQ         dy+8(FP), SI
	MOVQ         x+16(FP), DX
	MOVQ         w+24(FP), R8
	MOVQ         n+32(FP), CX
	VBROADCASTSS r+40(FP), Y15
	VBROADCASTSS k+44(FP), Y14

dx8:
	TESTQ        CX, CX
	JEQ          dxdone
	VMULPS       (SI), Y15, Y0
	VMULPS       (R8), Y0, Y0
	VMOVUPS      (DX), Y1
	VFNMADD231PS Y14, Y1, Y0
	VADDPS       (DI), Y0, Y0
	VMOVUPS      Y0, (DI)
	ADDQ         $32, SI
	ADDQ         $32, DI
	ADDQ         $32, DX
	ADDQ         $32, R8
	SUBQ         $8, CX
	JMP          dx8

dxdone:
	VZEROUPPER
	RET

// func adamwAVX2(p, gr, m, v *float32, n int, h *adamwParams)
// The same operations in the same order as adamwGo, without FMA, so
// that both give the same bits. h: beta1, c1, beta2, c2, invBC2, eps,
// decay, stepSize at offsets 0, 4, ..., 28.
TEXT ·adamwAVX2(SB), NOSPLIT, $0-48
	MOVQ         p+0(FP), DI
	MOVQ         gr+8(FP), SI
	MOVQ         m+16(FP), DX
	MOVQ         v+24(FP), R8
	MOVQ         n+32(FP), CX
	MOVQ         h+40(FP), AX
	VBROADCASTSS 0(AX), Y8
	VBROADCASTSS 4(AX), Y9
	VBROADCASTSS 8(AX), Y10
	VBROADCASTSS 12(AX), Y11
	VBROADCASTSS 16(AX), Y12
	VBROADCASTSS 20(AX), Y13
	VBROADCASTSS 24(AX), Y14
	VBROADCASTSS 28(AX), Y15

adam8:
	TESTQ   CX, CX
	JEQ     adamdone
	VMOVUPS (SI), Y0
	VMULPS  (DX), Y8, Y1
	VMULPS  Y0, Y9, Y2
	VADDPS  Y2, Y1, Y1
	VMOVUPS Y1, (DX)
	VMULPS  (R8), Y10, Y3
	VMULPS  Y0, Y11, Y4
	VMULPS  Y0, Y4, Y4
	VADDPS  Y4, Y3, Y3
	VMOVUPS Y3, (R8)
	VMULPS  Y12, Y3, Y4
	VSQRTPS Y4, Y4
	VADDPS  Y13, Y4, Y4
	VMULPS  (DI), Y14, Y5
	VMULPS  Y1, Y15, Y6
	VDIVPS  Y4, Y6, Y6
	VSUBPS  Y6, Y5, Y5
	VMOVUPS Y5, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, DX
	ADDQ    $32, R8
	SUBQ    $8, CX
	JMP     adam8

adamdone:
	VZEROUPPER
	RET
