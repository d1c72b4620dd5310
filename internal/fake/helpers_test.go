package fake_test

import sse "github.com/polysse/sse"

func sseEvent(data string) sse.Event { return sse.Event{Data: data} }
