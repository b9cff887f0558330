// Package safetensors reads and writes the safetensors tensor format
// (https://github.com/huggingface/safetensors) for float32 tensors, so
// tinyseek checkpoints open in other tools and PyTorch dumps open here.
//
// # Format
//
// A file is an 8-byte little-endian header length N, N bytes of JSON,
// then the raw data. The JSON maps each tensor name to
// {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, with
// offsets relative to the start of the data; an optional "__metadata__"
// entry maps strings to strings. The header is padded with spaces to a
// multiple of 8 bytes so that the data stays aligned.
//
// # Limits and errors
//
// Only F32 is read and written. Read checks every offset, size, dtype
// and shape, and that the tensors cover the data without holes or
// overlap; any failure names the file and the tensor. Write is atomic:
// it writes a temporary file in the same folder, syncs it, renames it
// over the target and syncs the folder, so a crash leaves either the old
// file or the new one.
package safetensors
