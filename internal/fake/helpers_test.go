package fake_test

import (
	"log/slog"

	sse "github.com/polysse/sse"
)

// quiet is the logger of engines whose tests provoke errors on purpose.
var quiet = slog.New(slog.DiscardHandler)

func sseEvent(data string) sse.Event { return sse.Event{Data: data} }
