package server

import "time"

// NewHub returns the in-memory broker, for the external tests.
func NewHub(replaySize int, replayAge time.Duration, maxTopics int, autoID bool) Broker {
	return newHub(hubConfig{replaySize: replaySize, replayAge: replayAge, maxTopics: maxTopics, autoID: autoID})
}

// HubTopics returns the number of topics the in-memory broker b holds.
func HubTopics(b Broker) int {
	h := b.(*hub)
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.topics)
}

// HubHasTopic reports whether the in-memory broker b holds topic.
func HubHasTopic(b Broker, topic string) bool {
	h := b.(*hub)
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.topics[topic]
	return ok
}
