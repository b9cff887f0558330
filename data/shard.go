package data

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Shard file layout: a 48-byte little-endian header, then Tokens
// tokens of Width bytes each.
//
//	offset size field
//	0      8    magic "TSKTOK\x00\x01"
//	8      4    version (1)
//	12     4    width: 2 (uint16) or 4 (uint32)
//	16     4    vocabulary size
//	20     4    reserved, 0
//	24     8    tokens
//	32     8    bytes: UTF-8 bytes of the documents' text
//	40     8    documents
const (
	shardMagic      = "TSKTOK\x00\x01"
	shardVersion    = 1
	ShardHeaderSize = 48
)

// ErrShard is wrapped by every error about a malformed shard.
var ErrShard = errors.New("bad token shard")

// ShardHeader is the decoded header of a shard.
type ShardHeader struct {
	Width     int   // bytes per token, 2 or 4
	VocabSize int   // tokens are < VocabSize
	Tokens    int64 // tokens in the file, separators included
	Bytes     int64 // text bytes the tokens decode to
	Docs      int64 // documents, each opened by EndOfText
}

func (h ShardHeader) encode() []byte {
	b := make([]byte, ShardHeaderSize)
	copy(b, shardMagic)
	le := binary.LittleEndian
	le.PutUint32(b[8:], shardVersion)
	le.PutUint32(b[12:], uint32(h.Width))
	le.PutUint32(b[16:], uint32(h.VocabSize))
	le.PutUint64(b[24:], uint64(h.Tokens))
	le.PutUint64(b[32:], uint64(h.Bytes))
	le.PutUint64(b[40:], uint64(h.Docs))
	return b
}

// decodeShardHeader checks the header against the file size.
func decodeShardHeader(path string, b []byte, size int64) (ShardHeader,
	error) {
	bad := func(format string, args ...any) (ShardHeader, error) {
		return ShardHeader{}, fmt.Errorf("data: %s: %w: %s", path,
			ErrShard, fmt.Sprintf(format, args...))
	}
	if size < ShardHeaderSize {
		return bad("truncated: %d bytes, header needs %d", size,
			ShardHeaderSize)
	}
	if !bytes.Equal(b[:8], []byte(shardMagic)) {
		return bad("magic %q, want %q", b[:8], shardMagic)
	}
	le := binary.LittleEndian
	if v := le.Uint32(b[8:]); v != shardVersion {
		return bad("version %d, want %d", v, shardVersion)
	}
	h := ShardHeader{Width: int(le.Uint32(b[12:])),
		VocabSize: int(le.Uint32(b[16:])),
		Tokens:    int64(le.Uint64(b[24:])),
		Bytes:     int64(le.Uint64(b[32:])),
		Docs:      int64(le.Uint64(b[40:]))}
	if h.Width != 2 && h.Width != 4 {
		return bad("token width %d, want 2 or 4", h.Width)
	}
	want := ShardHeaderSize + h.Tokens*int64(h.Width)
	if h.Tokens < 0 || want != size {
		return bad("truncated: header says %d tokens (%d bytes), "+
			"file has %d bytes", h.Tokens, want, size)
	}
	return h, nil
}

// widthFor picks the narrowest token width for a vocabulary.
func widthFor(vocabSize int) int {
	if vocabSize <= 1<<16 {
		return 2
	}
	return 4
}

// ShardWriter writes a shard to a temporary file next to its path and
// renames it into place on Close, so a reader never sees half a file.
type ShardWriter struct {
	path string
	f    *os.File
	w    *bufio.Writer
	h    ShardHeader
	buf  []byte
}

// CreateShard starts a shard for tokens below vocabSize.
func CreateShard(path string, vocabSize int) (*ShardWriter, error) {
	if vocabSize <= 0 || vocabSize > 1<<31 {
		return nil, fmt.Errorf("data: shard %s: vocab size %d", path,
			vocabSize)
	}
	f, err := os.CreateTemp(filepath.Dir(path),
		"."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("data: create shard: %w", err)
	}
	sw := &ShardWriter{path: path, f: f, w: bufio.NewWriterSize(f, 1<<20),
		h: ShardHeader{Width: widthFor(vocabSize), VocabSize: vocabSize}}
	if _, err := sw.w.Write(sw.h.encode()); err != nil {
		sw.Abort()
		return nil, fmt.Errorf("data: write shard %s: %w", path, err)
	}
	return sw, nil
}

// WriteDoc appends EndOfText (id 256) then the document's tokens;
// nbytes is the length of the document's text in bytes.
func (sw *ShardWriter) WriteDoc(tokens []int32, nbytes int) error {
	sw.buf = sw.buf[:0]
	sw.buf = sw.appendToken(sw.buf, endOfText)
	for _, t := range tokens {
		if t < 0 || int(t) >= sw.h.VocabSize {
			return fmt.Errorf("data: shard %s: token %d outside vocab %d",
				sw.path, t, sw.h.VocabSize)
		}
		sw.buf = sw.appendToken(sw.buf, t)
	}
	if _, err := sw.w.Write(sw.buf); err != nil {
		return fmt.Errorf("data: write shard %s: %w", sw.path, err)
	}
	sw.h.Tokens += int64(len(tokens)) + 1
	sw.h.Bytes += int64(nbytes)
	sw.h.Docs++
	return nil
}

func (sw *ShardWriter) appendToken(b []byte, t int32) []byte {
	if sw.h.Width == 2 {
		return binary.LittleEndian.AppendUint16(b, uint16(t))
	}
	return binary.LittleEndian.AppendUint32(b, uint32(t))
}

// Header returns the counts written so far.
func (sw *ShardWriter) Header() ShardHeader { return sw.h }

// Close completes the header, syncs and renames the file into place.
func (sw *ShardWriter) Close() error {
	err := sw.w.Flush()
	if err == nil {
		_, err = sw.f.WriteAt(sw.h.encode(), 0)
	}
	if err == nil {
		err = sw.f.Chmod(0o644) // CreateTemp makes it 0600
	}
	if err == nil {
		err = sw.f.Sync()
	}
	if cerr := sw.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(sw.f.Name(), sw.path)
	}
	if err != nil {
		os.Remove(sw.f.Name())
		return fmt.Errorf("data: close shard %s: %w", sw.path, err)
	}
	return nil
}

// Abort removes the temporary file.
func (sw *ShardWriter) Abort() {
	sw.f.Close()
	os.Remove(sw.f.Name())
}

// Shard is a read-only, memory-mapped token file.
type Shard struct {
	ShardHeader
	path string
	data []byte // tokens only, header stripped
	mem  []byte // the whole mapping, for unmap
}

// OpenShard maps a shard and checks its header and size.
func OpenShard(path string) (*Shard, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	head := make([]byte, ShardHeaderSize)
	if st.Size() >= ShardHeaderSize {
		if _, err := f.ReadAt(head, 0); err != nil {
			return nil, fmt.Errorf("data: read %s: %w", path, err)
		}
	}
	h, err := decodeShardHeader(path, head, st.Size())
	if err != nil {
		return nil, err
	}
	mem, err := mapFile(f, int(st.Size()))
	if err != nil {
		return nil, fmt.Errorf("data: map %s: %w", path, err)
	}
	return &Shard{ShardHeader: h, path: path, mem: mem,
		data: mem[ShardHeaderSize:]}, nil
}

// Path returns the file the shard was opened from.
func (s *Shard) Path() string { return s.path }

// Len returns the number of tokens.
func (s *Shard) Len() int { return int(s.Tokens) }

// At returns token i.
func (s *Shard) At(i int) int32 {
	if s.Width == 2 {
		return int32(binary.LittleEndian.Uint16(s.data[2*i:]))
	}
	return int32(binary.LittleEndian.Uint32(s.data[4*i:]))
}

// Read copies tokens [off, off+len(dst)) into dst.
func (s *Shard) Read(dst []int32, off int) {
	if s.Width == 2 {
		src := s.data[2*off : 2*(off+len(dst))]
		for i := range dst {
			dst[i] = int32(binary.LittleEndian.Uint16(src[2*i:]))
		}
		return
	}
	src := s.data[4*off : 4*(off+len(dst))]
	for i := range dst {
		dst[i] = int32(binary.LittleEndian.Uint32(src[4*i:]))
	}
}

// Close unmaps the file. The shard must not be used afterwards.
func (s *Shard) Close() error {
	mem := s.mem
	s.mem, s.data = nil, nil
	if mem == nil {
		return nil
	}
	if err := unmapFile(mem); err != nil {
		return fmt.Errorf("data: unmap %s: %w", s.path, err)
	}
	return nil
}

// CheckVocab verifies that the shard can feed a model of vocabSize
// tokens: its header's vocabulary fits and every token is below it. It
// reads the whole shard once (about 1 GB/s), so a corrupted token fails
// here with the file named instead of deep inside a forward pass.
func (s *Shard) CheckVocab(vocabSize int) error {
	if s.VocabSize > vocabSize {
		return fmt.Errorf("data: %s: %w: written for a vocabulary of %d, "+
			"the model has %d", s.path, ErrShard, s.VocabSize, vocabSize)
	}
	limit := int32(min(s.VocabSize, vocabSize))
	for i := 0; i < s.Len(); i++ {
		if t := s.At(i); t < 0 || t >= limit {
			return fmt.Errorf("data: %s: %w: token %d at position %d is "+
				"outside the vocabulary of %d", s.path, ErrShard, t, i,
				limit)
		}
	}
	return nil
}
