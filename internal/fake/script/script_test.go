package script_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/polysse/sse/internal/fake/script"
)

var vars = &script.Vars{
	Attempt:     3,
	LastEventID: "41",
	Params:      map[string]string{"id": "7"},
	Query:       map[string][]string{"retry": {"250"}, "empty": {""}, "many": {"a", "b"}},
	Header:      map[string][]string{"Authorization": {"Bearer x"}, "X-Trace": {"t1"}},
}

func TestTemplateExpand(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		vars     *script.Vars
	}{
		{in: "", want: ""},
		{in: "plain", want: "plain"},
		{in: "attempt {attempt}", want: "attempt 3"},
		{in: "{lastEventId}", want: "41"},
		{in: "{params.id}/{params.missing|none}", want: "7/none"},
		{in: "{query.retry|100}", want: "250"},
		{in: "{query.absent|100}", want: "100"},
		{in: "{query.empty|d}", want: "d", vars: vars},
		{in: "{query.many}", want: "a"},
		{in: "{header.authorization}", want: "Bearer x"},
		{in: "{header.x-trace}", want: "t1"},
		{in: "{i}", want: ""},
		{in: "{i|0}", want: "0"},
		{in: `{"ok":true}`, want: `{"ok":true}`},
		{in: "{{attempt}", want: "{attempt}"},
		{in: "{{", want: "{"},
		{in: "a{b", want: "a{b"},
		{in: "{x{attempt}}", want: "{x3}"},
		{in: "{query.}", want: "{query.}"},
		{in: "{unknown}", want: "{unknown}"},
		{in: "}{", want: "}{"},
		{in: "{query.a|x|y}", want: "x|y"},
		{in: "é{attempt}ü", want: "é3ü"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			assert.Equal(t, tc.want, script.ParseTemplate(tc.in).Expand(vars))
			assert.Equal(t, tc.in, script.ParseTemplate(tc.in).String())
		})
	}
	assert.Equal(t, "2", script.ParseTemplate("{i}").Expand(&script.Vars{I: 2}))
	assert.Equal(t, "x", script.ParseTemplate("{attempt|x}").Expand(nil), "nil vars: defaults")
	assert.True(t, script.ParseTemplate("{{a}").IsStatic())
	assert.False(t, script.ParseTemplate("{a}{i}").IsStatic())
	assert.True(t, script.ParseTemplate("{i}").UsesI())
}

func TestNumExpand(t *testing.T) {
	for _, tc := range []struct {
		num     script.Num
		want    int64
		ok      bool
		wantErr bool
	}{
		{num: script.NumOf(5), want: 5, ok: true},
		{num: script.NumTemplate("{query.retry}"), want: 250, ok: true},
		{num: script.NumTemplate("{query.absent}"), ok: false},
		{num: script.NumTemplate("{query.absent|100}"), want: 100, ok: true},
		{num: script.NumTemplate("{header.x-trace}"), wantErr: true},
		{num: script.NumTemplate("-1"), wantErr: true},
		{num: script.NumTemplate("99999999999999999999"), wantErr: true},
		{num: script.Millis(1500 * time.Microsecond), want: 2, ok: true},
	} {
		got, ok, err := tc.num.Expand(vars)
		if tc.wantErr {
			var ve *script.ValueError
			assert.ErrorAs(t, err, &ve)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tc.ok, ok)
		assert.Equal(t, tc.want, got)
	}
}

const example = `{
  "version": 1,
  "routes": [
    {
      "route": "GET /jobs/{id}/events",
      "name": "job events",
      "options": { "heartbeat": 15000, "reconnectionTime": 1000 },
      "answers": [
        { "times": 2, "respond": { "status": 503, "headers": { "Retry-After": "1" }, "body": "busy" } },
        { "stream": [
            { "event": { "type": "progress", "id": "1", "data": { "job": "{params.id}", "pct": 50 } } },
            { "wait": 1000 },
            { "comment": "still working" },
            { "complete": "{\"ok\":true}" }
        ] }
      ]
    },
    { "route": "GET /feed", "answers": [
      { "stream": [ {"retry": 2000}, {"event": {"id": "7", "data": "a"}}, "drop" ] },
      { "stream": [ {"event": {"data": "after the drop, Last-Event-ID was {lastEventId}"}} ] } ] },
    { "route": "GET /bytes", "answers": [ { "respond": {
      "status": 200, "headers": {"Content-Type": "text/event-stream", "X-None": null},
      "body": [ {"rawBase64": "77u/ZGF0YTogaMM="}, {"wait": 20}, {"rawBase64": "qWxsbwoK"}, "end" ] } } ] },
    { "route": "POST /chat", "options": { "topics": ["chat"], "replay": 100, "autoIds": true },
      "answers": [ { "stream": [] } ] },
    { "route": "GET /tick", "match": {"query": {"finish": "1", "sid": "*"}, "headers": {"Authorization": null}},
      "attemptKey": "{query.sid}",
      "answers": [ { "delay": "forever", "stream": [ {"repeat": null, "steps": [ {"event": {"id": "{i}", "data": "event {i}"}}, {"wait": 700} ]} ] },
                   { "delay": "{query.ms}", "drop": true } ] },
    { "route": "* /refused", "options": { "refuse": { "status": "{query.code|204}", "headers": {"Retry-After": "{query.ra}"} },
      "cors": "echo", "preflight": "{query.preflight}", "gapEvent": {"type": "gap"}, "lastEventIdQuery": "lei",
      "headers": {"Connection": "close"}, "tokenTTL": 60000, "replayAge": 1000 },
      "answers": [ { "stream": [ {"publish": {"topic": "t", "event": {"data": "x"}}}, {"fail": {"why": "no"}} ] } ] }
  ]
}`

func TestParseFile(t *testing.T) {
	f, err := script.ParseFile([]byte(example))
	require.NoError(t, err)
	require.Len(t, f.Routes, 6)
	r := f.Routes[0]
	assert.Equal(t, "job events", r.RouteName())
	require.Len(t, r.Answers, 2)
	assert.Equal(t, script.AnswerRespond, r.Answers[0].Kind)
	assert.Equal(t, 2, r.Answers[0].Times)
	steps := r.Answers[1].Steps
	require.Len(t, steps, 4)
	ev, err := steps[0].Event.Expand(vars)
	require.NoError(t, err)
	assert.Equal(t, script.Expanded{Type: "progress", ID: "1", Data: `{"job":"7","pct":50}`}, ev)
	assert.Equal(t, script.StepComplete, steps[3].Kind)
	assert.Equal(t, `{"ok":true}`, steps[3].Data.Expand(vars))
	assert.Equal(t, "GET /feed", f.Routes[1].RouteName())
	body := f.Routes[2].Answers[0].Respond
	assert.Nil(t, body.Headers["X-None"])
	assert.Equal(t, []byte("\xEF\xBB\xBFdata: h\xC3"), body.BodySteps[0].Bytes)
	tick := f.Routes[4]
	assert.Nil(t, tick.Match.Headers["Authorization"])
	assert.Equal(t, "*", *tick.Match.Query["sid"])
	assert.Nil(t, tick.Answers[0].Steps[0].Num, "repeat null: forever")
	_, forever, _, _ := tick.Answers[0].Delay.Expand(vars)
	assert.True(t, forever)
	d, forever, ok, err := tick.Answers[1].Delay.Expand(&script.Vars{Query: map[string][]string{"ms": {"20"}}})
	require.NoError(t, err)
	assert.Equal(t, []any{20 * time.Millisecond, false, true}, []any{d, forever, ok})
	ref := f.Routes[5].Options
	code, ok, err := ref.Refuse.Status.Expand(&script.Vars{})
	require.NoError(t, err)
	assert.Equal(t, []any{int64(204), true}, []any{code, ok})
	assert.Equal(t, `{"why":"no"}`, f.Routes[5].Answers[0].Steps[1].Data.Expand(nil))

	// The encoding decodes to the same script.
	b, err := json.Marshal(f)
	require.NoError(t, err)
	g, err := script.ParseFile(b)
	require.NoError(t, err, "%s", b)
	b2, err := json.Marshal(g)
	require.NoError(t, err)
	assert.JSONEq(t, string(b), string(b2))
}

// spins is the error of an endless repeat step that would never wait or write.
const spins = "a repeat step without a count must wait or write in every round, but its steps never do (it would spin): add a wait step, or give it a count"

// Endless repeats that may wait or write are accepted: templates are judged per request
// (a round that did nothing then waits a little).
func TestParseEndlessRepeats(t *testing.T) {
	for _, steps := range []string{
		`[{"event": {"data": "x"}}]`,
		`[{"event": {"type": "t"}}]`,
		`[{"event": {"data": "{query.d}"}}]`,
		`[{"comment": ""}]`,
		`[{"retry": 0}]`,
		`[{"raw": "x"}]`,
		`[{"raw": "{query.r}"}]`,
		`[{"rawBase64": "eA=="}]`,
		`[{"wait": 1}]`,
		`[{"wait": "{query.w}"}]`,
		`[{"publish": {"topic": "t", "event": {"data": "x"}}}, {"wait": 1000}]`,
		`[{"repeat": 2, "steps": [{"wait": 1}]}]`,
		`[{"repeat": "{query.n}", "steps": [{"wait": 1}]}]`,
		`[{"repeat": null, "steps": [{"wait": 1}]}]`,
	} {
		t.Run(steps, func(t *testing.T) {
			_, err := script.ParseFile([]byte(`{"version": 1, "routes": [{"route": "GET /x", "answers": [{"stream": [{"repeat": null, "steps": ` + steps + `}]}]}]}`))
			assert.NoError(t, err)
		})
	}
}

func TestParseFileErrors(t *testing.T) {
	route := func(answers string) string {
		return `{"version": 1, "routes": [{"route": "GET /x", "answers": [` + answers + `]}]}`
	}
	for _, tc := range []struct {
		name, in, want string
	}{
		{"not an object", `[]`, "script: want an object, got an array"},
		{"version", `{"version": 2, "routes": []}`, "script: version: must be 1, got 2"},
		{"no version", `{"routes": []}`, `script: missing "version" (1)`},
		{"unknown top field", `{"version": 1, "routes": [], "extra": 1}`, `script: unknown field "extra" (known: version, routes)`},
		{"typo step", route(`{"stream": [{"event": {"data": "a"}}, {"wait": 1}, {"commnet": "x"}]}`),
			`script: routes[0].answers[0].stream[2]: unknown step "commnet"`},
		{"unknown event field", route(`{"stream": [{"event": {"dat": "a"}}]}`),
			`script: routes[0].answers[0].stream[0].event: unknown field "dat" (known: type, id, data, retry)`},
		{"two kinds", route(`{"stream": [], "drop": true}`),
			`script: routes[0].answers[0]: an answer has exactly one of "stream", "respond" or "drop"`},
		{"ending not last", route(`{"stream": ["end", {"comment": ""}]}`),
			`script: routes[0].answers[0].stream[0]: the ending "end" must be the last step`},
		{"unknown ending", route(`{"stream": ["close"]}`),
			`script: routes[0].answers[0].stream[0]: unknown ending "close" (known: "end", "drop", "hold")`},
		{"event in a body", route(`{"respond": {"body": [{"event": {}}]}}`),
			`script: routes[0].answers[0].respond.body[0]: a respond body cannot have "event" steps (only raw, rawBase64, wait, repeat, end, drop, hold)`},
		{"complete in a body", route(`{"respond": {"body": [{"complete": ""}]}}`),
			`script: routes[0].answers[0].respond.body[0]: a respond body cannot have "complete" steps (only raw, rawBase64, wait, repeat, end, drop, hold)`},
		{"bad status", route(`{"respond": {"status": 42}}`), "script: routes[0].answers[0].respond.status: want a status from 200 to 599"},
		{"negative wait", route(`{"stream": [{"wait": -1}]}`), "script: routes[0].answers[0].stream[0].wait: want an integer from 0 to 1000000000000, got -1"},
		{"fractional wait", route(`{"stream": [{"wait": 1.5}]}`), "script: routes[0].answers[0].stream[0].wait: want an integer from 0 to 1000000000000, got 1.5"},
		{"static bad num", route(`{"stream": [{"retry": "soon"}]}`), `script: routes[0].answers[0].stream[0].retry: want a non-negative integer or a template, got "soon"`},
		{"drop false", route(`{"drop": false}`), "script: routes[0].answers[0].drop: must be true"},
		{"times 0", route(`{"drop": true, "times": 0}`), "script: routes[0].answers[0].times: want a whole number of attempts, at least 1"},
		{"bad delay", route(`{"drop": true, "delay": "later"}`), `script: routes[0].answers[0].delay: want milliseconds, "forever" or a template, got "later"`},
		{"bad base64", route(`{"stream": [{"rawBase64": "%%"}]}`), "script: routes[0].answers[0].stream[0].rawBase64: invalid base64: illegal base64 data at input byte 0"},
		{"repeat without steps", route(`{"stream": [{"repeat": 2}]}`), `script: routes[0].answers[0].stream[0]: a repeat step needs "steps"`},
		{"ending in repeat", route(`{"stream": [{"repeat": 2, "steps": ["end"]}]}`), `script: routes[0].answers[0].stream[0].steps[0]: an ending cannot be inside a repeat step`},
		{"steps elsewhere", route(`{"stream": [{"wait": 2, "steps": []}]}`), `script: routes[0].answers[0].stream[0]: "steps" belongs to a "repeat" step`},
		{"two step kinds", route(`{"stream": [{"wait": 2, "retry": 1}]}`), `script: routes[0].answers[0].stream[0]: a step has one kind, got "retry" and "wait"`},
		{"no answers", `{"version": 1, "routes": [{"route": "GET /x"}]}`, "script: routes[0].answers: a route needs at least one answer"},
		{"bad pattern", `{"version": 1, "routes": [{"route": "GET x", "answers": [{"drop": true}]}]}`,
			`script: routes[0].route: want "METHOD /path" with a path starting with "/", got "GET x"`},
		{"bad wildcard", `{"version": 1, "routes": [{"route": "GET /a{b}", "answers": [{"drop": true}]}]}`,
			`script: routes[0].route: bad wildcard segment "a{b}" (a wildcard is a whole segment)`},
		{"duplicate name", `{"version": 1, "routes": [{"route": "GET /x", "answers": [{"drop": true}]}, {"route": "GET /x", "answers": [{"drop": true}]}]}`,
			`script: routes[1]: the name "GET /x" is taken by routes[0] (give one a "name")`},
		{"bad cors", `{"version": 1, "routes": [{"route": "GET /x", "options": {"cors": "all"}, "answers": [{"drop": true}]}]}`,
			`script: routes[0].options.cors: want "echo", "echo-nocreds", "star" or "off", got "all"`},
		{"bad header name", route(`{"respond": {"headers": {"A B": "x"}}}`), `script: routes[0].answers[0].respond.headers.A B: not a valid header name`},
		{"header CRLF", route(`{"respond": {"headers": {"A": "x\r\ny: z"}}}`), `script: routes[0].answers[0].respond.headers.A: a header value must not contain CR, LF or NUL`},
		{"id with LF", route(`{"stream": [{"event": {"id": "a\nb"}}]}`), `script: routes[0].answers[0].stream[0].event.id: must not contain CR, LF or NUL`},
		{"options unknown", `{"version": 1, "routes": [{"route": "GET /x", "options": {"heartbeats": 1}, "answers": [{"drop": true}]}]}`,
			`script: routes[0].options: unknown field "heartbeats" (known: heartbeat, reconnectionTime, topics, replay, replayAge, autoIds, tokenTTL, refuse, gapEvent, lastEventIdQuery, headers, cors, preflight)`},
		{"invalid JSON", `{"version": 1,`, "script: invalid JSON: unexpected end of JSON input"},
		{"endless repeat of a publish", route(`{"stream": [{"repeat": null, "steps": [{"publish": {"topic": "t", "event": {"data": "x"}}}]}]}`),
			"script: routes[0].answers[0].stream[0].repeat: " + spins},
		{"endless repeat of wait 0", route(`{"stream": [{"repeat": null, "steps": [{"wait": 0}]}]}`),
			"script: routes[0].answers[0].stream[0].repeat: " + spins},
		{"endless repeat of nothing", route(`{"stream": [{"comment": "a"}, {"repeat": null, "steps": []}]}`),
			"script: routes[0].answers[0].stream[1].repeat: " + spins},
		{"endless repeat of empty raw", route(`{"respond": {"body": [{"repeat": null, "steps": [{"raw": ""}, {"rawBase64": ""}]}]}}`),
			"script: routes[0].answers[0].respond.body[0].repeat: " + spins},
		{"endless repeat of an empty event", route(`{"stream": [{"repeat": null, "steps": [{"event": {}}]}]}`),
			"script: routes[0].answers[0].stream[0].repeat: " + spins},
		{"endless repeat of repeats that do nothing", route(`{"stream": [{"repeat": null, "steps": [{"repeat": 0, "steps": [{"wait": 5}]}, {"repeat": 3, "steps": [{"wait": 0}]}]}]}`),
			"script: routes[0].answers[0].stream[0].repeat: " + spins},
		{"inner endless repeat", route(`{"stream": [{"repeat": 2, "steps": [{"repeat": null, "steps": [{"wait": 0}]}]}]}`),
			"script: routes[0].answers[0].stream[0].steps[0].repeat: " + spins},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := script.ParseFile([]byte(tc.in))
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
			assert.True(t, errors.Is(err, script.ErrInvalid))
		})
	}
}

func TestParseLimits(t *testing.T) {
	big := make([]byte, script.MaxFileSize+1)
	_, err := script.ParseFile(big)
	assert.EqualError(t, err, "script: the file is longer than 1 MiB")

	steps := `{"comment": ""}`
	for range script.MaxSteps {
		steps += `,{"comment": ""}`
	}
	_, err = script.ParseAnswer([]byte(`{"stream": [` + steps + `]}`))
	assert.EqualError(t, err, "script: stream[10000]: more than 10000 steps in one answer")

	nested := `{"comment": ""}`
	for range script.MaxDepth + 1 {
		nested = `{"repeat": 1, "steps": [` + nested + `]}`
	}
	_, err = script.ParseAnswer([]byte(`{"stream": [` + nested + `]}`))
	assert.ErrorContains(t, err, "repeat steps nest more than 8 deep")
}

func TestParsePattern(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want script.Pattern
		err  string
	}{
		{in: "GET /jobs/{id}/events", want: script.Pattern{Method: "GET", Path: "/jobs/{id}/events", Wildcards: []string{"id"}}},
		{in: "POST /chat/{rest...}", want: script.Pattern{Method: "POST", Path: "/chat/{rest...}", Wildcards: []string{"rest"}}},
		{in: "* /anything", want: script.Pattern{Path: "/anything"}},
		{in: "/plain/{$}", want: script.Pattern{Path: "/plain/{$}"}},
		{in: "", err: "an empty pattern"},
		{in: "GET /{a}/{a}", err: `duplicate wildcard name "a"`},
		{in: "GET /{a...}/b", err: "{a...} must be the last segment"},
		{in: "GET /{$}/b", err: "{$} must be the last segment"},
		{in: "G(T /x", err: `bad method "G(T"`},
		{in: "GET /{1a}", err: `bad wildcard name "1a"`},
		{in: "GET example.com/x", err: `want "METHOD /path" with a path starting with "/", got "GET example.com/x"`},
	} {
		got, err := script.ParsePattern(tc.in)
		if tc.err != "" {
			assert.EqualError(t, err, tc.err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

func TestDataJSONKeepsOrderAndText(t *testing.T) {
	d, err := script.DataJSON([]byte(`{"z": "{attempt}<&>", "a": [1, 2.5, true, null, {"k": "{params.id}"}], "{attempt}": 0}`))
	require.NoError(t, err)
	assert.Equal(t, `{"z":"3<&>","a":[1,2.5,true,null,{"k":"7"}],"{attempt}":0}`, d.Expand(vars))
	s, err := script.DataJSON([]byte(`"text {attempt}"`))
	require.NoError(t, err)
	assert.Equal(t, "text 3", s.Expand(vars))
}

func TestFlag(t *testing.T) {
	o, err := script.ParseOptions([]byte(`{"preflight": "{query.p}"}`))
	require.NoError(t, err)
	for q, want := range map[string]bool{"1": true, "true": true, "": false, "0": false} {
		got, err := o.Preflight.Expand(&script.Vars{Query: map[string][]string{"p": {q}}})
		require.NoError(t, err)
		assert.Equal(t, want, got, q)
	}
	_, err = o.Preflight.Expand(&script.Vars{Query: map[string][]string{"p": {"yes"}}})
	assert.Error(t, err)
}
