package layers

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	ag "github.com/tinyseek/tinyseek/autograd"
	"github.com/tinyseek/tinyseek/checkpoints/safetensors"
)

// File names inside a model folder.
const (
	WeightsFile = "model.safetensors"
	ConfigFile  = "config.json"
)

// saved returns every tensor written with the weights: the parameters,
// then the routing biases.
func (m *Model) saved() []*ag.Tensor {
	return append(append([]*ag.Tensor(nil), m.params...), m.Buffers()...)
}

// SaveWeights writes dir/model.safetensors (Hugging Face names) and
// dir/config.json, each atomically. dir is created if needed.
func (m *Model) SaveWeights(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("layers: save weights: %w", err)
	}
	var ts []safetensors.Tensor
	for _, p := range m.saved() {
		ts = append(ts, safetensors.Tensor{Name: p.Name, Shape: p.Shape,
			Data: p.Data})
	}
	path := filepath.Join(dir, WeightsFile)
	meta := map[string]string{"format": "pt"}
	if err := safetensors.Write(path, ts, meta); err != nil {
		return fmt.Errorf("layers: save weights: %w", err)
	}
	return m.Cfg.Save(filepath.Join(dir, ConfigFile))
}

// LoadWeights replaces the model's weights with dir/model.safetensors.
// Every name and shape must match; otherwise it fails listing all the
// mismatches and changes nothing.
func (m *Model) LoadWeights(dir string) error {
	path := filepath.Join(dir, WeightsFile)
	f, err := safetensors.Read(path)
	if err != nil {
		return fmt.Errorf("layers: load weights: %w", err)
	}
	byName := map[string]safetensors.Tensor{}
	for _, t := range f.Tensors {
		byName[t.Name] = t
	}
	all := maps.Clone(byName)
	var bad []string
	for _, p := range m.saved() {
		t, ok := byName[p.Name]
		switch {
		case !ok:
			bad = append(bad, fmt.Sprintf("missing %s %v", p.Name, p.Shape))
		case !slices.Equal(t.Shape, p.Shape):
			bad = append(bad, fmt.Sprintf("%s: file %v, model %v", p.Name,
				t.Shape, p.Shape))
		}
		delete(byName, p.Name)
	}
	for name, t := range byName {
		bad = append(bad, fmt.Sprintf("unexpected %s %v", name, t.Shape))
	}
	if len(bad) > 0 {
		return fmt.Errorf("layers: load weights %s: %d mismatches:\n  %s",
			path, len(bad), strings.Join(bad, "\n  "))
	}

	// Every check passed: copy, all or nothing.
	for _, p := range m.saved() {
		copy(p.Data, all[p.Name].Data)
	}
	return nil
}

// Load reads dir/config.json, builds the model and loads its weights.
func Load(dir string) (*Model, error) {
	cfg, err := LoadConfig(filepath.Join(dir, ConfigFile))
	if err != nil {
		return nil, err
	}
	m, err := New(cfg, 0)
	if err != nil {
		return nil, err
	}
	if err := m.LoadWeights(dir); err != nil {
		return nil, err
	}
	return m, nil
}
