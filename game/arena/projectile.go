package arena

import (
	"math"

	"github.com/tickroom/tickroom/game"
)

// projectile is one shot in flight. It flies in a straight line at a
// constant velocity from where it was at the tick it was fired, and every
// tick its position is computed from that start (Entity.At), so a client
// derives it exactly from an Entity that never changes.
type projectile struct {
	id      uint32
	owner   PlayerID
	x, y    float64 // px: where it is now (the muzzle until its first flight)
	vx, vy  float64 // px/s, multiples of 1/8
	x0, y0  int32   // 1/8 px: where it is at tick born
	born    uint32  // the tick it was fired
	angle   uint16
	expires uint32 // tick at which it is removed unflown
}

func (s *projectile) entity() Entity {
	return Entity{
		ID: s.id, Kind: KindProjectile,
		X: s.x0, Y: s.y0, VX: fixed(s.vx), VY: fixed(s.vy),
		Angle: s.angle, Owner: s.owner, Born: s.born,
	}
}

// subSteps returns how many collision checks a projectile needs per tick so
// it never moves more than 8 px between two of them.
func subSteps(rate int) int {
	return int(math.Ceil(ShotSpeed / float64(rate) / 8))
}

// fire launches a projectile from p along its aim. A muzzle inside a wall
// fires nothing, so no one shoots through a wall they stand against. The
// projectile flies its first tick in this Step: at tick born it is a tick's
// flight out of the muzzle.
func (a *Arena) fire(p *player) {
	turn := float64(float64(p.angle)/65536) * (2 * math.Pi)
	cos, sin := math.Cos(turn), math.Sin(turn)
	s := projectile{
		id:      a.nextShotID,
		owner:   p.id,
		x:       quantize(p.body.X + float64(cos*ShotOffset)),
		y:       quantize(p.body.Y + float64(sin*ShotOffset)),
		vx:      quantize(float64(cos * ShotSpeed)),
		vy:      quantize(float64(sin * ShotSpeed)),
		born:    a.tick,
		angle:   p.angle,
		expires: a.tick + a.lifetime,
	}
	s.x0 = fixed(quantize(s.x + float64(s.vx*a.dt)))
	s.y0 = fixed(quantize(s.y + float64(s.vy*a.dt)))
	a.nextShotID++
	if a.hitsWall(s.x, s.y) {
		return
	}
	a.shots = append(a.shots, s)
}

// stepShots moves every projectile, checking for walls and players at its
// current position and at subSteps points along its path, and removes those
// that hit something or expired.
func (a *Arena) stepShots(ev []game.Event) []game.Event {
	kept := a.shots[:0]
	for i := range a.shots {
		s := a.shots[i]
		if a.tick >= s.expires {
			continue
		}
		var hit bool
		if hit, ev = a.flyShot(&s, ev); !hit {
			kept = append(kept, s)
		}
	}
	clear(a.shots[len(kept):])
	a.shots = kept
	return ev
}

// flyShot moves s by one tick and reports whether it hit something.
func (a *Arena) flyShot(s *projectile, ev []game.Event) (bool, []game.Event) {
	sdt := a.dt / float64(a.subSteps)
	for k := 0; k <= a.subSteps; k++ {
		t := float64(k) * sdt
		x := s.x + float64(s.vx*t)
		y := s.y + float64(s.vy*t)
		if a.hitsWall(x, y) {
			return true, ev
		}
		if v := a.shotVictim(x, y, s.owner); v != nil {
			return true, a.hit(s.owner, v, ev)
		}
	}
	e := s.entity()
	x, y := e.At(a.tick, a.rate)
	s.x, s.y = float64(x)/8, float64(y)/8
	return false, ev
}

func (a *Arena) hitsWall(x, y float64) bool {
	for _, w := range a.m.Walls {
		if overlapsWall(x, y, ShotRadius, w) {
			return true
		}
	}
	return false
}

// shotVictim returns the first live player, other than owner, whose square
// overlaps a projectile at (x, y).
func (a *Arena) shotVictim(x, y float64, owner PlayerID) *player {
	const reach = PlayerRadius + ShotRadius
	for i := range a.players {
		p := &a.players[i]
		if p.id == owner || p.flags&FlagDead != 0 {
			continue
		}
		if math.Abs(p.body.X-x) < reach && math.Abs(p.body.Y-y) < reach {
			return p
		}
	}
	return nil
}

// hit applies a projectile of shooter's to victim, killing it when its HP
// runs out.
func (a *Arena) hit(shooter PlayerID, victim *player, ev []game.Event) []game.Event {
	ev = append(ev, game.Event{Kind: EventHit, A: shooter, B: victim.id})
	if victim.hp > ShotDamage {
		victim.hp -= ShotDamage
		return ev
	}
	a.kill(victim)
	if p := a.player(shooter); p != nil {
		p.score++
	}
	return append(ev, game.Event{Kind: EventKill, A: shooter, B: victim.id})
}
