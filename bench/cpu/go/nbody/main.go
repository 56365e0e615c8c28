// Command nbody integrates the Sun and the four outer planets with a fixed
// time step (symplectic Euler) for 5,000,000 steps and prints the energy
// before and after.
package main

import (
	"fmt"
	"math"
)

const (
	solarMass = 4 * math.Pi * math.Pi
	days      = 365.24
)

type body struct{ x, y, z, vx, vy, vz, m float64 }

var bodies = []body{
	{0, 0, 0, 0, 0, 0, solarMass},
	{4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
		1.66007664274403694e-03 * days, 7.69901118419740425e-03 * days, -6.90460016972063023e-05 * days,
		9.54791938424326609e-04 * solarMass},
	{8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
		-2.76742510726862411e-03 * days, 4.99852801234917238e-03 * days, 2.30417297573763929e-05 * days,
		2.85885980666130812e-04 * solarMass},
	{1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
		2.96460137564761618e-03 * days, 2.37847173959480950e-03 * days, -2.96589568540237556e-05 * days,
		4.36624404335156298e-05 * solarMass},
	{1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
		2.68067772490389322e-03 * days, 1.62824170038242295e-03 * days, -9.51592254519715870e-05 * days,
		5.15138902046611451e-05 * solarMass},
}

func energy(bs []body) float64 {
	e := 0.0
	for i := range bs {
		a := &bs[i]
		e += 0.5 * a.m * (a.vx*a.vx + a.vy*a.vy + a.vz*a.vz)
		for j := i + 1; j < len(bs); j++ {
			b := &bs[j]
			dx, dy, dz := a.x-b.x, a.y-b.y, a.z-b.z
			e -= a.m * b.m / math.Sqrt(dx*dx+dy*dy+dz*dz)
		}
	}
	return e
}

func advance(bs []body, dt float64) {
	for i := range bs {
		a := &bs[i]
		for j := i + 1; j < len(bs); j++ {
			b := &bs[j]
			dx, dy, dz := a.x-b.x, a.y-b.y, a.z-b.z
			d2 := dx*dx + dy*dy + dz*dz
			mag := dt / (d2 * math.Sqrt(d2))
			a.vx -= dx * b.m * mag
			a.vy -= dy * b.m * mag
			a.vz -= dz * b.m * mag
			b.vx += dx * a.m * mag
			b.vy += dy * a.m * mag
			b.vz += dz * a.m * mag
		}
	}
	for i := range bs {
		a := &bs[i]
		a.x += dt * a.vx
		a.y += dt * a.vy
		a.z += dt * a.vz
	}
}

var steps = 5000000

func main() {
	var px, py, pz float64
	for _, b := range bodies {
		px += b.vx * b.m
		py += b.vy * b.m
		pz += b.vz * b.m
	}
	bodies[0].vx, bodies[0].vy, bodies[0].vz = -px/solarMass, -py/solarMass, -pz/solarMass
	fmt.Printf("%.9f\n", energy(bodies))
	for s := 0; s < steps; s++ {
		advance(bodies, 0.01)
	}
	fmt.Printf("%.9f\n", energy(bodies))
}
