package data

import (
	"encoding/json"
	"errors"
	"fmt"
)

// JSONError rewrites the errors of encoding/json in the words of a
// JSONL file's author: "field chosen: want a string, got number"
// instead of Go's "cannot unmarshal number into Go struct field
// pairLine.chosen of type string". Other errors pass through.
func JSONError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		want := te.Type.Kind().String()
		switch want {
		case "slice", "array":
			want = "a list"
		case "struct", "map":
			want = "an object"
		case "ptr":
			want = te.Type.Elem().Kind().String()
		}
		if te.Field == "" {
			return fmt.Errorf("want %s, got a JSON %s", want, te.Value)
		}
		return fmt.Errorf("field %s: want %s, got a JSON %s", te.Field,
			want, te.Value)
	case errors.As(err, &se):
		return fmt.Errorf("invalid JSON at byte %d: %v", se.Offset, err)
	}
	return err
}
