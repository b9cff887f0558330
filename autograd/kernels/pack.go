package kernels

import "sync"

// scratch is one goroutine's packing space: the packed k×nc slab of
// op(B) for the column block in hand (grown on demand, never shrunk), a
// packed mr×kc strip of A, and one C tile for tiles that stick out of
// C.
type scratch struct {
	a, b, tile []float32
}

// slab returns the B buffer with room for n floats.
func (s *scratch) slab(n int) []float32 {
	if len(s.b) < n {
		s.b = make([]float32, n)
	}
	return s.b[:n]
}

// Big tiles are at most 12×32; round buffers up to whole panels.
const (
	maxMR = 12
	maxNR = 32
)

// scratchFree keeps idle scratch for calling goroutines. Unlike a
// sync.Pool it is never emptied by the garbage collector, so steady
// training allocates nothing; it grows only to the largest number of
// goroutines that were ever inside Gemm at once.
var scratchFree struct {
	mu   sync.Mutex
	list []*scratch
}

func newScratch() *scratch {
	return &scratch{
		a:    make([]float32, maxMR*blockK),
		tile: make([]float32, maxMR*maxNR),
	}
}

func getScratch() *scratch {
	scratchFree.mu.Lock()
	defer scratchFree.mu.Unlock()
	n := len(scratchFree.list)
	if n == 0 {
		return newScratch()
	}
	s := scratchFree.list[n-1]
	scratchFree.list = scratchFree.list[:n-1]
	return s
}

func putScratch(s *scratch) {
	scratchFree.mu.Lock()
	scratchFree.list = append(scratchFree.list, s)
	scratchFree.mu.Unlock()
}

// packB copies op(B)[pc:pc+kc, jc:jc+nc] into dst as nr-wide panels:
// panel q holds kc rows of nr floats, columns past nc are zero.
func packB(dst, b []float32, ldb int, trans bool, pc, kc, jc, nc,
	nr int) {
	for q := 0; q*nr < nc; q++ {
		w := min(nr, nc-q*nr)
		panel := dst[q*nr*kc : (q+1)*nr*kc]
		if trans {
			packBTrans(panel, b, ldb, pc, kc, jc+q*nr, w, nr)
		} else {
			packBRows(panel, b, ldb, pc, kc, jc+q*nr, w, nr)
		}
	}
}

// packBRows packs from B stored k×n: each k row is a contiguous run.
func packBRows(panel, b []float32, ldb, pc, kc, j0, w, nr int) {
	if w == 32 && nr == 32 {
		// Whole AVX-512 panels: a fixed-size copy, no memmove call.
		for p := 0; p < kc; p++ {
			o := (pc+p)*ldb + j0
			*(*[32]float32)(panel[p*32:]) = *(*[32]float32)(b[o:])
		}
		return
	}
	for p := 0; p < kc; p++ {
		src := b[(pc+p)*ldb+j0 : (pc+p)*ldb+j0+w]
		dst := panel[p*nr : p*nr+nr]
		copy(dst, src)
		clear(dst[w:])
	}
}

// packBTrans packs from B stored n×k: each output column is a
// contiguous run of B, scattered with stride nr. Eight columns at a
// time turn the scatter into one 32-byte store per k step.
func packBTrans(panel, b []float32, ldb, pc, kc, j0, w, nr int) {
	j := 0
	for ; j+8 <= w; j += 8 {
		// Vector 8×8 transposes do the bulk; the k remainder below.
		o := (j0+j)*ldb + pc
		done := transpose8(panel[j:], nr, b[o:], ldb, kc)
		if done == kc {
			continue
		}
		var r [8][]float32
		for q := range r {
			o := (j0+j+q)*ldb + pc
			r[q] = b[o : o+kc : o+kc]
		}
		for p := done; p < kc; p++ {
			*(*[8]float32)(panel[p*nr+j:]) = [8]float32{
				r[0][p], r[1][p], r[2][p], r[3][p],
				r[4][p], r[5][p], r[6][p], r[7][p]}
		}
	}
	for ; j < w; j++ {
		r := b[(j0+j)*ldb+pc : (j0+j)*ldb+pc+kc]
		for p, v := range r {
			panel[p*nr+j] = v
		}
	}
	if w < nr {
		for p := 0; p < kc; p++ {
			clear(panel[p*nr+w : p*nr+nr])
		}
	}
}

// packAEdge copies a rows×kc corner of A (element (r,p) at
// a[r·rsa + p·csa]) into dst as kc steps of mr floats, padding the
// missing rows with zeros.
func packAEdge(dst, a []float32, rsa, csa, rows, kc, mr int) {
	for p := 0; p < kc; p++ {
		d := dst[p*mr : p*mr+mr]
		for r := 0; r < rows; r++ {
			d[r] = a[r*rsa+p*csa]
		}
		clear(d[rows:])
	}
}

// packATrans copies an mr×kc strip of A stored k×m (step p is the run
// a[p·lda : p·lda+mr]) into dst as kc contiguous steps of mr floats.
// Fixed-size array copies for the kernels' mr avoid a memmove call per
// step.
func packATrans(dst, a []float32, lda, kc, mr int) {
	switch mr {
	case 12:
		for p := 0; p < kc; p++ {
			*(*[12]float32)(dst[p*12:]) = *(*[12]float32)(a[p*lda:])
		}
	case 6:
		for p := 0; p < kc; p++ {
			*(*[6]float32)(dst[p*6:]) = *(*[6]float32)(a[p*lda:])
		}
	default:
		for p := 0; p < kc; p++ {
			copy(dst[p*mr:p*mr+mr], a[p*lda:p*lda+mr])
		}
	}
}

// packARows copies an mr×kc strip of row-major A (row r is the run
// a[r·lda : r·lda+kc]) into dst as kc steps of mr floats.
func packARows(dst, a []float32, lda, kc, mr int) {
	if mr != 12 {
		packAEdge(dst, a, lda, 1, mr, kc, mr)
		return
	}
	// Two overlapping 8-row vector transposes (rows 0–7 and 4–11) do
	// the bulk; rows 4–7 are simply written twice.
	done := transpose8(dst, 12, a, lda, kc)
	transpose8(dst[4:], 12, a[4*lda:], lda, kc)
	var r [12][]float32
	for q := range r {
		r[q] = a[q*lda : q*lda+kc : q*lda+kc]
	}
	for p := done; p < kc; p++ {
		*(*[12]float32)(dst[p*12:]) = [12]float32{
			r[0][p], r[1][p], r[2][p], r[3][p], r[4][p], r[5][p],
			r[6][p], r[7][p], r[8][p], r[9][p], r[10][p], r[11][p]}
	}
}
