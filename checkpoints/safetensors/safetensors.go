package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
)

// Tensor is one named float32 array.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// File is the content of a safetensors file.
type File struct {
	// Tensors are in the order of their data offsets.
	Tensors []Tensor

	// Metadata is the optional "__metadata__" string map; never nil.
	Metadata map[string]string
}

// Get returns the tensor called name, or false.
func (f *File) Get(name string) (Tensor, bool) {
	for _, t := range f.Tensors {
		if t.Name == name {
			return t, true
		}
	}
	return Tensor{}, false
}

// maxHeader bounds the JSON header so a corrupt length cannot make the
// reader allocate gigabytes.
const maxHeader = 100 << 20

// entry is one tensor's header record.
type entry struct {
	DType   string   `json:"dtype"`
	Shape   []int    `json:"shape"`
	Offsets [2]int64 `json:"data_offsets"`
}

// ErrFormat is wrapped by every error about a malformed file.
var ErrFormat = errors.New("malformed safetensors file")

// Encode returns the bytes of a safetensors file holding tensors in the
// given order. Names must be unique and non-empty and shapes must match
// the data.
func Encode(tensors []Tensor, metadata map[string]string) ([]byte, error) {
	header := map[string]any{}
	if len(metadata) > 0 {
		header["__metadata__"] = metadata
	}
	var off int64
	for _, t := range tensors {
		if err := checkTensor(t, header); err != nil {
			return nil, err
		}
		n := int64(4 * len(t.Data))
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		header[t.Name] = entry{DType: "F32", Shape: shape,
			Offsets: [2]int64{off, off + n}}
		off += n
	}
	js, err := json.Marshal(header)
	if err != nil {
		return nil, fmt.Errorf("safetensors: encode header: %w", err)
	}

	// Pad the header with spaces so the data starts 8-byte aligned.
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	buf := make([]byte, 8, 8+len(js)+int(off))
	binary.LittleEndian.PutUint64(buf, uint64(len(js)))
	buf = append(buf, js...)
	for _, t := range tensors {
		for _, v := range t.Data {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
	}
	return buf, nil
}

func checkTensor(t Tensor, header map[string]any) error {
	if t.Name == "" || t.Name == "__metadata__" {
		return fmt.Errorf("safetensors: invalid tensor name %q", t.Name)
	}
	if _, dup := header[t.Name]; dup {
		return fmt.Errorf("safetensors: duplicate tensor %q", t.Name)
	}
	n := 1
	for _, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("safetensors: tensor %q: negative "+
				"dimension in %v", t.Name, t.Shape)
		}
		n *= d
	}
	if n != len(t.Data) {
		return fmt.Errorf("safetensors: tensor %q: shape %v holds %d "+
			"values, data has %d", t.Name, t.Shape, n, len(t.Data))
	}
	return nil
}

// Decode parses the bytes of a safetensors file. name labels errors.
func Decode(name string, b []byte) (*File, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("safetensors: %s: %d bytes, shorter "+
			"than the header length: %w", name, len(b), ErrFormat)
	}
	n := binary.LittleEndian.Uint64(b)
	if n > maxHeader || n > uint64(len(b)-8) {
		return nil, fmt.Errorf("safetensors: %s: header length %d "+
			"exceeds file size %d: %w", name, n, len(b), ErrFormat)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &raw); err != nil {
		return nil, fmt.Errorf("safetensors: %s: header: %v: %w",
			name, err, ErrFormat)
	}
	f := &File{Metadata: map[string]string{}}
	if m, ok := raw["__metadata__"]; ok {
		if err := json.Unmarshal(m, &f.Metadata); err != nil {
			return nil, fmt.Errorf("safetensors: %s: __metadata__: "+
				"%v: %w", name, err, ErrFormat)
		}
		delete(raw, "__metadata__")
	}
	data := b[8+n:]
	ents, err := parseEntries(name, raw, int64(len(data)))
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		t := Tensor{Name: e.name, Shape: e.Shape,
			Data: make([]float32, (e.Offsets[1]-e.Offsets[0])/4)}
		src := data[e.Offsets[0]:e.Offsets[1]]
		for i := range t.Data {
			t.Data[i] = math.Float32frombits(
				binary.LittleEndian.Uint32(src[4*i:]))
		}
		f.Tensors = append(f.Tensors, t)
	}
	return f, nil
}

type namedEntry struct {
	entry
	name string
}

// parseEntries decodes and checks every tensor record against a data
// section of size bytes, returning them in offset order.
func parseEntries(file string, raw map[string]json.RawMessage,
	size int64) ([]namedEntry, error) {
	var ents []namedEntry
	for k, v := range raw {
		var e entry
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, fmt.Errorf("safetensors: %s: tensor %q: %v: %w",
				file, k, err, ErrFormat)
		}
		if err := checkEntry(e, size); err != nil {
			return nil, fmt.Errorf("safetensors: %s: tensor %q: %s: %w",
				file, k, err, ErrFormat)
		}
		ents = append(ents, namedEntry{e, k})
	}
	sort.Slice(ents, func(i, j int) bool {
		a, b := ents[i].Offsets, ents[j].Offsets
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		return a[1] < b[1]
	})

	// The tensors must tile the data: no hole, no overlap, no tail.
	var at int64
	for _, e := range ents {
		if e.Offsets[0] != at {
			return nil, fmt.Errorf("safetensors: %s: tensor %q starts "+
				"at byte %d, expected %d (hole or overlap): %w", file,
				e.name, e.Offsets[0], at, ErrFormat)
		}
		at = e.Offsets[1]
	}
	if at != size {
		return nil, fmt.Errorf("safetensors: %s: tensors cover %d of "+
			"%d data bytes: %w", file, at, size, ErrFormat)
	}
	return ents, nil
}

// checkEntry validates one record against a data section of size bytes.
func checkEntry(e entry, size int64) error {
	if e.DType != "F32" {
		return fmt.Errorf("dtype %q is not supported (only F32)", e.DType)
	}
	n := int64(1)
	for _, d := range e.Shape {
		if d < 0 || d > math.MaxInt32 {
			return fmt.Errorf("bad dimension in shape %v", e.Shape)
		}
		n *= int64(d)
		if n > size {
			return fmt.Errorf("shape %v larger than the data (%d bytes)",
				e.Shape, size)
		}
	}
	b, end := e.Offsets[0], e.Offsets[1]
	if b < 0 || end < b || end > size {
		return fmt.Errorf("data_offsets [%d, %d] outside data of %d "+
			"bytes", b, end, size)
	}
	if end-b != 4*n {
		return fmt.Errorf("data_offsets [%d, %d] hold %d bytes, shape "+
			"%v needs %d", b, end, end-b, e.Shape, 4*n)
	}
	return nil
}

// Read loads the safetensors file at path.
func Read(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	return Decode(path, b)
}

// Write stores tensors at path atomically.
func Write(path string, tensors []Tensor, metadata map[string]string) error {
	b, err := Encode(tensors, metadata)
	if err != nil {
		return fmt.Errorf("safetensors: write %s: %w", path, err)
	}
	return WriteFileAtomic(path, b)
}

// WriteFileAtomic writes b to path through a synced temporary file in
// the same folder, renamed over path, then syncs the folder.
func WriteFileAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("safetensors: write %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(0o644) // CreateTemp makes 0600
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("safetensors: write %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
