//go:build !js

package wasmcheck

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/polysse/sse/internal/wasmpack"
)

// cmdTimeout bounds every go command the tests run.
const cmdTimeout = 5 * time.Minute

// goCmd returns the path of the go command and the root directory of the module, or
// skips the test (fails under CI=true) when there is no go command.
func goCmd(t *testing.T) (goBin, root string) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		if ci := os.Getenv("CI"); ci == "true" || ci == "1" {
			t.Fatalf("the go command is not on PATH (needed to build the wasm module): %v", err)
		}
		t.Skipf("the go command is not on PATH; skipping (this fails under CI=true): %v", err)
	}
	out := run(t, goBin, "", nil, "env", "GOMOD")
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		t.Fatalf("go env GOMOD: not inside a module (%q)", gomod)
	}
	return goBin, filepath.Dir(gomod)
}

// run runs the go command in dir with extra environment variables and returns its
// standard output; it fails the test when the command fails or takes too long.
func run(t *testing.T, goBin, dir string, env []string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ctx.Err() != nil {
		t.Fatalf("go %s: no result within %v", strings.Join(args, " "), cmdTimeout)
	}
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// wasmEnv is the environment of a js/wasm build. CGO is off, as it is for any js/wasm
// build; GOFLAGS is replaced so that a host-only flag such as -race cannot leak in.
var wasmEnv = []string{"GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0", "GOFLAGS=-mod=readonly"}

func TestWasmSize(t *testing.T) {
	goBin, root := goCmd(t)
	out := filepath.Join(t.TempDir(), "polysse.wasm")
	run(t, goBin, root, wasmEnv, "build", "-trimpath", "-ldflags=-s -w", "-o", out, "./wasm")
	built, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := wasmpack.PackData(built, wasmpack.DefaultMaxGap)
	if err != nil {
		t.Fatal(err)
	}
	before, err := wasmpack.Memory(built)
	if err != nil {
		t.Fatal(err)
	}
	after, err := wasmpack.Memory(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatalf("wasmpack changed the initial memory of polysse.wasm (%d bytes, %d after)", len(before), len(after))
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	n := gz.Len()
	t.Logf("polysse.wasm: as linked %d bytes, packed %d", len(built), len(raw))
	t.Logf("polysse.wasm: raw %d bytes (%.1f KiB), gzip %d bytes (%.1f KB), limit %d bytes, headroom %d bytes (%.1f KB)",
		len(raw), float64(len(raw))/1024, n, float64(n)/1000, MaxGzipBytes, MaxGzipBytes-n, float64(MaxGzipBytes-n)/1000)
	if n > MaxGzipBytes {
		t.Errorf("polysse.wasm is %d bytes gzip-compressed, over the limit of %d by %d bytes: "+
			"look for a new import in the wasm build (go list -deps, go tool nm -size -sort size)",
			n, MaxGzipBytes, n-MaxGzipBytes)
	}
}

func TestWasmDeps(t *testing.T) {
	goBin, root := goCmd(t)
	for _, target := range Targets {
		t.Run(strings.TrimPrefix(target, "./"), func(t *testing.T) {
			out := run(t, goBin, root, wasmEnv, "list", "-deps",
				"-f", `{{.ImportPath}}{{"\t"}}{{join .Imports " "}}`, target)
			imports := map[string][]string{}
			var order []string
			for line := range strings.Lines(string(out)) {
				path, deps, _ := strings.Cut(strings.TrimRight(line, "\n"), "\t")
				if path == "" {
					continue
				}
				imports[path] = strings.Fields(deps)
				order = append(order, path)
			}
			if len(order) == 0 {
				t.Fatalf("go list -deps %s printed no packages", target)
			}
			// go list -deps prints the target last, after all its dependencies.
			top := order[len(order)-1]
			for _, bad := range ForbiddenDeps {
				if _, ok := imports[bad]; ok {
					t.Errorf("the js/wasm build of %s depends on %s: %s", top, bad,
						strings.Join(chain(imports, top, bad), " -> "))
				}
			}
			if !t.Failed() {
				t.Logf("%s: %d packages for js/wasm, none of %s", top, len(order), strings.Join(ForbiddenDeps, ", "))
			}
		})
	}
}

// chain returns a shortest import path from one package to another.
func chain(imports map[string][]string, from, to string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == to {
			var path []string
			for ; p != ""; p = prev[p] {
				path = append([]string{p}, path...)
			}
			return path
		}
		for _, q := range imports[p] {
			if _, seen := prev[q]; !seen {
				prev[q] = p
				queue = append(queue, q)
			}
		}
	}
	return []string{from, "?", to}
}
