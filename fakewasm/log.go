//go:build js && wasm

package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"syscall/js"
)

// levels are the log levels JavaScript names; silent is above every level.
var levels = map[string]slog.Level{
	"": slog.LevelWarn, "debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn,
	"error": slog.LevelError, "silent": slog.LevelError + 100,
}

// jsLogHandler is a slog.Handler that formats records as slog's text handler does
// (without the time) and hands each line to a JavaScript function fn(level, line), so
// that the JavaScript side decides where it goes (console.warn in a test, standard
// error in the Node command).
type jsLogHandler struct {
	fn  js.Value
	min slog.Level
	// with rebuilds the attributes and groups given to WithAttrs and WithGroup on a new
	// text handler.
	with func(slog.Handler) slog.Handler
}

func (h *jsLogHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.min && h.fn.Type() == js.TypeFunction
}

func (h *jsLogHandler) Handle(ctx context.Context, r slog.Record) error {
	var buf bytes.Buffer
	var th slog.Handler = slog.NewTextHandler(&buf, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey) {
				return slog.Attr{}
			}
			return a
		},
	})
	if h.with != nil {
		th = h.with(th)
	}
	if err := th.Handle(ctx, r); err != nil {
		return err
	}
	line := strings.TrimSuffix(buf.String(), "\n")
	return try(func() { h.fn.Invoke(strings.ToLower(r.Level.String()), line) })
}

func (h *jsLogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	prev := h.with
	return &jsLogHandler{fn: h.fn, min: h.min, with: func(t slog.Handler) slog.Handler {
		if prev != nil {
			t = prev(t)
		}
		return t.WithAttrs(as)
	}}
}

func (h *jsLogHandler) WithGroup(name string) slog.Handler {
	prev := h.with
	return &jsLogHandler{fn: h.fn, min: h.min, with: func(t slog.Handler) slog.Handler {
		if prev != nil {
			t = prev(t)
		}
		return t.WithGroup(name)
	}}
}
