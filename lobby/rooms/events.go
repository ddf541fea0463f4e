package rooms

import "github.com/tickroom/tickroom/game"

// eventLogLen is how many recent events a room keeps so a reconnecting
// client can be sent exactly the ones it missed.
const eventLogLen = 512

// chatHistoryLen is how many chat messages a joining player is sent.
const chatHistoryLen = 50

// eventLog numbers events and keeps the newest eventLogLen of them, and the
// newest chatHistoryLen chat messages apart so hits and kills cannot push
// them out. Owned by the room's run goroutine.
type eventLog struct {
	ring  []game.Event // grows to eventLogLen, then wraps: a quiet room holds little
	seq   uint32       // the newest sequence number given out
	chats []game.Event // grows to chatHistoryLen, then wraps
	nchat int
}

func (l *eventLog) add(e game.Event) uint32 {
	l.seq++
	e.Seq = l.seq
	l.ring = put(l.ring, int((l.seq-1)%eventLogLen), eventLogLen, e)
	if e.Kind == game.EventChat || e.Kind == game.EventSystem {
		l.chats = put(l.chats, l.nchat%chatHistoryLen, chatHistoryLen, e)
		l.nchat++
	}
	return l.seq
}

func (l *eventLog) last() uint32 { return l.seq }

// since returns the logged events after seq, oldest first.
func (l *eventLog) since(seq uint32) []game.Event {
	if seq >= l.seq {
		return nil
	}
	first := max(seq+1, l.seq-min(l.seq, eventLogLen-1))
	out := make([]game.Event, 0, l.seq-first+1)
	for s := first; s <= l.seq; s++ {
		out = append(out, l.ring[(s-1)%eventLogLen])
	}
	return out
}

// chatHistory returns the newest chat and system messages, oldest first.
func (l *eventLog) chatHistory() []game.Event {
	n := min(l.nchat, chatHistoryLen)
	out := make([]game.Event, 0, n)
	for i := l.nchat - n; i < l.nchat; i++ {
		out = append(out, l.chats[i%chatHistoryLen])
	}
	return out
}

// put stores e at slot i of a ring that grows by appending until it holds
// n events; slots are only ever written in order.
func put(ring []game.Event, i, n int, e game.Event) []game.Event {
	if len(ring) < n {
		return append(ring, e)
	}
	ring[i] = e
	return ring
}
