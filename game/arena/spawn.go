package arena

import "math"

// freeSpawn returns the spawn point whose nearest live player is farthest
// away; ties go to the lowest index in the arena's spawn order.
func (a *Arena) freeSpawn() Point {
	best, bestD := 0, -1.0
	for i, s := range a.spawns {
		if d := a.nearestLive(s); d > bestD {
			best, bestD = i, d
		}
	}
	return a.spawns[best]
}

// nearestLive returns the squared distance from s to the nearest live
// player, or +Inf when there is none.
func (a *Arena) nearestLive(s Point) float64 {
	d := math.Inf(1)
	for i := range a.players {
		p := &a.players[i]
		if p.flags&FlagDead != 0 {
			continue
		}
		dx := p.body.X - float64(s.X)
		dy := p.body.Y - float64(s.Y)
		d = min(d, float64(dx*dx)+float64(dy*dy))
	}
	return d
}

// place puts p, standing still, at s.
func (p *player) place(s Point) {
	p.body = Body{X: float64(s.X), Y: float64(s.Y)}
}

// kill marks p dead; it comes back after the respawn delay.
func (a *Arena) kill(p *player) {
	p.hp = 0
	p.flags |= FlagDead
	p.body.VX, p.body.VY = 0, 0
	p.respawnAt = a.tick + a.respawn
}

// respawnDue brings back, at the free spawn point and with full HP, every
// dead player whose delay is over, in id order.
func (a *Arena) respawnDue() {
	for i := range a.players {
		p := &a.players[i]
		if p.flags&FlagDead == 0 || a.tick < p.respawnAt {
			continue
		}
		p.place(a.freeSpawn())
		p.hp = MaxHP
		p.flags &^= FlagDead
		p.nextFire = a.tick
	}
}
