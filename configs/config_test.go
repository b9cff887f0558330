package configs

import (
	"fmt"
	"strings"
	"testing"
)

func TestEveryPresetLoadsAndValidates(t *testing.T) {
	for _, name := range Presets() {
		t.Run(name, func(t *testing.T) {
			b, err := Preset(name)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Load([]Source{{name, b}}, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
	if len(Presets()) < 4 {
		t.Fatalf("presets %v, want tiny, deepseek-tiny, shakespeare, small",
			Presets())
	}
}

func TestPrecedenceDefaultsPresetSets(t *testing.T) {
	preset := []byte("train:\n  steps: 50\n  lr: 0.01\nmodel:\n  " +
		"hidden_size: 64\n")
	file := []byte("train:\n  steps: 70\n")
	c, err := Load([]Source{{"preset", preset}, {"file", file}},
		[]string{"train.lr=0.005", "model.num_hidden_layers=2"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Train.Steps != 70 || c.Train.LR != 0.005 ||
		c.Model.HiddenSize != 64 || c.Model.NumHiddenLayers != 2 {
		t.Fatalf("got steps %d lr %v hidden %d layers %d", c.Train.Steps,
			c.Train.LR, c.Model.HiddenSize, c.Model.NumHiddenLayers)
	}
	// Untouched keys keep their defaults.
	if c.Train.BatchSize != Default().Train.BatchSize {
		t.Fatalf("batch_size %d, want the default", c.Train.BatchSize)
	}
}

func TestBadConfigsNameTheKey(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		sets []string
		want string
	}{
		{"unknown train key", "train:\n  stepz: 3\n", nil, "train.stepz"},
		{"unknown model key", "model:\n  hiden_size: 3\n", nil,
			"model.hiden_size"},
		{"unknown section", "trian:\n  steps: 3\n", nil, "trian"},
		{"negative lr", "", []string{"train.lr=-1"}, "train.lr"},
		{"zero batch", "train:\n  batch_size: 0\n", nil, "train.batch_size"},
		{"seq beyond positions", "", []string{"train.seq_len=99999"},
			"train.seq_len"},
		{"impossible model", "", []string{"model.num_experts_per_tok=99"},
			"num_experts_per_tok"},
		{"unknown set", "", []string{"train.nope=1"}, "train.nope"},
		{"malformed set", "", []string{"train.steps"}, "key=value"},
		{"wrong type", "train:\n  steps: many\n", nil, "steps"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load([]Source{{"cfg.yaml", []byte(c.yaml)}}, c.sets)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to name %q", err, c.want)
			}
		})
	}
}

func TestYAMLRoundTrip(t *testing.T) {
	b, _ := Preset("shakespeare")
	c, err := Load([]Source{{"shakespeare", b}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.YAML()
	if err != nil {
		t.Fatal(err)
	}
	c2, err := Load([]Source{{"resolved", out}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c2.Model != c.Model || c2.Train != c.Train ||
		fmt.Sprint(c2.Data) != fmt.Sprint(c.Data) {
		t.Fatalf("round trip changed the config:\n%s", out)
	}
}

// TestTypeErrorsNameTheKey: a value of the wrong type, from a --set
// or a file, is refused naming its key and what it should be, not a
// line of the internal merged YAML.
func TestTypeErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name string
		srcs []Source
		sets []string
		want string
	}{
		{"negative seed", nil, []string{"train.seed=-5"},
			"train.seed: cannot use -5; want a whole number ≥ 0"},
		{"fraction for a count", nil, []string{"train.steps=1.5"},
			"train.steps: want a whole number, got 1.5"},
		{"fraction for a seed in a file", []Source{{Name: "f.yaml",
			YAML: []byte("train:\n  seed: 1.5\n")}}, nil,
			"train.seed: want a whole number, got 1.5"},
		{"negative seed in a file", []Source{{Name: "f.yaml",
			YAML: []byte("train:\n  seed: -5\n")}}, nil,
			"train.seed: cannot use -5; want a whole number ≥ 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.srcs, tt.sets)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}
