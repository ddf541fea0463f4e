package directory

import (
	"testing"
	"time"
)

// TestFeedEpochs: two feeds (two processes) count changes alike, but
// neither resumes from the other's versions.
func TestFeedEpochs(t *testing.T) {
	old, restarted := NewFeed(), NewFeed()
	for i := range 3 {
		room := &Room{ID: string(rune('a' + i)), State: StateOpen, CreatedAt: time.Unix(0, 0)}
		old.Publish(room)
		restarted.Publish(room)
	}
	if old.Version().N != restarted.Version().N || old.Version() == restarted.Version() {
		t.Fatalf("versions %s and %s: want the same count in different epochs", old.Version(), restarted.Version())
	}
	if _, _, _, complete := restarted.Since(Version{old.Version().Epoch, 1}); complete {
		t.Fatal("resumed from another feed's version")
	}
	changes, current, _, complete := old.Since(Version{old.Version().Epoch, 1})
	if !complete || len(changes) != 2 || current != old.Version() || changes[1].Version != current {
		t.Fatalf("own version: %d changes to %s, complete %v", len(changes), current, complete)
	}
	if _, _, _, complete := old.Since(Version{old.Version().Epoch, 4}); complete {
		t.Fatal("resumed from a version ahead of the feed")
	}
}

func TestParseVersion(t *testing.T) {
	for s, want := range map[string]Version{"2kq81x0zbq-7": {"2kq81x0zbq", 7}, "a-0": {"a", 0}, "42": {"", 42}} {
		if v, err := ParseVersion(s); err != nil || v != want || (want.Epoch != "" && v.String() != s) {
			t.Errorf("ParseVersion(%q) = %+v, %v; want %+v", s, v, err, want)
		}
	}
	for _, s := range []string{"", "-1", "x", "a-", "A-1", "a-b-1", "a-+1", "a-1_0", "a -1", "a-99999999999999999999"} {
		if v, err := ParseVersion(s); err == nil {
			t.Errorf("ParseVersion(%q) = %+v, want an error", s, v)
		}
	}
}
