package script_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/polysse/sse/internal/fake/script"
)

// FuzzParseFile: the decoder never panics; what it accepts encodes to a file it accepts
// again, with the same encoding; every template in it expands without panicking.
func FuzzParseFile(f *testing.F) {
	f.Add([]byte(example))
	f.Add([]byte(`{"version": 1, "routes": [{"route": "GET /x", "answers": [{"stream": [{"repeat": 2, "steps": [{"raw": "{i}"}]}, "hold"]}]}]}`))
	f.Add([]byte(`{"version": 1, "routes": [{"route": "/x", "answers": [{"respond": {"body": [{"rawBase64": "AA=="}, "drop"]}}]}]}`))
	f.Add([]byte(`{"version": 1, "routes": []}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := script.ParseFile(b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "script: ") {
				t.Fatalf("error without the package prefix: %v", err)
			}
			return
		}
		enc, err := json.Marshal(file)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		again, err := script.ParseFile(enc)
		if err != nil {
			t.Fatalf("the encoding %s does not parse: %v", enc, err)
		}
		enc2, err := json.Marshal(again)
		if err != nil {
			t.Fatalf("Marshal again: %v", err)
		}
		if string(enc) != string(enc2) {
			t.Fatalf("encodings differ:\n%s\n%s", enc, enc2)
		}
		for _, r := range file.Routes {
			for _, a := range r.Answers {
				expandSteps(t, a.Steps)
				if a.Respond != nil {
					expandSteps(t, a.Respond.BodySteps)
					_, _, _ = a.Respond.Status.Expand(vars)
				}
				if a.Delay != nil {
					_, _, _, _ = a.Delay.Expand(vars)
				}
			}
		}
	})
}

func expandSteps(t *testing.T, steps []script.Step) {
	for _, s := range steps {
		_ = s.Text.Expand(vars)
		_ = s.Data.Expand(vars)
		if s.Event != nil {
			_, _ = s.Event.Expand(vars)
		}
		if s.Num != nil {
			_, _, _ = s.Num.Expand(vars)
		}
		expandSteps(t, s.Steps)
	}
}

// FuzzTemplate: parsing never fails or panics; a template keeps its source; text
// without braces expands to itself; expansion with values that contain braces does not
// expand them again.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"", "{attempt}", "{query.a|b}", "{{", "{x{i}}", `{"ok":true}`, "{header.X-Y}", "}{"} {
		f.Add(s, "{attempt}")
	}
	f.Fuzz(func(t *testing.T, s, value string) {
		tm := script.ParseTemplate(s)
		if tm.String() != s {
			t.Fatalf("String() = %q, want %q", tm.String(), s)
		}
		v := &script.Vars{Attempt: 1, LastEventID: value, I: 2,
			Params: map[string]string{"a": value}, Query: map[string][]string{"a": {value}},
			Header: map[string][]string{"A": {value}}}
		got := tm.Expand(v)
		if !strings.ContainsAny(s, "{}") && got != s {
			t.Fatalf("Expand(%q) = %q", s, got)
		}
		if tm.IsStatic() && got != tm.Expand(nil) {
			t.Fatalf("static %q expands to %q and %q", s, got, tm.Expand(nil))
		}
		if s == "{query.a}" && got != value {
			t.Fatalf("Expand(%q) = %q, want the value %q as is", s, got, value)
		}
	})
}

// FuzzParsePattern: a pattern ParsePattern accepts is one net/http's ServeMux accepts
// (its path, registered alone, does not panic), and it never panics itself.
func FuzzParsePattern(f *testing.F) {
	for _, s := range []string{"GET /jobs/{id}/events", "POST /chat/{rest...}", "* /x", "/a/{$}", "GET /{a}/{a}", "GET x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := script.ParsePattern(s)
		if err != nil {
			return
		}
		defer func() {
			if v := recover(); v != nil {
				t.Fatalf("ParsePattern accepted %q (path %q) but ServeMux panics: %v", s, p.Path, v)
			}
		}()
		http.NewServeMux().HandleFunc(p.Path, func(http.ResponseWriter, *http.Request) {})
	})
}
