//go:build !js

package main

import (
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// encodings are the precompressed variants the static handler looks for beside a file, in
// order of preference: make wasm writes polysse.wasm.br and polysse.wasm.gz.
var encodings = []struct{ name, suffix string }{
	{"br", ".br"},
	{"gzip", ".gz"},
}

// staticFiles serves the files of dir, polysse's web build, with their precompressed
// variants: a request that accepts br or gzip gets NAME.br or NAME.gz with
// Content-Encoding when that file exists and is not older than NAME. Every answer may be
// cached but must be revalidated (Cache-Control: no-cache) with its ETag, so a rebuilt
// polysse.wasm is picked up at once and an unchanged one costs a 304. The variants are not
// served under their own names.
type staticFiles struct {
	dir string
}

func (h staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := path.Clean("/" + r.URL.Path)
	if name == "/" || strings.HasSuffix(name, ".br") || strings.HasSuffix(name, ".gz") {
		http.NotFound(w, r)
		return
	}
	full := filepath.Join(h.dir, filepath.FromSlash(name))
	st, err := os.Stat(full)
	if err != nil || !st.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}

	hdr := w.Header()
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	hdr.Set("Content-Type", ctype)
	hdr.Set("Cache-Control", "no-cache")

	serve, served, encoding := full, st, ""
	accepted := acceptedEncodings(r.Header.Get("Accept-Encoding"))
	varies := false
	for _, enc := range encodings {
		vst, err := os.Stat(full + enc.suffix)
		if err != nil || !vst.Mode().IsRegular() || vst.ModTime().Before(st.ModTime()) {
			continue // absent, or stale: older than the file it compresses
		}
		varies = true
		if encoding == "" && accepted[enc.name] {
			serve, served, encoding = full+enc.suffix, vst, enc.name
		}
	}
	if varies {
		hdr.Add("Vary", "Accept-Encoding")
	}
	if encoding != "" {
		hdr.Set("Content-Encoding", encoding)
	}
	// The ETag names the bytes sent: the file (or its variant) by size and time.
	hdr.Set("ETag", `"`+strconv.FormatInt(served.Size(), 36)+"-"+
		strconv.FormatInt(served.ModTime().UnixNano(), 36)+encodingTag(encoding)+`"`)

	f, err := os.Open(serve)
	if err != nil {
		http.Error(w, "cannot open "+name, http.StatusInternalServerError)
		return
	}
	defer f.Close()
	http.ServeContent(w, r, name, served.ModTime(), f)
}

func encodingTag(encoding string) string {
	if encoding == "" {
		return ""
	}
	return "-" + encoding
}

// acceptedEncodings parses an Accept-Encoding header into the set of codings it accepts
// (a q-value of 0 refuses one; "*" accepts those not named).
func acceptedEncodings(header string) map[string]bool {
	named := map[string]bool{}
	star := false
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding == "" {
			continue
		}
		ok := true
		for p := range strings.SplitSeq(params, ";") {
			k, v, found := strings.Cut(strings.TrimSpace(p), "=")
			if found && strings.EqualFold(strings.TrimSpace(k), "q") {
				q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				ok = err == nil && q > 0
			}
		}
		if coding == "*" {
			star = ok
			continue
		}
		named[coding] = ok
	}
	out := map[string]bool{}
	for _, enc := range encodings {
		if ok, isNamed := named[enc.name]; isNamed {
			out[enc.name] = ok
		} else {
			out[enc.name] = star
		}
	}
	return out
}
