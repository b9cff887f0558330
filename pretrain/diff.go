package pretrain

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/tinyseek/tinyseek/layers"
)

// tunable model keys may change between a checkpoint and its resume:
// they change no tensor shape and no routing structure.
var tunable = map[string]bool{"dropout": true, "aux_loss_alpha": true,
	"bias_update_speed": true}

// ConfigDiff lists the model keys whose values differ between a
// checkpoint's config and the requested one, as "key: old → new".
func ConfigDiff(old, new layers.Config) []string {
	a, b := asMap(old), asMap(new)
	var diff []string
	for k, v := range a {
		if tunable[k] {
			continue
		}
		if fmt.Sprint(v) != fmt.Sprint(b[k]) {
			diff = append(diff, fmt.Sprintf("%s: %v → %v", k, v, b[k]))
		}
	}
	sort.Strings(diff)
	return diff
}

func asMap(c layers.Config) map[string]any {
	var m map[string]any
	b, _ := json.Marshal(c)
	json.Unmarshal(b, &m)
	return m
}
