//go:build tools

// Package deps pins the project's dependencies before the code that uses
// them lands, so parallel work does not race on go.mod.
package deps

import (
	_ "github.com/parquet-go/parquet-go"
	_ "github.com/schollz/progressbar/v3"
	_ "github.com/spf13/cobra"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/sys/cpu"
	_ "gonum.org/v1/gonum/blas/gonum"
	_ "gonum.org/v1/plot"
	_ "gorgonia.org/gorgonia"
)
