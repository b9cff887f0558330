// Package configs loads a run's typed configuration from layered YAML:
// built-in defaults, then a preset or a --config file, then flags and
// --set key=value overrides, in that order.
//
// A config has three sections. model holds the model's Hugging Face
// DeepSeek-V3 keys (see layers.Config); train holds the optimisation
// and logging schedule (Train); data says where tokens come from
// (Data). Every key of every layer is checked: an unknown key or an
// impossible value is an error that names the key, e.g.
// "configs: train.lr: must be > 0, got -1".
//
// Presets live in presets/*.yaml and are compiled into the binary.
package configs
