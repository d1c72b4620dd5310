// Command wasmpack rewrites the data section of WebAssembly modules the Go linker wrote so
// that they compress well (see package internal/wasmpack), in place, and prints each
// module's size before and after. `make wasm` runs it on polysse.wasm:
//
//	go run ./internal/cmd/wasmpack [-gap 32] file.wasm...
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/polysse/sse/internal/wasmpack"
)

func main() {
	gap := flag.Int("gap", wasmpack.DefaultMaxGap, "join data segments at most this many zero bytes apart")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: wasmpack [-gap n] file.wasm...")
		os.Exit(2)
	}
	for _, name := range flag.Args() {
		if err := pack(name, *gap); err != nil {
			fmt.Fprintln(os.Stderr, "wasmpack:", err)
			os.Exit(1)
		}
	}
}

func pack(name string, gap int) error {
	in, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	out, err := wasmpack.PackData(in, gap)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	tmp := name + ".pack.tmp"
	if err := os.WriteFile(tmp, out, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, name); err != nil {
		os.Remove(tmp)
		return err
	}
	fmt.Printf("wasmpack: %s: %d -> %d bytes\n", name, len(in), len(out))
	return nil
}
