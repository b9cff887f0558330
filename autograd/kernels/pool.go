package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// parallelMinWork is the m·n·k below which Gemm stays on the calling
// goroutine: waking a worker costs a few microseconds, about what
// 1M multiply-adds take on one core.
const parallelMinWork = 1 << 20

// chunksPerThread is how many pieces each goroutine's share of a
// column block is cut into. Chunks are taken from a shared counter, so
// when another process holds a core the other goroutines take its
// share instead of waiting for it.
const chunksPerThread = 4

// packSpin is how long a goroutine that packed its share of B polls
// for the others' before it parks. Parking at once (a bare
// WaitGroup.Wait) measured 10–25% slower at 768×128×256 and
// 768×512×512: the wake-up outlasts the wait.
const packSpin = 20 * time.Microsecond

// workers is the persistent pool: GOMAXPROCS−1 goroutines started on the
// first parallel call and never stopped. The caller always works too,
// so together they use every core.
var workers struct {
	once sync.Once
	n    int
	jobs chan *gemmJob
}

// workerCount starts the pool on first use and returns its size.
func workerCount() int {
	workers.once.Do(func() {
		workers.n = runtime.GOMAXPROCS(0) - 1
		workers.jobs = make(chan *gemmJob, 4*workers.n+4)
		for range workers.n {
			go work()
		}
	})
	return workers.n
}

// spinWait is how long an idle worker polls for the next job before it
// parks. The engine calls Gemm back to back, and a parked goroutine
// takes tens of microseconds to wake, longer than a 768×128×128 call
// spends on a chunk.
const spinWait = 50 * time.Microsecond

// work helps with jobs forever, with its own scratch buffers.
func work() {
	s := newScratch()
	for {
		job := nextJob()
		job.help(s)
		job.release()
	}
}

// nextJob polls the job channel for up to spinWait, yielding the core
// between polls, then blocks on it.
func nextJob() *gemmJob {
	start := time.Now()
	for i := 0; ; i++ {
		select {
		case job := <-workers.jobs:
			return job
		default:
		}
		if i%16 == 15 && time.Since(start) > spinWait {
			return <-workers.jobs
		}
		runtime.Gosched()
	}
}

// gemmJob is one column block of a Gemm call shared by several
// goroutines: C[0:m, jc:jc+nc] cut into rowChunks×colChunks chunks.
// Jobs are pooled so the parallel path does not allocate; refs counts
// the goroutines that may still read the job.
type gemmJob struct {
	args                 gemmArgs
	kn                   kernelInfo
	bp                   []float32
	jc, nc               int
	rowStep, colStep     int
	rowChunks, colChunks int
	panels               int // nr-wide panels of the slab to pack
	packNext, packedN    atomic.Int64
	packed               sync.WaitGroup
	next                 atomic.Int64
	pending              sync.WaitGroup
	refs                 atomic.Int32
}

var jobPool = sync.Pool{New: func() any { return new(gemmJob) }}

// fork computes the column block at jc with the caller and the workers
// taking chunks until none are left, and returns when all are done.
func (g *gemmArgs) fork(kn kernelInfo, bp []float32, jc, nc int,
	s *scratch) {
	job := jobPool.Get().(*gemmJob)
	job.args, job.kn, job.bp, job.jc, job.nc = *g, kn, bp, jc, nc
	job.split(g.m, nc, workers.n+1)
	chunks := job.rowChunks * job.colChunks
	helpers := min(workers.n, chunks-1)
	job.panels = (nc + kn.nr - 1) / kn.nr
	job.packNext.Store(0)
	job.packedN.Store(0)
	job.packed.Add(job.panels)
	job.next.Store(0)
	job.pending.Add(chunks)
	job.refs.Store(int32(helpers + 1))
	for range helpers {
		workers.jobs <- job
	}
	job.help(s)
	job.pending.Wait()
	job.release()
}

// split picks chunk sizes: whole strips of mr rows, cut along m while
// there are enough strips, else also along n in whole nr panels.
func (job *gemmJob) split(m, nc, threads int) {
	kn := job.kn
	want := chunksPerThread * threads
	strips := (m + kn.mr - 1) / kn.mr
	panels := (nc + kn.nr - 1) / kn.nr
	job.colChunks = min(panels, max(1, (want+strips-1)/strips))
	job.rowChunks = min(strips, (want+job.colChunks-1)/job.colChunks)
	job.rowStep = (strips + job.rowChunks - 1) / job.rowChunks * kn.mr
	job.colStep = (panels + job.colChunks - 1) / job.colChunks * kn.nr
	job.rowChunks = (m + job.rowStep - 1) / job.rowStep
	job.colChunks = (nc + job.colStep - 1) / job.colStep
}

// help first packs panels of the B slab until none are left to take
// and waits until all are packed (every chunk reads all of k, so no
// chunk can start earlier), then takes chunks until the counter runs
// past the last one. The wait polls for up to packSpin, since the
// last panel is usually microseconds away, then parks: when another
// process holds the core of a goroutine still packing, the waiting
// ones leave their cores to it.
func (job *gemmJob) help(s *scratch) {
	panels := int64(job.panels)
	for {
		q := job.packNext.Add(1) - 1
		if q >= panels {
			break
		}
		job.args.packPanels(job.kn, job.bp, job.jc, job.nc, int(q),
			int(q)+1)
		job.packedN.Add(1)
		job.packed.Done()
	}
	start := time.Now()
	for i := 0; job.packedN.Load() < panels; i++ {
		if i%16 == 15 && time.Since(start) > packSpin {
			job.packed.Wait()
			break
		}
		runtime.Gosched()
	}

	chunks := int64(job.rowChunks * job.colChunks)
	for {
		q := job.next.Add(1) - 1
		if q >= chunks {
			return
		}
		r, c := int(q)/job.colChunks, int(q)%job.colChunks
		i0, j0 := r*job.rowStep, c*job.colStep
		job.args.block(job.kn, job.bp, job.jc, job.nc,
			i0, min(job.args.m, i0+job.rowStep),
			j0, min(job.nc, j0+job.colStep), s)
		job.pending.Done()
	}
}

// release drops one reference; the last one returns the job to the
// pool.
func (job *gemmJob) release() {
	if job.refs.Add(-1) == 0 {
		job.args, job.bp = gemmArgs{}, nil
		jobPool.Put(job)
	}
}
