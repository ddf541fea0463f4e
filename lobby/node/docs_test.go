package node_test

import (
	"os"
	"strings"
	"testing"
)

// TestGamesDocShowsTheExample: docs/games.md shows example_test.go as it
// is, so the complete game there is one that compiles and runs.
func TestGamesDocShowsTheExample(t *testing.T) {
	doc, err := os.ReadFile("../../docs/games.md")
	if err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	const marker = "<!-- lobby/node/example_test.go -->\n```go\n"
	_, shown, ok := strings.Cut(string(doc), marker)
	if !ok {
		t.Fatalf("docs/games.md has no %q", marker)
	}
	shown, _, ok = strings.Cut(shown, "\n```\n")
	if !ok {
		t.Fatal("docs/games.md: the example's code block does not end")
	}
	if shown+"\n" != string(file) {
		t.Fatal("docs/games.md shows another example_test.go than lobby/node's: copy the file into the doc")
	}
}
