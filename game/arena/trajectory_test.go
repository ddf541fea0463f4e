package arena

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

const trajectoryFile = "testdata/trajectory.json"

// trajectory is the golden movement file a client port replays; see
// docs/game.md.
type trajectory struct {
	TickRate int `json:"tick_rate"`
	Start    struct {
		X  float64 `json:"x"`
		Y  float64 `json:"y"`
		VX float64 `json:"vx"`
		VY float64 `json:"vy"`
	} `json:"start"`
	Walls  []jsonWall `json:"walls"`
	Inputs moves      `json:"inputs"`
	States [][4]int32 `json:"states"` // x8, y8, vx8, vy8 after each tick
}

// moves is a list of Move bits that JSON shows as numbers, not the base64
// encoding/json gives []uint8, so any language reads it plainly.
type moves []uint8

func (m moves) MarshalJSON() ([]byte, error) {
	n := make([]int, len(m))
	for i, v := range m {
		n[i] = int(v)
	}
	return json.Marshal(n)
}

func (m *moves) UnmarshalJSON(b []byte) error {
	var ints []int
	if err := json.Unmarshal(b, &ints); err != nil {
		return err
	}
	*m = make(moves, len(ints))
	for i, v := range ints {
		if v < 0 || v > 15 {
			return fmt.Errorf("input %d: move bits %d out of range 0..15", i, v)
		}
		(*m)[i] = uint8(v)
	}
	return nil
}

type jsonWall struct {
	X int32 `json:"x"`
	Y int32 `json:"y"`
	W int32 `json:"w"`
	H int32 `json:"h"`
}

// trajectoryInputs is a walk from the top-left spawn: into the boundary, a
// diagonal into the corner pillar, slides along walls, cancelling keys and
// stops.
func trajectoryInputs() []uint8 {
	const u, d, l, r = MoveUp, MoveDown, MoveLeft, MoveRight
	segments := []struct {
		move  uint8
		ticks int
	}{
		{l, 20}, {u, 20}, {d | r, 45}, {d, 25}, {r | u, 30}, {r, 60}, {0, 15},
		{u | d, 10}, {d | l, 25}, {l | r | d, 15}, {u | l, 20}, {0, 20},
	}
	var in []uint8
	for _, s := range segments {
		for range s.ticks {
			in = append(in, s.move)
		}
	}
	return in
}

func makeTrajectory() trajectory {
	var tr trajectory
	tr.TickRate = 30
	tr.Start.X, tr.Start.Y = 128, 128
	for _, w := range DefaultMap().Walls {
		tr.Walls = append(tr.Walls, jsonWall(w))
	}
	tr.Inputs = trajectoryInputs()
	tr.States = replay(tr)
	return tr
}

// replay runs tr's inputs through MovePlayer.
func replay(tr trajectory) [][4]int32 {
	walls := make([]Wall, len(tr.Walls))
	for i, w := range tr.Walls {
		walls[i] = Wall(w)
	}
	b := Body{X: tr.Start.X, Y: tr.Start.Y, VX: tr.Start.VX, VY: tr.Start.VY}
	dt := 1 / float64(tr.TickRate)
	var states [][4]int32
	for _, move := range tr.Inputs {
		MovePlayer(&b, move, dt, walls)
		states = append(states, [4]int32{fixed(b.X), fixed(b.Y), fixed(b.VX), fixed(b.VY)})
	}
	return states
}

// encode writes tr as JSON with one state per line, to keep diffs readable.
func (tr trajectory) encode() []byte {
	head, _ := json.Marshal(struct {
		TickRate int        `json:"tick_rate"`
		Start    any        `json:"start"`
		Walls    []jsonWall `json:"walls"`
		Inputs   moves      `json:"inputs"`
	}{tr.TickRate, tr.Start, tr.Walls, tr.Inputs})
	var buf bytes.Buffer
	buf.Write(head[:len(head)-1])
	buf.WriteString(`,"states":[`)
	for i, s := range tr.States {
		if i > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, "\n[%d,%d,%d,%d]", s[0], s[1], s[2], s[3])
	}
	buf.WriteString("\n]}\n")
	return buf.Bytes()
}

func TestTrajectory(t *testing.T) {
	want := makeTrajectory()
	if *update {
		if err := os.WriteFile(trajectoryFile, want.encode(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(trajectoryFile)
	if err != nil {
		t.Fatalf("%v (run go test ./game -run TestTrajectory -update)", err)
	}
	var got trajectory
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Walls, want.Walls) || !slices.Equal(got.Inputs, want.Inputs) {
		t.Fatalf("%s is stale: the default map or the script changed (run with -update)", trajectoryFile)
	}
	states := replay(got)
	if len(states) != len(got.States) {
		t.Fatalf("%d states for %d inputs", len(got.States), len(states))
	}
	for i := range states {
		if states[i] != got.States[i] {
			t.Fatalf("tick %d: MovePlayer gives %v, golden %v", i, states[i], got.States[i])
		}
	}
}

// TestTrajectoryHitsWalls checks the golden walk exercises collisions: some
// ticks hold a key yet end with no velocity on that axis.
func TestTrajectoryHitsWalls(t *testing.T) {
	tr := makeTrajectory()
	var blockedX, blockedY int
	for i, s := range tr.States {
		dx, dy := moveAxes(tr.Inputs[i])
		if dx != 0 && s[2] == 0 {
			blockedX++
		}
		if dy != 0 && s[3] == 0 {
			blockedY++
		}
	}
	if blockedX < 5 || blockedY < 5 {
		t.Errorf("walk blocked %d ticks along x and %d along y; want a few of each", blockedX, blockedY)
	}
}
