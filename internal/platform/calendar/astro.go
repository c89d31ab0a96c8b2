package calendar

import (
	"math"
	"time"
)

// The astronomy here serves one purpose: estimating, years ahead, the day
// the Ministry of Habous will announce as the first of a Hijri month, so the
// default holiday file can be generated and checked. It is deliberately
// small: the conjunction from Meeus, "Astronomical Algorithms" (2nd ed.),
// chapter 49 (main periodic terms; about a minute of error), and the Sun and
// Moon from the low-precision formulae of the Astronomical Almanac (about
// 0.01° for the Sun, 0.3° for the Moon). That precision is far below what
// decides a borderline sighting; the ±1 day uncertainty of the estimate comes
// from the sky and the observers, not from these formulae.

const (
	deg = math.Pi / 180
	// unixEpochJD is the Julian Day of 1970-01-01 00:00 UTC.
	unixEpochJD = 2440587.5
	// deltaT is TT − UT in seconds, near its 2020–2035 value. An error of a
	// minute here is irrelevant to the day a crescent is first seen.
	deltaT = 69.0
)

func julianDay(t time.Time) float64 {
	return float64(t.UnixNano())/86400e9 + unixEpochJD
}

func timeOfJD(jd float64) time.Time {
	ns := (jd - unixEpochJD) * 86400e9
	return time.Unix(0, int64(math.Round(ns))).UTC()
}

func sind(x float64) float64 { return math.Sin(x * deg) }
func cosd(x float64) float64 { return math.Cos(x * deg) }

// newMoon returns the instant (UT) of the k-th new moon after the one of
// 2000-01-06 (k = 0), Meeus chapter 49 without the planetary terms.
func newMoon(k float64) time.Time {
	T := k / 1236.85
	T2, T3, T4 := T*T, T*T*T, T*T*T*T
	jde := 2451550.09766 + 29.530588861*k + 0.00015437*T2 - 0.000000150*T3 + 0.00000000073*T4
	E := 1 - 0.002516*T - 0.0000074*T2
	M := 2.5534 + 29.10535670*k - 0.0000014*T2 - 0.00000011*T3
	Mp := 201.5643 + 385.81693528*k + 0.0107582*T2 + 0.00001238*T3 - 0.000000058*T4
	F := 160.7108 + 390.67050284*k - 0.0016118*T2 - 0.00000227*T3 + 0.000000011*T4
	Om := 124.7746 - 1.56375588*k + 0.0020672*T2 + 0.00000215*T3
	corr := -0.40720*sind(Mp) +
		0.17241*E*sind(M) +
		0.01608*sind(2*Mp) +
		0.01039*sind(2*F) +
		0.00739*E*sind(Mp-M) -
		0.00514*E*sind(Mp+M) +
		0.00208*E*E*sind(2*M) -
		0.00111*sind(Mp-2*F) -
		0.00057*sind(Mp+2*F) +
		0.00056*E*sind(2*Mp+M) -
		0.00042*sind(3*Mp) +
		0.00042*E*sind(M+2*F) +
		0.00038*E*sind(M-2*F) -
		0.00024*E*sind(2*Mp-M) -
		0.00017*sind(Om) -
		0.00007*sind(Mp+2*M) +
		0.00004*sind(2*Mp-2*F) +
		0.00004*sind(3*M) +
		0.00003*sind(Mp+M-2*F) +
		0.00003*sind(2*Mp+2*F) -
		0.00003*sind(Mp+M+2*F) +
		0.00003*sind(Mp-M+2*F) -
		0.00002*sind(Mp-M-2*F) -
		0.00002*sind(3*Mp+M) +
		0.00002*sind(4*Mp)
	return timeOfJD(jde + corr - deltaT/86400)
}

// equatorial is a position on the sky: right ascension and declination in
// degrees, and for the Moon its horizontal parallax in degrees.
type equatorial struct {
	ra, dec, parallax float64
}

// obliquity of the ecliptic, degrees, d days after J2000.
func obliquity(d float64) float64 { return 23.439 - 0.0000004*d }

func toEquatorial(lon, lat, eps float64) (ra, dec float64) {
	dec = math.Asin(sind(lat)*cosd(eps)+cosd(lat)*sind(eps)*sind(lon)) / deg
	ra = math.Atan2(sind(lon)*cosd(eps)-math.Tan(lat*deg)*sind(eps), cosd(lon)) / deg
	return ra, dec
}

// sunPosition: Astronomical Almanac low-precision formulae.
func sunPosition(jd float64) equatorial {
	d := jd - 2451545.0
	L := 280.460 + 0.9856474*d
	g := 357.528 + 0.9856003*d
	lon := L + 1.915*sind(g) + 0.020*sind(2*g)
	ra, dec := toEquatorial(lon, 0, obliquity(d))
	return equatorial{ra: ra, dec: dec}
}

// moonPosition: Astronomical Almanac low-precision formulae (geocentric).
func moonPosition(jd float64) equatorial {
	d := jd + deltaT/86400 - 2451545.0
	T := d / 36525
	lon := 218.32 + 481267.881*T +
		6.29*sind(135.0+477198.87*T) -
		1.27*sind(259.3-413335.36*T) +
		0.66*sind(235.7+890534.22*T) +
		0.21*sind(269.9+954397.74*T) -
		0.19*sind(357.5+35999.05*T) -
		0.11*sind(186.5+966404.03*T)
	lat := 5.13*sind(93.3+483202.02*T) +
		0.28*sind(228.2+960400.89*T) -
		0.28*sind(318.3+6003.15*T) -
		0.17*sind(217.6-407332.21*T)
	par := 0.9508 +
		0.0518*cosd(135.0+477198.87*T) +
		0.0095*cosd(259.3-413335.36*T) +
		0.0078*cosd(235.7+890534.22*T) +
		0.0028*cosd(269.9+954397.74*T)
	ra, dec := toEquatorial(lon, lat, obliquity(d))
	return equatorial{ra: ra, dec: dec, parallax: par}
}

// site is a place on Earth, degrees, east and north positive.
type site struct {
	name     string
	lat, lon float64
}

// horizontal returns altitude and azimuth (degrees, azimuth from north
// through east) of p seen from s at jd, geocentric (no parallax).
func horizontal(p equatorial, s site, jd float64) (alt, az float64) {
	d := jd - 2451545.0
	gmst := 280.46061837 + 360.98564736629*d
	H := gmst + s.lon - p.ra
	alt = math.Asin(sind(s.lat)*sind(p.dec)+cosd(s.lat)*cosd(p.dec)*cosd(H)) / deg
	az = math.Atan2(-cosd(p.dec)*sind(H), sind(p.dec)*cosd(s.lat)-cosd(p.dec)*sind(s.lat)*cosd(H)) / deg
	return alt, math.Mod(az+360, 360)
}

// crossing finds, by bisection, the instant in [a, b] at which f falls
// through zero (f(a) > 0 ≥ f(b)).
func crossing(f func(jd float64) float64, a, b float64) float64 {
	for b-a > 1.0/86400 {
		m := (a + b) / 2
		if f(m) > 0 {
			a = m
		} else {
			b = m
		}
	}
	return (a + b) / 2
}

// sunset returns the JD of sunset (upper limb on the horizon, standard
// refraction) at s on the civil day whose noon UT is noonJD.
func sunset(s site, noonJD float64) float64 {
	f := func(jd float64) float64 {
		alt, _ := horizontal(sunPosition(jd), s, jd)
		return alt + 0.8333
	}
	// From local noon to local midnight the Sun only goes down.
	transit := noonJD - s.lon/360
	return crossing(f, transit, transit+0.5)
}

// moonsetAfter returns the JD at which the Moon sets after from, searching
// four hours, and false if it has already set at from.
func moonsetAfter(s site, from float64) (float64, bool) {
	f := func(jd float64) float64 {
		m := moonPosition(jd)
		alt, _ := horizontal(m, s, jd)
		return alt - (0.7275*m.parallax - 0.5667)
	}
	if f(from) <= 0 {
		return 0, false
	}
	const step = 10.0 / 1440
	for a := from; a < from+4.0/24; a += step {
		if f(a+step) <= 0 {
			return crossing(f, a, a+step), true
		}
	}
	return from + 4.0/24, true
}

// odehV returns Odeh's visibility parameter V (Experimental Astronomy 18,
// 2004) for the evening of the civil day at s whose noon UT is noonJD,
// evaluated at the "best time" (sunset + 4/9 of the Moon's lag), and false
// when the Moon sets before the Sun or the conjunction is after sunset.
//
//	V ≥ 5.65         visible by naked eye
//	2 ≤ V < 5.65     may be seen by naked eye once found with optical aid
//	−0.96 ≤ V < 2    optical aid only
//	V < −0.96        not visible
func odehV(s site, noonJD float64, conjunction float64) (float64, bool) {
	ss := sunset(s, noonJD)
	if ss < conjunction {
		return 0, false
	}
	ms, ok := moonsetAfter(s, ss)
	if !ok {
		return 0, false
	}
	best := ss + (ms-ss)*4/9
	sun := sunPosition(best)
	moon := moonPosition(best)
	hs, azs := horizontal(sun, s, best)
	hm, azm := horizontal(moon, s, best)
	// Topocentric Moon: parallax lowers it by asin(sin π cos h).
	hm -= math.Asin(sind(moon.parallax)*cosd(hm)) / deg
	arcv := hm - hs
	arcl := math.Acos(sind(hs)*sind(hm)+cosd(hs)*cosd(hm)*cosd(azm-azs)) / deg
	sd := 0.2724 * moon.parallax * 60 * (1 + sind(hm)*sind(moon.parallax)) // arcmin
	w := sd * (1 - cosd(arcl))
	return arcv - (-0.1018*w*w*w + 0.7319*w*w - 6.3226*w + 7.1651), true
}
