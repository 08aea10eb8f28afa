package bot

import (
	"context"
	"sync"
	"time"
)

// Pacing of the outbox's messages to Telegram's limits.

// pace waits for Telegram's limits on messages (https://core.telegram.org/bots/faq):
// about 30 a second in all, and about one a second in a chat. Answers to
// presses and keyboard edits are not messages and go at once.
func (c *courier) pace(ctx context.Context, it item) {
	now := time.Now()
	var wait time.Duration
	if it.kind == kindSend || it.kind == kindDocument {
		wait = c.global.reserve(now)
		c.mu.Lock()
		b := c.chats[it.chat]
		if b == nil {
			b = &bucket{interval: c.b.cfg.ChatInterval, burst: chatBurst}
			c.chats[it.chat] = b
		}
		c.mu.Unlock()
		wait = max(wait, b.reserve(now))
	}
	if wait > 0 {
		sleep(ctx, wait)
	}
}

// prune forgets the pacing of chats that have used none of it lately, so
// the map holds the chats of the last few seconds, not every chat ever.
func (c *courier) prune() {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	for chat, b := range c.chats {
		if b.idle(now) {
			delete(c.chats, chat)
		}
	}
}

// bucket lets burst calls through at once, then one per interval (the
// generic cell rate algorithm: tat is when the next call would be on time).
type bucket struct {
	mu       sync.Mutex
	interval time.Duration
	burst    int
	tat      time.Time
}

// reserve books a call at now and returns how long it must wait.
func (b *bucket) reserve(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tat.Before(now) {
		b.tat = now
	}
	wait := b.tat.Sub(now) - time.Duration(b.burst-1)*b.interval
	b.tat = b.tat.Add(b.interval)
	return max(wait, 0)
}

func (b *bucket) idle(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.tat.After(now)
}
