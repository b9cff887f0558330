//go:build !purego

#include "textflag.h"

// The micro-kernels compute one register tile of C from a strided tile
// of op(A) and a packed panel of op(B):
//
//	C[r][j] = alpha·Σ_p A(r,p)·Bp[p][j] + beta·C[r][j]
//
// A(r,p) lives at a + r·rsa + p·csa (strides in elements), so the same
// code reads A in place whether it is stored row-major (rsa = lda,
// csa = 1), transposed (rsa = 1, csa = lda) or packed (rsa = 1,
// csa = MR). Bp holds k rows of NR contiguous floats. beta = 0 never
// reads C.

// ZSTEP does one k step of the 12×32 AVX-512 tile: two vectors of B,
// twelve broadcasts of A, 24 FMAs into Z8..Z31.
#define ZSTEP(boff) \
	VMOVUPS boff(BX), Z0 \
	VMOVUPS boff+64(BX), Z1 \
	VBROADCASTSS (AX), Z2 \
	VBROADCASTSS (AX)(R9*1), Z3 \
	VFMADD231PS Z0, Z2, Z8 \
	VFMADD231PS Z1, Z2, Z9 \
	VBROADCASTSS (AX)(R9*2), Z4 \
	VFMADD231PS Z0, Z3, Z10 \
	VFMADD231PS Z1, Z3, Z11 \
	VBROADCASTSS (AX)(R10*1), Z5 \
	VFMADD231PS Z0, Z4, Z12 \
	VFMADD231PS Z1, Z4, Z13 \
	VBROADCASTSS (AX)(R9*4), Z6 \
	VFMADD231PS Z0, Z5, Z14 \
	VFMADD231PS Z1, Z5, Z15 \
	VBROADCASTSS (R11), Z7 \
	VFMADD231PS Z0, Z6, Z16 \
	VFMADD231PS Z1, Z6, Z17 \
	VBROADCASTSS (R11)(R9*1), Z2 \
	VFMADD231PS Z0, Z7, Z18 \
	VFMADD231PS Z1, Z7, Z19 \
	VBROADCASTSS (R11)(R9*2), Z3 \
	VFMADD231PS Z0, Z2, Z20 \
	VFMADD231PS Z1, Z2, Z21 \
	VBROADCASTSS (R11)(R10*1), Z4 \
	VFMADD231PS Z0, Z3, Z22 \
	VFMADD231PS Z1, Z3, Z23 \
	VBROADCASTSS (R11)(R9*4), Z5 \
	VFMADD231PS Z0, Z4, Z24 \
	VFMADD231PS Z1, Z4, Z25 \
	VBROADCASTSS (R13), Z6 \
	VFMADD231PS Z0, Z5, Z26 \
	VFMADD231PS Z1, Z5, Z27 \
	VBROADCASTSS (R13)(R9*1), Z7 \
	VFMADD231PS Z0, Z6, Z28 \
	VFMADD231PS Z1, Z6, Z29 \
	VFMADD231PS Z0, Z7, Z30 \
	VFMADD231PS Z1, Z7, Z31 \
	ADDQ R12, AX \
	ADDQ R12, R11 \
	ADDQ R12, R13

// ZROW0 stores one row of the tile when beta = 0.
#define ZROW0(lo, hi) \
	VMULPS Z0, lo, lo \
	VMULPS Z0, hi, hi \
	VMOVUPS lo, (DI) \
	VMOVUPS hi, 64(DI) \
	ADDQ DX, DI

// ZROWB stores one row of the tile when beta ≠ 0.
#define ZROWB(lo, hi) \
	VMULPS Z0, lo, lo \
	VMULPS Z0, hi, hi \
	VFMADD231PS (DI), Z1, lo \
	VFMADD231PS 64(DI), Z1, hi \
	VMOVUPS lo, (DI) \
	VMOVUPS hi, 64(DI) \
	ADDQ DX, DI

// func kernel12x32(k int, a *float32, rsa, csa int, b, c *float32,
//	ldc int, alpha, beta float32)
TEXT ·kernel12x32(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ rsa+16(FP), R9
	MOVQ csa+24(FP), R12
	MOVQ b+32(FP), BX
	SHLQ $2, R9
	SHLQ $2, R12
	LEAQ (R9)(R9*2), R10
	LEAQ (AX)(R9*4), R11
	ADDQ R9, R11
	LEAQ (R11)(R9*4), R13
	ADDQ R9, R13

	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23
	VPXORD Z24, Z24, Z24
	VPXORD Z25, Z25, Z25
	VPXORD Z26, Z26, Z26
	VPXORD Z27, Z27, Z27
	VPXORD Z28, Z28, Z28
	VPXORD Z29, Z29, Z29
	VPXORD Z30, Z30, Z30
	VPXORD Z31, Z31, Z31

z4loop:
	CMPQ CX, $4
	JLT  z1loop
	PREFETCHT0 1024(BX)
	ZSTEP(0)
	ZSTEP(128)
	PREFETCHT0 1280(BX)
	ZSTEP(256)
	ZSTEP(384)
	ADDQ $512, BX
	SUBQ $4, CX
	JMP  z4loop

z1loop:
	TESTQ CX, CX
	JEQ   zstore
	ZSTEP(0)
	ADDQ $128, BX
	DECQ CX
	JMP  z1loop

zstore:
	VBROADCASTSS alpha+56(FP), Z0
	MOVQ c+40(FP), DI
	MOVQ ldc+48(FP), DX
	SHLQ $2, DX
	MOVL beta+60(FP), R8
	ANDL $0x7fffffff, R8
	JNE  zbeta
	ZROW0(Z8, Z9)
	ZROW0(Z10, Z11)
	ZROW0(Z12, Z13)
	ZROW0(Z14, Z15)
	ZROW0(Z16, Z17)
	ZROW0(Z18, Z19)
	ZROW0(Z20, Z21)
	ZROW0(Z22, Z23)
	ZROW0(Z24, Z25)
	ZROW0(Z26, Z27)
	ZROW0(Z28, Z29)
	ZROW0(Z30, Z31)
	VZEROUPPER
	RET

zbeta:
	VBROADCASTSS beta+60(FP), Z1
	ZROWB(Z8, Z9)
	ZROWB(Z10, Z11)
	ZROWB(Z12, Z13)
	ZROWB(Z14, Z15)
	ZROWB(Z16, Z17)
	ZROWB(Z18, Z19)
	ZROWB(Z20, Z21)
	ZROWB(Z22, Z23)
	ZROWB(Z24, Z25)
	ZROWB(Z26, Z27)
	ZROWB(Z28, Z29)
	ZROWB(Z30, Z31)
	VZEROUPPER
	RET

// YSTEP does one k step of the 6×16 AVX2 tile: two vectors of B, six
// broadcasts of A, 12 FMAs into Y4..Y15.
#define YSTEP(boff) \
	VMOVUPS boff(BX), Y0 \
	VMOVUPS boff+32(BX), Y1 \
	VBROADCASTSS (AX), Y2 \
	VBROADCASTSS (AX)(R9*1), Y3 \
	VFMADD231PS Y0, Y2, Y4 \
	VFMADD231PS Y1, Y2, Y5 \
	VBROADCASTSS (AX)(R9*2), Y2 \
	VFMADD231PS Y0, Y3, Y6 \
	VFMADD231PS Y1, Y3, Y7 \
	VBROADCASTSS (R11), Y3 \
	VFMADD231PS Y0, Y2, Y8 \
	VFMADD231PS Y1, Y2, Y9 \
	VBROADCASTSS (R11)(R9*1), Y2 \
	VFMADD231PS Y0, Y3, Y10 \
	VFMADD231PS Y1, Y3, Y11 \
	VBROADCASTSS (R11)(R9*2), Y3 \
	VFMADD231PS Y0, Y2, Y12 \
	VFMADD231PS Y1, Y2, Y13 \
	VFMADD231PS Y0, Y3, Y14 \
	VFMADD231PS Y1, Y3, Y15 \
	ADDQ R12, AX \
	ADDQ R12, R11

// YROW0 stores one row of the tile when beta = 0.
#define YROW0(lo, hi) \
	VMULPS Y0, lo, lo \
	VMULPS Y0, hi, hi \
	VMOVUPS lo, (DI) \
	VMOVUPS hi, 32(DI) \
	ADDQ DX, DI

// YROWB stores one row of the tile when beta ≠ 0.
#define YROWB(lo, hi) \
	VMULPS Y0, lo, lo \
	VMULPS Y0, hi, hi \
	VFMADD231PS (DI), Y1, lo \
	VFMADD231PS 32(DI), Y1, hi \
	VMOVUPS lo, (DI) \
	VMOVUPS hi, 32(DI) \
	ADDQ DX, DI

// func kernel6x16(k int, a *float32, rsa, csa int, b, c *float32,
//	ldc int, alpha, beta float32)
TEXT ·kernel6x16(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ rsa+16(FP), R9
	MOVQ csa+24(FP), R12
	MOVQ b+32(FP), BX
	SHLQ $2, R9
	SHLQ $2, R12
	LEAQ (R9)(R9*2), R10
	LEAQ (AX)(R10*1), R11

	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15

y4loop:
	CMPQ CX, $4
	JLT  y1loop
	PREFETCHT0 512(BX)
	YSTEP(0)
	YSTEP(64)
	YSTEP(128)
	YSTEP(192)
	ADDQ $256, BX
	SUBQ $4, CX
	JMP  y4loop

y1loop:
	TESTQ CX, CX
	JEQ   ystore
	YSTEP(0)
	ADDQ $64, BX
	DECQ CX
	JMP  y1loop

ystore:
	VBROADCASTSS alpha+56(FP), Y0
	MOVQ c+40(FP), DI
	MOVQ ldc+48(FP), DX
	SHLQ $2, DX
	MOVL beta+60(FP), R8
	ANDL $0x7fffffff, R8
	JNE  ybeta
	YROW0(Y4, Y5)
	YROW0(Y6, Y7)
	YROW0(Y8, Y9)
	YROW0(Y10, Y11)
	YROW0(Y12, Y13)
	YROW0(Y14, Y15)
	VZEROUPPER
	RET

ybeta:
	VBROADCASTSS beta+60(FP), Y1
	YROWB(Y4, Y5)
	YROWB(Y6, Y7)
	YROWB(Y8, Y9)
	YROWB(Y10, Y11)
	YROWB(Y12, Y13)
	YROWB(Y14, Y15)
	VZEROUPPER
	RET
