//go:build !purego

#include "textflag.h"

// The vector exp of exp.go. The constant table (AX = &expTab) holds
// eight copies of each constant, 32 bytes apart:
//
//	0 expHi   32 expLo   64 log2e   96 ln2hi   128 ln2lo
//	160..320 the six polynomial coefficients, highest degree first
//	352 one   384 the int32 127 (exponent bias)
//
// AVX-512 code keeps them broadcast in Z16..Z27 (see LOADEXP512).

#define LOADEXP512 \
	VBROADCASTSS 0(AX), Z16;   \
	VBROADCASTSS 32(AX), Z17;  \
	VBROADCASTSS 64(AX), Z18;  \
	VBROADCASTSS 96(AX), Z19;  \
	VBROADCASTSS 128(AX), Z20; \
	VBROADCASTSS 160(AX), Z21; \
	VBROADCASTSS 192(AX), Z22; \
	VBROADCASTSS 224(AX), Z23; \
	VBROADCASTSS 256(AX), Z24; \
	VBROADCASTSS 288(AX), Z25; \
	VBROADCASTSS 320(AX), Z26; \
	VBROADCASTSS 352(AX), Z27

// EXP512 replaces the 16 lanes of X by e^X, using K and T as scratch.
// The clamps take X as the second source so that NaN passes through;
// VSCALEFPS multiplies by 2^K without overflowing the exponent field
// early and underflows gradually.
#define EXP512(X, K, T) \
	VMINPS       X, Z16, X; \
	VMAXPS       X, Z17, X; \
	VMULPS       Z18, X, K; \
	VRNDSCALEPS  $0, K, K;  \
	VFNMADD231PS Z19, K, X; \
	VFNMADD231PS Z20, K, X; \
	VMOVAPS      Z21, T;    \
	VFMADD213PS  Z22, X, T; \
	VFMADD213PS  Z23, X, T; \
	VFMADD213PS  Z24, X, T; \
	VFMADD213PS  Z25, X, T; \
	VFMADD213PS  Z26, X, T; \
	VMULPS       X, T, T;   \
	VFMADD213PS  X, X, T;   \
	VADDPS       Z27, T, T; \
	VSCALEFPS    K, T, X

// EXPAVX2 replaces the 8 lanes of X by e^X, using K, T and U as
// scratch, with expHi in Y15, expLo in Y14 and one in Y13; the other
// constants are memory operands. 2^K is applied as 2^(K>>1)·2^(K−K>>1).
#define EXPAVX2(X, K, T, U) \
	VMINPS       X, Y15, X;        \
	VMAXPS       X, Y14, X;        \
	VMULPS       64(AX), X, K;     \
	VROUNDPS     $0, K, K;         \
	VFNMADD231PS 96(AX), K, X;     \
	VFNMADD231PS 128(AX), K, X;    \
	VMOVUPS      160(AX), T;       \
	VFMADD213PS  192(AX), X, T;    \
	VFMADD213PS  224(AX), X, T;    \
	VFMADD213PS  256(AX), X, T;    \
	VFMADD213PS  288(AX), X, T;    \
	VFMADD213PS  320(AX), X, T;    \
	VMULPS       X, T, T;          \
	VFMADD213PS  X, X, T;          \
	VADDPS       Y13, T, T;        \
	VCVTPS2DQ    K, K;             \
	VPSRAD       $1, K, U;         \
	VPSUBD       U, K, K;          \
	VPADDD       384(AX), U, U;    \
	VPADDD       384(AX), K, K;    \
	VPSLLD       $23, U, U;        \
	VPSLLD       $23, K, K;        \
	VMULPS       U, T, T;          \
	VMULPS       K, T, X

#define LOADEXPAVX2 \
	VMOVUPS 0(AX), Y15;  \
	VMOVUPS 32(AX), Y14; \
	VMOVUPS 352(AX), Y13

// TAILMASK sets K1 to the low CX bits (0 < CX < 16), using BX.
#define TAILMASK \
	MOVL  $1, BX;  \
	SHLL  CX, BX;  \
	DECL  BX;      \
	KMOVW BX, K1

// HSUM512 leaves the sum of Z0's 16 lanes in X0, using Y1.
#define HSUM512 \
	VEXTRACTF64X4 $1, Z0, Y1; \
	VADDPS        Y1, Y0, Y0; \
	VEXTRACTF128  $1, Y0, X1; \
	VADDPS        X1, X0, X0; \
	VHADDPS       X0, X0, X0; \
	VHADDPS       X0, X0, X0

// func expShiftSum512(y, x *float32, n int, m float32, tab *float32) float32
TEXT ·expShiftSum512(SB), NOSPLIT, $0-44
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS m+24(FP), Z28
	MOVQ         tab+32(FP), AX
	LOADEXP512
	VPXORD       Z0, Z0, Z0

ess16:
	CMPQ    CX, $16
	JLT     esstail
	VMOVUPS (SI), Z1
	VSUBPS  Z28, Z1, Z1
	EXP512(Z1, Z2, Z3)
	VMOVUPS Z1, (DI)
	VADDPS  Z1, Z0, Z0
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     ess16

esstail:
	TESTQ     CX, CX
	JEQ       essdone
	TAILMASK
	VMOVUPS.Z (SI), K1, Z1
	VSUBPS    Z28, Z1, Z1
	EXP512(Z1, Z2, Z3)
	VMOVUPS   Z1, K1, (DI)
	VADDPS    Z1, Z0, K1, Z0

essdone:
	HSUM512
	VMOVSS X0, ret+40(FP)
	VZEROUPPER
	RET

// func expShiftSumAVX2(y, x *float32, n int, m float32, tab *float32) float32
// n is a multiple of 8.
TEXT ·expShiftSumAVX2(SB), NOSPLIT, $0-44
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS m+24(FP), Y12
	MOVQ         tab+32(FP), AX
	LOADEXPAVX2
	VXORPS       Y0, Y0, Y0

essa8:
	TESTQ   CX, CX
	JEQ     essadone
	VMOVUPS (SI), Y1
	VSUBPS  Y12, Y1, Y1
	EXPAVX2(Y1, Y2, Y3, Y4)
	VMOVUPS Y1, (DI)
	VADDPS  Y1, Y0, Y0
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     essa8

essadone:
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	VMOVSS       X0, ret+40(FP)
	VZEROUPPER
	RET

// func axpyExpShift512(y, x *float32, n int, alpha, m float32, tab *float32)
TEXT ·axpyExpShift512(SB), NOSPLIT, $0-40
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS alpha+24(FP), Z29
	VBROADCASTSS m+28(FP), Z28
	MOVQ         tab+32(FP), AX
	LOADEXP512

aes16:
	CMPQ        CX, $16
	JLT         aestail
	VMOVUPS     (SI), Z1
	VSUBPS      Z28, Z1, Z1
	EXP512(Z1, Z2, Z3)
	VMOVUPS     (DI), Z4
	VFMADD231PS Z29, Z1, Z4
	VMOVUPS     Z4, (DI)
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JMP         aes16

aestail:
	TESTQ       CX, CX
	JEQ         aesdone
	TAILMASK
	VMOVUPS.Z   (SI), K1, Z1
	VSUBPS      Z28, Z1, Z1
	EXP512(Z1, Z2, Z3)
	VMOVUPS.Z   (DI), K1, Z4
	VFMADD231PS Z29, Z1, Z4
	VMOVUPS     Z4, K1, (DI)

aesdone:
	VZEROUPPER
	RET

// func axpyExpShiftAVX2(y, x *float32, n int, alpha, m float32, tab *float32)
// n is a multiple of 8.
TEXT ·axpyExpShiftAVX2(SB), NOSPLIT, $0-40
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS alpha+24(FP), Y11
	VBROADCASTSS m+28(FP), Y12
	MOVQ         tab+32(FP), AX
	LOADEXPAVX2

aesa8:
	TESTQ       CX, CX
	JEQ         aesadone
	VMOVUPS     (SI), Y1
	VSUBPS      Y12, Y1, Y1
	EXPAVX2(Y1, Y2, Y3, Y4)
	VMOVUPS     (DI), Y5
	VFMADD231PS Y11, Y1, Y5
	VMOVUPS     Y5, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         aesa8

aesadone:
	VZEROUPPER
	RET

// func sigmoid512(dst, x *float32, n int, tab *float32)
TEXT ·sigmoid512(SB), NOSPLIT, $0-32
	MOVQ   dst+0(FP), DI
	MOVQ   x+8(FP), SI
	MOVQ   n+16(FP), CX
	MOVQ   tab+24(FP), AX
	LOADEXP512
	VPXORD Z29, Z29, Z29

sig16:
	CMPQ    CX, $16
	JLT     sigtail
	VSUBPS  (SI), Z29, Z1
	EXP512(Z1, Z2, Z3)
	VADDPS  Z27, Z1, Z1
	VDIVPS  Z1, Z27, Z1
	VMOVUPS Z1, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     sig16

sigtail:
	TESTQ     CX, CX
	JEQ       sigdone
	TAILMASK
	VMOVUPS.Z (SI), K1, Z1
	VSUBPS    Z1, Z29, Z1
	EXP512(Z1, Z2, Z3)
	VADDPS    Z27, Z1, Z1
	VDIVPS    Z1, Z27, Z1
	VMOVUPS   Z1, K1, (DI)

sigdone:
	VZEROUPPER
	RET

// func sigmoidAVX2(dst, x *float32, n int, tab *float32)
// n is a multiple of 8.
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-32
	MOVQ   dst+0(FP), DI
	MOVQ   x+8(FP), SI
	MOVQ   n+16(FP), CX
	MOVQ   tab+24(FP), AX
	LOADEXPAVX2
	VXORPS Y12, Y12, Y12

siga8:
	TESTQ   CX, CX
	JEQ     sigadone
	VSUBPS  (SI), Y12, Y1
	EXPAVX2(Y1, Y2, Y3, Y4)
	VADDPS  Y13, Y1, Y1
	VDIVPS  Y1, Y13, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     siga8

sigadone:
	VZEROUPPER
	RET

// func swiglu512(out, sig, a, b *float32, n int, tab *float32)
// sig = 1/(1+e^−a), out = (a·sig)·b.
TEXT ·swiglu512(SB), NOSPLIT, $0-48
	MOVQ   out+0(FP), DI
	MOVQ   sig+8(FP), R8
	MOVQ   a+16(FP), SI
	MOVQ   b+24(FP), DX
	MOVQ   n+32(FP), CX
	MOVQ   tab+40(FP), AX
	LOADEXP512
	VPXORD Z29, Z29, Z29

swg16:
	CMPQ    CX, $16
	JLT     swgtail
	VMOVUPS (SI), Z4
	VSUBPS  Z4, Z29, Z1
	EXP512(Z1, Z2, Z3)
	VADDPS  Z27, Z1, Z1
	VDIVPS  Z1, Z27, Z1
	VMOVUPS Z1, (R8)
	VMULPS  Z1, Z4, Z4
	VMULPS  (DX), Z4, Z4
	VMOVUPS Z4, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	ADDQ    $64, DX
	ADDQ    $64, R8
	SUBQ    $16, CX
	JMP     swg16

swgtail:
	TESTQ     CX, CX
	JEQ       swgdone
	TAILMASK
	VMOVUPS.Z (SI), K1, Z4
	VMOVUPS.Z (DX), K1, Z5
	VSUBPS    Z4, Z29, Z1
	EXP512(Z1, Z2, Z3)
	VADDPS    Z27, Z1, Z1
	VDIVPS    Z1, Z27, Z1
	VMOVUPS   Z1, K1, (R8)
	VMULPS    Z1, Z4, Z4
	VMULPS    Z5, Z4, Z4
	VMOVUPS   Z4, K1, (DI)

swgdone:
	VZEROUPPER
	RET

// func swigluAVX2(out, sig, a, b *float32, n int, tab *float32)
// n is a multiple of 8.
TEXT ·swigluAVX2(SB), NOSPLIT, $0-48
	MOVQ   out+0(FP), DI
	MOVQ   sig+8(FP), R8
	MOVQ   a+16(FP), SI
	MOVQ   b+24(FP), DX
	MOVQ   n+32(FP), CX
	MOVQ   tab+40(FP), AX
	LOADEXPAVX2
	VXORPS Y12, Y12, Y12

swga8:
	TESTQ   CX, CX
	JEQ     swgadone
	VMOVUPS (SI), Y5
	VSUBPS  Y5, Y12, Y1
	EXPAVX2(Y1, Y2, Y3, Y4)
	VADDPS  Y13, Y1, Y1
	VDIVPS  Y1, Y13, Y1
	VMOVUPS Y1, (R8)
	VMULPS  Y1, Y5, Y5
	VMULPS  (DX), Y5, Y5
	VMOVUPS Y5, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, DX
	ADDQ    $32, R8
	SUBQ    $8, CX
	JMP     swga8

swgadone:
	VZEROUPPER
	RET

// func max512(x *float32, n int) float32
// K3 collects lanes that were NaN; any makes the result NaN.
TEXT ·max512(SB), NOSPLIT, $0-20
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	MOVL         $0xff800000, BX
	VPBROADCASTD BX, Z0
	KXORW        K3, K3, K3

max16:
	CMPQ    CX, $16
	JLT     maxtail
	VMOVUPS (SI), Z1
	VMAXPS  Z1, Z0, Z0
	VCMPPS  $3, Z1, Z1, K2
	KORW    K2, K3, K3
	ADDQ    $64, SI
	SUBQ    $16, CX
	JMP     max16

maxtail:
	TESTQ     CX, CX
	JEQ       maxreduce
	TAILMASK
	VMOVUPS.Z (SI), K1, Z1
	VMAXPS    Z1, Z0, K1, Z0
	VCMPPS    $3, Z1, Z1, K1, K2
	KORW      K2, K3, K3

maxreduce:
	KORTESTW      K3, K3
	JNE           maxnan
	VEXTRACTF64X4 $1, Z0, Y1
	VMAXPS        Y1, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VMAXPS        X1, X0, X0
	VMOVHLPS      X0, X0, X1
	VMAXPS        X1, X0, X0
	VMOVSHDUP     X0, X1
	VMAXPS        X1, X0, X0
	VMOVSS        X0, ret+16(FP)
	VZEROUPPER
	RET

maxnan:
	MOVL $0x7fc00000, ret+16(FP)
	VZEROUPPER
	RET

// func maxAVX2(x *float32, n int) float32
// n is a multiple of 8. Y2 collects NaN lanes (all-ones where x ≠ x).
TEXT ·maxAVX2(SB), NOSPLIT, $0-20
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	MOVL         $0xff800000, BX
	MOVL         BX, X0
	VPBROADCASTD X0, Y0
	VXORPS       Y2, Y2, Y2

maxa8:
	TESTQ   CX, CX
	JEQ     maxareduce
	VMOVUPS (SI), Y1
	VMAXPS  Y1, Y0, Y0
	VCMPPS  $3, Y1, Y1, Y3
	VORPS   Y3, Y2, Y2
	ADDQ    $32, SI
	SUBQ    $8, CX
	JMP     maxa8

maxareduce:
	VPTEST       Y2, Y2
	JNE          maxanan
	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VMAXPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VMAXPS       X1, X0, X0
	VMOVSS       X0, ret+16(FP)
	VZEROUPPER
	RET

maxanan:
	MOVL $0x7fc00000, ret+16(FP)
	VZEROUPPER
	RET
