package configs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Source is one layer of configuration: the YAML of a preset or file
// (Name is used in errors), applied over everything before it.
type Source struct {
	Name string
	YAML []byte
}

// Load resolves defaults < sources (in order) < sets. Each set is
// "section.key=value", the value parsed as YAML.
func Load(sources []Source, sets []string) (Config, error) {
	tree, err := toTree(Default())
	if err != nil {
		return Config{}, err
	}
	for _, s := range sources {
		var over map[string]any
		if err := yaml.Unmarshal(s.YAML, &over); err != nil {
			return Config{}, fmt.Errorf("configs: %s: %w", s.Name, err)
		}
		if err := merge(tree, over, ""); err != nil {
			return Config{}, fmt.Errorf("configs: %s: %w", s.Name, err)
		}
	}
	for _, kv := range sets {
		if err := set(tree, kv); err != nil {
			return Config{}, err
		}
	}
	c, err := fromTree(tree)
	if err != nil {
		return Config{}, err
	}
	return c, c.Validate()
}

// LoadFile reads a YAML config file as a Source.
func LoadFile(path string) (Source, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Source{}, fmt.Errorf("configs: %w", err)
	}
	return Source{Name: path, YAML: b}, nil
}

// toTree turns a Config into nested maps keyed by YAML/JSON names.
func toTree(c Config) (map[string]any, error) {
	var tree map[string]any
	b, err := yaml.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("configs: %w", err)
	}
	if err := yaml.Unmarshal(b, &tree); err != nil {
		return nil, fmt.Errorf("configs: %w", err)
	}
	jb, err := json.Marshal(c.Model)
	if err != nil {
		return nil, fmt.Errorf("configs: %w", err)
	}
	var model map[string]any
	if err := json.Unmarshal(jb, &model); err != nil {
		return nil, fmt.Errorf("configs: %w", err)
	}
	tree["model"] = model
	return tree, nil
}

// fromTree decodes nested maps strictly into a Config.
func fromTree(tree map[string]any) (Config, error) {
	var c Config
	model := tree["model"]
	rest := map[string]any{}
	for k, v := range tree {
		if k != "model" {
			rest[k] = v
		}
	}
	b, err := yaml.Marshal(rest)
	if err != nil {
		return c, fmt.Errorf("configs: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		if kerr := keyError(rest); kerr != nil {
			return c, kerr
		}
		return c, fmt.Errorf("configs: %w", err)
	}
	jb, err := json.Marshal(model)
	if err != nil {
		return c, fmt.Errorf("configs: model: %w", err)
	}
	jd := json.NewDecoder(bytes.NewReader(jb))
	jd.DisallowUnknownFields()
	if err := jd.Decode(&c.Model); err != nil {
		return c, fmt.Errorf("configs: model: %w", err)
	}
	return c, nil
}

// merge copies over into tree, refusing keys tree does not have.
func merge(tree, over map[string]any, prefix string) error {
	keys := make([]string, 0, len(over))
	for k := range over {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := over[k]
		old, ok := tree[k]
		if !ok {
			return fmt.Errorf("unknown key %s%s", prefix, k)
		}
		sub, isMap := old.(map[string]any)
		if isMap {
			vm, ok := v.(map[string]any)
			if !ok {
				return fmt.Errorf("key %s%s must be a section", prefix, k)
			}
			if err := merge(sub, vm, prefix+k+"."); err != nil {
				return err
			}
			continue
		}
		if err := sameKind(old, v); err != nil {
			return fmt.Errorf("key %s%s: %w", prefix, k, err)
		}
		// YAML would truncate 1.5 into an integer field without a word.
		if f, ok := v.(float64); ok && f != math.Trunc(f) &&
			strings.HasPrefix(wantOf(strings.TrimSuffix(prefix, "."), k),
				"a whole number") {
			return fmt.Errorf("key %s%s: want a whole number, got %v",
				prefix, k, v)
		}
		tree[k] = v
	}
	return nil
}

// sameKind checks that a new value has the type of the default it
// replaces, so a typo is reported with its key rather than as a decoder
// error about a regenerated line.
func sameKind(old, v any) error {
	kind := func(x any) string {
		switch x.(type) {
		case int, int64, float64:
			return "a number"
		case bool:
			return "true or false"
		case string:
			return "a string"
		case nil:
			return "null"
		}
		return "a section"
	}
	ko, kv := kind(old), kind(v)
	if ko == kv || ko == "null" || kv == "null" {
		return nil
	}
	return fmt.Errorf("want %s, got %v", ko, v)
}

// set applies one "section.key=value" override.
func set(tree map[string]any, kv string) error {
	key, val, ok := strings.Cut(kv, "=")
	if !ok {
		return fmt.Errorf("configs: --set %q: want key=value", kv)
	}
	path := strings.Split(strings.TrimSpace(key), ".")
	var v any
	if err := yaml.Unmarshal([]byte(val), &v); err != nil {
		return fmt.Errorf("configs: --set %s: %w", key, err)
	}
	over := map[string]any{path[len(path)-1]: v}
	for i := len(path) - 2; i >= 0; i-- {
		over = map[string]any{path[i]: over}
	}
	if err := merge(tree, over, ""); err != nil {
		return fmt.Errorf("configs: --set: %w", err)
	}
	return nil
}

// keyError finds the key whose value does not fit its field, so that
// the error names the key and the value rather than a line of the
// YAML document the layers were merged into. nil when no single key
// is at fault.
func keyError(rest map[string]any) error {
	for _, sec := range slices.Sorted(maps.Keys(rest)) {
		m, ok := rest[sec].(map[string]any)
		if !ok {
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			b, err := yaml.Marshal(map[string]any{sec: map[string]any{
				k: m[k]}})
			if err != nil {
				continue
			}
			dec := yaml.NewDecoder(bytes.NewReader(b))
			dec.KnownFields(true)
			var c Config
			if dec.Decode(&c) != nil {
				return fmt.Errorf("configs: %s.%s: cannot use %v; want %s",
					sec, k, m[k], wantOf(sec, k))
			}
		}
	}
	return nil
}

// wantOf says in words what the field behind sec.key holds.
func wantOf(sec, key string) string {
	t := reflect.TypeOf(Config{})
	for i := range t.NumField() {
		f := t.Field(i)
		if tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); tag != sec ||
			f.Type.Kind() != reflect.Struct {
			continue
		}
		for j := range f.Type.NumField() {
			g := f.Type.Field(j)
			if tag, _, _ := strings.Cut(g.Tag.Get("yaml"), ","); tag == key {
				return kindWords(g.Type.Kind())
			}
		}
	}
	return "a known key"
}

func kindWords(k reflect.Kind) string {
	switch k {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32,
		reflect.Uint64:
		return "a whole number ≥ 0"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32,
		reflect.Int64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list"
	}
	return "a " + k.String()
}
