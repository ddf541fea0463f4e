package blobs

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/tickroom/tickroom/game"
)

// Forager tuning, in px and seconds.
const (
	dangerGap  = 200 // flee a bigger blob whose edge is nearer than this to ours
	fleeAhead  = 600 // how far ahead a fleeing blob aims
	chaseRange = 500 // chase a smaller blob whose centre is this near to our edge
	roamFor    = 3   // seconds before a roaming bot picks a new goal
)

// forager is blobs' bot. From its view alone it flees the blobs that could
// eat it (away from all of them at once, the nearest weighing most),
// chases the nearest blob it could eat, and otherwise heads for the
// nearest pellet, or roams when it sees none. It reads the field's size
// and the eat ratio from the schema's world, whether the world came from
// the game itself or was decoded from a welcome.
type forager struct {
	rng      *rand.Rand
	rate     uint32
	size     float64 // px
	eatRatio float64 // percent
	tx, ty   int     // input field indexes
	maxTX    float64
	maxTY    float64
	goal     [2]float64
	goalTill uint32 // tick
	last     game.Input
}

// NewForager makes a forager bot for a blobs room whose schema is s.
func NewForager(s *game.Schema, tickRate int, seed uint64) game.Bot {
	f := &forager{
		rng:      rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		rate:     uint32(max(tickRate, 1)),
		size:     DefaultSize,
		eatRatio: EatRatio,
		tx:       max(s.InputIndex("tx"), 0),
		ty:       max(s.InputIndex("ty"), 0),
	}
	if w, ok := number(s.World["w"]); ok && w > 0 {
		f.size = w
	}
	if rules, ok := s.World["rules"].(map[string]any); ok {
		if r, ok := number(rules["eatRatio"]); ok && r > 0 {
			f.eatRatio = r
		}
	}
	f.maxTX, f.maxTY = f.size, f.size
	if f.tx < len(s.Input) {
		f.maxTX = float64(s.Input[f.tx].Max)
	}
	if f.ty < len(s.Input) {
		f.maxTY = float64(s.Input[f.ty].Max)
	}
	return f
}

// number reads a world value as a number: the game's own world holds Go
// ints, a decoded one int64, uint64 or float64.
func number(v any) (float64, bool) {
	switch v := v.(type) {
	case int:
		return float64(v), true
	case int32:
		return float64(v), true
	case int64:
		return float64(v), true
	case uint32:
		return float64(v), true
	case uint64:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

// Think chooses where to head, from the entities in view (sorted by id) as
// player me sees them at tick. An eaten bot keeps its last input.
func (f *forager) Think(me game.PlayerID, tick uint32, view []game.Entity, _ []game.Event) game.Input {
	i, ok := slices.BinarySearchFunc(view, me, func(e game.Entity, id uint32) int { return cmp.Compare(e.ID, id) })
	if !ok || view[i].Kind != KindBlob || view[i].V[FieldFlags]&int32(FlagDead) != 0 {
		return f.last
	}
	self := BlobOf(&view[i])
	x, y, r := float64(self.X)/8, float64(self.Y)/8, float64(self.R)/8
	var fleeX, fleeY float64
	flee := false
	preyD, pelletD := math.Inf(1), math.Inf(1)
	var prey, pellet [2]float64
	for j := range view {
		e := &view[j]
		ex, ey := float64(e.V[FieldX])/8, float64(e.V[FieldY])/8
		d := math.Hypot(ex-x, ey-y)
		switch e.Kind {
		case KindPellet:
			if d < pelletD {
				pelletD, pellet = d, [2]float64{ex, ey}
			}
		case KindBlob:
			o := BlobOf(e)
			if o.ID == me || o.Flags&FlagDead != 0 {
				continue
			}
			or := float64(o.R) / 8
			switch {
			case 100*or >= f.eatRatio*r: // it could eat us
				if gap := d - or - r; gap < dangerGap && d > 0 {
					w := 1 / max(gap, 1)
					fleeX, fleeY, flee = fleeX+(x-ex)/d*w, fleeY+(y-ey)/d*w, true
				}
			case 100*r >= f.eatRatio*or && d-r < chaseRange && d < preyD:
				preyD, prey = d, [2]float64{ex, ey}
			}
		}
	}
	var tx, ty float64
	switch {
	case flee && (fleeX != 0 || fleeY != 0):
		l := math.Hypot(fleeX, fleeY)
		tx, ty = x+fleeX/l*fleeAhead, y+fleeY/l*fleeAhead
	case !math.IsInf(preyD, 1):
		tx, ty = prey[0], prey[1]
	case !math.IsInf(pelletD, 1):
		tx, ty = pellet[0], pellet[1]
	default:
		if tick >= f.goalTill || math.Hypot(f.goal[0]-x, f.goal[1]-y) < r {
			f.goal = [2]float64{f.size * (0.1 + 0.8*f.rng.Float64()), f.size * (0.1 + 0.8*f.rng.Float64())}
			f.goalTill = tick + roamFor*f.rate
		}
		tx, ty = f.goal[0], f.goal[1]
	}
	f.last = game.Input{}
	f.last.V[f.tx] = int32(math.Round(min(max(tx, 0), f.maxTX)))
	f.last.V[f.ty] = int32(math.Round(min(max(ty, 0), f.maxTY)))
	return f.last
}
