package game

import "math"

// projectile is one shot in flight. Position and velocity are multiples of
// 1/8 like a player's, so its Entity is exact.
type projectile struct {
	id           uint32
	owner        PlayerID
	x, y, vx, vy float64
	angle        uint16
	expires      uint32 // tick at which it is removed unflown
}

func (s *projectile) entity() Entity {
	return Entity{
		ID: s.id, Kind: KindProjectile,
		X: fixed(s.x), Y: fixed(s.y), VX: fixed(s.vx), VY: fixed(s.vy),
		Angle: s.angle, Owner: s.owner,
	}
}

// subSteps returns how many collision checks a projectile needs per tick so
// it never moves more than 8 px between two of them.
func subSteps(rate int) int {
	return int(math.Ceil(ShotSpeed / float64(rate) / 8))
}

// fire launches a projectile from p along its aim. A muzzle inside a wall
// fires nothing, so no one shoots through a wall they stand against.
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
		angle:   p.angle,
		expires: a.tick + a.lifetime,
	}
	a.nextShotID++
	if a.hitsWall(s.x, s.y) {
		return
	}
	a.shots = append(a.shots, s)
}

// stepShots moves every projectile, checking for walls and players at its
// current position and at subSteps points along its path, and removes those
// that hit something or expired.
func (a *Arena) stepShots(ev []Event) []Event {
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
func (a *Arena) flyShot(s *projectile, ev []Event) (bool, []Event) {
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
	s.x = quantize(s.x + float64(s.vx*a.dt))
	s.y = quantize(s.y + float64(s.vy*a.dt))
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
func (a *Arena) hit(shooter PlayerID, victim *player, ev []Event) []Event {
	ev = append(ev, Event{Kind: EventHit, A: shooter, B: victim.id})
	if victim.hp > ShotDamage {
		victim.hp -= ShotDamage
		return ev
	}
	a.kill(victim)
	if p := a.player(shooter); p != nil {
		p.score++
	}
	return append(ev, Event{Kind: EventKill, A: shooter, B: victim.id})
}
