package safetensors

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func sample() []Tensor {
	return []Tensor{
		{Name: "b.weight", Shape: []int{2, 3},
			Data: []float32{1, -2, 3.5, 0, 1e-30, -7}},
		{Name: "a.bias", Shape: []int{3}, Data: []float32{9, 8, 7}},
		{Name: "scalar", Shape: []int{}, Data: []float32{42}},
	}
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	meta := map[string]string{"format": "pt", "step": "12"}
	if err := Write(path, sample(), meta); err != nil {
		t.Fatal(err)
	}
	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.Metadata, meta) {
		t.Errorf("metadata %v, want %v", f.Metadata, meta)
	}
	// Tensors come back in offset order, which is the written order.
	if !reflect.DeepEqual(f.Tensors, sample()) {
		t.Errorf("tensors %+v, want %+v", f.Tensors, sample())
	}
	b, _ := os.ReadFile(path)
	if n := binary.LittleEndian.Uint64(b); n%8 != 0 {
		t.Errorf("header length %d is not 8-aligned", n)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp*"))
	if len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// header builds a file from a raw JSON header and data bytes.
func header(js string, data int) []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, uint64(len(js)))
	b = append(b, js...)
	return append(b, make([]byte, data)...)
}

func TestDecodeRejects(t *testing.T) {
	cases := []struct {
		name, want string
		file       []byte
	}{
		{"short", "shorter than", []byte{1, 2}},
		{"huge header", "exceeds file size",
			append(binary.LittleEndian.AppendUint64(nil, 1<<40), '{')},
		{"bad json", "header", header(`{"x":`, 0)},
		{"dtype", `tensor "x": dtype "F16"`, header(
			`{"x":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, 4)},
		{"size mismatch", `tensor "x": data_offsets [0, 4] hold 4`,
			header(`{"x":{"dtype":"F32","shape":[2],`+
				`"data_offsets":[0,4]}}`, 4)},
		{"past end", `tensor "x": data_offsets [0, 8] outside`,
			header(`{"x":{"dtype":"F32","shape":[2],`+
				`"data_offsets":[0,8]}}`, 4)},
		{"hole", `tensor "y" starts at byte 8`, header(
			`{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},`+
				`"y":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`,
			12)},
		{"tail", "cover 4 of 8", header(
			`{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 8)},
		{"negative dim", "bad dimension", header(
			`{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode("f.safetensors", c.file)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), c.want) ||
				!strings.Contains(err.Error(), "f.safetensors") {
				t.Errorf("error %q lacks %q or the file name", err, c.want)
			}
			if !errors.Is(err, ErrFormat) {
				t.Errorf("error %q does not wrap ErrFormat", err)
			}
		})
	}
}

func TestEncodeRejects(t *testing.T) {
	cases := []struct {
		name string
		ts   []Tensor
	}{
		{"shape", []Tensor{{Name: "x", Shape: []int{3}, Data: []float32{1}}}},
		{"duplicate", []Tensor{{Name: "x", Shape: []int{1}, Data: []float32{1}},
			{Name: "x", Shape: []int{1}, Data: []float32{1}}}},
		{"empty name", []Tensor{{Shape: []int{1}, Data: []float32{1}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Encode(c.ts, nil); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestWriteKeepsOldFileOnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := Write(path, sample(), nil); err != nil {
		t.Fatal(err)
	}
	bad := []Tensor{{Name: "x", Shape: []int{5}, Data: []float32{1}}}
	if err := Write(path, bad, nil); err == nil {
		t.Fatal("bad tensor written")
	}
	if _, err := Read(path); err != nil {
		t.Errorf("old file damaged: %v", err)
	}
}
