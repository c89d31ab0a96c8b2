// Package geodemo loads the demonstration's directory of places
// (docs/DEMO.md): the city hall and the sixteen arrondissement offices at
// their windows' addresses, and some two thousand fictional places —
// schools, health centres, sports fields and halls, cultural spaces,
// parks, markets, annexes and bus stops — spread inside each
// arrondissement's outline, so that the directory, the portal's layer and
// the map have a city's worth of points; and some three thousand fictional
// street addresses, along streets drawn inside each arrondissement, in the
// address gazetteer. It also makes the demonstration's editor, who keeps
// the directory.
package geodemo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/geo"
	"madina/internal/module"
	geom "madina/internal/platform/geo"
	"madina/internal/platform/i18n"
)

// Source is the demonstration places' source.
const Source = "demo"

// kind is a kind of fictional place: how many per arrondissement, its
// names (with %[1]s the arrondissement's name and %[2]d a number, or
// a name from names) and its hours.
type kind struct {
	category   string
	count      int
	ar, fr, en string
	names      [][3]string
	hours      string
}

var parks = [][3]string{{"الياسمين", "des Jasmins", "Jasmine"}, {"الورود", "des Roses", "Rose"}, {"الأمل", "de l’Espoir", "Hope"},
	{"النخيل", "des Palmiers", "Palm"}, {"الزيتون", "des Oliviers", "Olive"}, {"الصداقة", "de l’Amitié", "Friendship"},
	{"الطفولة", "de l’Enfance", "Childhood"}, {"الربيع", "du Printemps", "Spring"}}

var schools = [][3]string{{"ابن خلدون", "Ibn Khaldoun", "Ibn Khaldoun"}, {"الفارابي", "Al Farabi", "Al Farabi"}, {"ابن سينا", "Ibn Sina", "Ibn Sina"},
	{"ابن رشد", "Ibn Rochd", "Ibn Rushd"}, {"المتنبي", "Al Moutanabbi", "Al Mutanabbi"}, {"الأمل", "Al Amal", "Al Amal"},
	{"النهضة", "Annahda", "Annahda"}, {"المسيرة", "Al Massira", "Al Massira"}, {"الزرقطوني", "Zerktouni", "Zerktouni"},
	{"الإدريسي", "Al Idrissi", "Al Idrisi"}}

var kinds = []kind{
	{category: "school", count: 40, ar: "مدرسة %[3]s رقم %[2]d — %[1]s", fr: "École %[3]s n° %[2]d — %[1]s", en: "%[3]s School no. %[2]d — %[1]s",
		names: schools, hours: "Mo-Fr 08:00-12:00,14:00-18:00; Sa 08:00-12:00"},
	{category: "health", count: 6, ar: "المركز الصحي %[1]s %[2]d", fr: "Centre de santé %[1]s %[2]d", en: "%[1]s health centre %[2]d", hours: "Mo-Fr 08:30-16:30"},
	{category: "sports-field", count: 15, ar: "ملعب القرب رقم %[2]d — %[1]s", fr: "Terrain de proximité n° %[2]d — %[1]s", en: "Sports field no. %[2]d — %[1]s", hours: "Mo-Su 08:00-22:00"},
	{category: "sports-hall", count: 2, ar: "القاعة المغطاة %[1]s %[2]d", fr: "Salle couverte %[1]s %[2]d", en: "%[1]s sports hall %[2]d", hours: "Mo-Sa 09:00-21:00"},
	{category: "culture", count: 4, ar: "دار الشباب %[1]s %[2]d", fr: "Maison des jeunes %[1]s %[2]d", en: "%[1]s youth centre %[2]d", hours: "Tu-Su 10:00-19:00"},
	{category: "park", count: 8, ar: "حديقة %[3]s — %[1]s", fr: "Jardin %[3]s — %[1]s", en: "%[3]s Garden — %[1]s", names: parks, hours: "Mo-Su 08:00-20:00"},
	{category: "market", count: 5, ar: "السوق البلدي %[1]s %[2]d", fr: "Marché municipal %[1]s %[2]d", en: "%[1]s municipal market %[2]d", hours: "Mo-Su 07:00-14:00"},
	{category: "administration", count: 6, ar: "الملحقة الإدارية %[1]s %[2]d", fr: "Annexe administrative %[1]s %[2]d", en: "%[1]s administrative annex %[2]d", hours: "Mo-Fr 08:30-16:30"},
	{category: "transport", count: 60, ar: "موقف الحافلات رقم %[2]d — %[1]s", fr: "Arrêt de bus n° %[2]d — %[1]s", en: "Bus stop no. %[2]d — %[1]s"},
}

// PerArrondissement is how many fictional places each arrondissement has.
func PerArrondissement() int {
	n := 0
	for _, k := range kinds {
		n += k.count
	}
	return n
}

// Load gives the demonstration's editor the role and fills the directory;
// it does nothing when the directory has places already.
func Load(ctx context.Context, env *module.Env, out io.Writer) error {
	places, err := module.Need[*geo.Places](env)
	if err != nil {
		return err
	}
	ds, err := module.Need[*district.Store](env)
	if err != nil {
		return err
	}
	if err := loadAddresses(ctx, env, ds, out); err != nil {
		return err
	}
	if have, err := places.Search(ctx, geo.PlaceQuery{}); err != nil {
		return err
	} else if have.Matched > 0 {
		fmt.Fprintln(out, "demo: the directory of places is already there")
		return nil
	}
	fc, err := Features(ctx, ds)
	if err != nil {
		return err
	}
	b, err := json.Marshal(fc)
	if err != nil {
		return err
	}
	rep, err := places.Import(ctx, authz.Actor{System: true}, Source, b)
	if err != nil {
		return fmt.Errorf("geo demo: %w", err)
	}
	fmt.Fprintf(out, "demo: %d places in the directory\n", rep.Added)
	return nil
}

type feature struct {
	Type       string            `json:"type"`
	Geometry   geom.Geometry     `json:"geometry"`
	Properties map[string]string `json:"properties"`
}

type collection struct {
	Type     string    `json:"type"`
	Features []feature `json:"features"`
}

// Features are the demonstration's places as a GeoJSON FeatureCollection,
// the same on every load (a fixed seed).
func Features(ctx context.Context, ds *district.Store) (collection, error) {
	fc := collection{Type: "FeatureCollection"}
	add := func(code, category string, name, address i18n.Text, p geom.Point, hours string) {
		fc.Features = append(fc.Features, feature{Type: "Feature", Geometry: geom.NewPoint(p), Properties: map[string]string{
			"code": code, "category": category, "name_ar": name.AR, "name_fr": name.FR, "name_en": name.EN,
			"address_ar": address.AR, "address_fr": address.FR, "address_en": address.EN, "hours": hours}})
	}
	c, err := ds.City(ctx)
	if err != nil {
		return fc, err
	}
	windows, err := ds.Windows(ctx)
	if err != nil {
		return fc, err
	}
	arrs, err := ds.Arrondissements(ctx)
	if err != nil {
		return fc, err
	}
	names := map[string]i18n.Text{}
	for _, a := range arrs {
		names[a.Code] = a.Name
	}
	const officeHours = "Mo-Fr 08:30-16:30"
	for _, w := range windows {
		if w.Contact == nil || !w.Contact.Located() {
			continue
		}
		p := geom.Point{Lon: w.Contact.Lon, Lat: w.Contact.Lat}
		if w.Kind == district.CityWindow {
			add("hotel-de-ville", "administration", i18n.Text{AR: "مقر جماعة الدار البيضاء", FR: "Hôtel de ville de Casablanca", EN: "Casablanca City Hall"},
				w.Contact.Address, p, officeHours)
			continue
		}
		n := names[w.Arrondissement]
		add("siege-"+w.Arrondissement, "arrondissement-office",
			i18n.Text{AR: "مقر مقاطعة " + n.AR, FR: "Siège de l’arrondissement " + n.FR, EN: n.EN + " arrondissement office"}, w.Contact.Address, p, officeHours)
	}
	areas, err := ds.Areas(ctx)
	if err != nil {
		return fc, err
	}
	rng := rand.New(rand.NewPCG(2026, 14))
	for _, ar := range areas {
		b := ar.Boundary.Bounds()
		n := names[ar.Arrondissement]
		for _, k := range kinds {
			for i := 1; i <= k.count; i++ {
				var p geom.Point
				for { // a point of the arrondissement, not too near its edge
					p = geom.Point{Lon: round6(b.Min.Lon + rng.Float64()*(b.Max.Lon-b.Min.Lon)), Lat: round6(b.Min.Lat + rng.Float64()*(b.Max.Lat-b.Min.Lat))}
					if geom.NewPoint(p).Within(ar.Boundary) && geom.NewPoint(p).Within(c.Boundary) {
						break
					}
				}
				var label [3]string
				if k.names != nil {
					label = k.names[(i-1)%len(k.names)]
				}
				name := i18n.Text{AR: fmt.Sprintf(k.ar, n.AR, i, label[0]), FR: fmt.Sprintf(k.fr, n.FR, i, label[1]), EN: fmt.Sprintf(k.en, n.EN, i, label[2])}
				add(fmt.Sprintf("%s-%s-%d", k.category, ar.Arrondissement, i), k.category, name, i18n.Text{}, p, k.hours)
			}
		}
	}
	return fc, nil
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// AddressSource is the demonstration's gazetteer: it says plainly that its
// addresses are made up.
const AddressSource = "Démonstration : adresses fictives / fictional addresses"

// Street names of the demonstration's fictional streets, in Arabic and
// French; none names an arrondissement, so that searching one finds its
// places rather than streets.
var streetNames = [][2]string{{"ابن بطوطة", "Ibn Batouta"}, {"ابن زيدون", "Ibn Zaidoun"}, {"الخوارزمي", "Al Khawarizmi"},
	{"ابن البناء", "Ibn Al Banna"}, {"المعتمد بن عباد", "Al Moutamid Ibn Abbad"}, {"أبو بكر الصديق", "Abou Bakr Seddik"},
	{"عقبة بن نافع", "Oqba Ibn Nafii"}, {"طارق بن زياد", "Tarik Ibn Ziad"}, {"الأمير عبد القادر", "Émir Abdelkader"},
	{"الإمام مالك", "Imam Malik"}, {"الياقوت", "Al Yacout"}, {"المرجان", "Al Morjane"}, {"الزيتون", "des Oliviers"},
	{"الياسمين", "des Jasmins"}, {"النخيل", "des Palmiers"}, {"الأرز", "des Cèdres"}, {"البحر", "de la Mer"},
	{"الأطلس", "de l’Atlas"}, {"الريف", "du Rif"}, {"سبو", "de l’Oued Sebou"}, {"ملوية", "de la Moulouya"},
	{"تانسيفت", "du Tensift"}, {"درعة", "du Draâ"}, {"أم الربيع", "d’Oum Errabia"}, {"الحرية", "de la Liberté"},
	{"الاستقلال", "de l’Indépendance"}, {"الوحدة", "de l’Unité"}, {"السلام", "de la Paix"}, {"الفتح", "Al Fath"},
	{"النصر", "Annasr"}, {"العرفان", "Al Irfane"}, {"الرشاد", "Errachad"}, {"الأندلس", "d’Andalousie"}, {"فاس", "de Fès"},
	{"مراكش", "de Marrakech"}, {"طنجة", "de Tanger"}, {"أكادير", "d’Agadir"}, {"وجدة", "d’Oujda"}, {"العيون", "de Laâyoune"},
	{"الصويرة", "d’Essaouira"}}

var streetKinds = [][2]string{{"زنقة", "rue"}, {"شارع", "boulevard"}, {"ممر", "passage"}, {"درب", "derb"}}

// Per arrondissement: streetsEach streets of numbersEach numbers.
const (
	streetsEach = 10
	numbersEach = 19
	// numberStep is the metres between two numbers of a street.
	numberStep = 20
)

// AddressesPerArrondissement is how many fictional addresses each
// arrondissement has.
func AddressesPerArrondissement() int { return streetsEach * numbersEach }

// AddressesCSV are the demonstration's addresses as the CSV file a city's
// GIS department would give: streets of numbered points, straight, inside
// each arrondissement's outline, labelled in French on one street and in
// Arabic on the next; the same on every load (a fixed seed). Each street's
// name is used once in the city.
func AddressesCSV(ctx context.Context, ds *district.Store) ([]byte, error) {
	c, err := ds.City(ctx)
	if err != nil {
		return nil, err
	}
	areas, err := ds.Areas(ctx)
	if err != nil {
		return nil, err
	}
	if len(areas)*streetsEach > len(streetNames)*len(streetKinds) {
		return nil, fmt.Errorf("geo demo: %d streets for %d names", len(areas)*streetsEach, len(streetNames)*len(streetKinds))
	}
	rng := rand.New(rand.NewPCG(2026, 6))
	var b strings.Builder
	b.WriteString("address,lat,lon\n")
	const metre = 1.0 / 111_000 // of latitude
	for ai, ar := range areas {
		bb := ar.Boundary.Bounds()
		inside := func(p geom.Point) bool {
			return geom.NewPoint(p).Within(ar.Boundary) && geom.NewPoint(p).Within(c.Boundary)
		}
		for j := range streetsEach {
			k := ai*streetsEach + j
			name, kind := streetNames[k%len(streetNames)], streetKinds[k/len(streetNames)]
			var pts []geom.Point
			for len(pts) < numbersEach { // a street that lies inside the arrondissement
				pts = pts[:0]
				start := geom.Point{Lon: bb.Min.Lon + rng.Float64()*(bb.Max.Lon-bb.Min.Lon), Lat: bb.Min.Lat + rng.Float64()*(bb.Max.Lat-bb.Min.Lat)}
				angle := rng.Float64() * 2 * math.Pi
				dLat := numberStep * metre * math.Sin(angle)
				dLon := numberStep * metre * math.Cos(angle) / math.Cos(start.Lat*math.Pi/180)
				for n := range numbersEach {
					p := geom.Point{Lon: round6(start.Lon + float64(n)*dLon), Lat: round6(start.Lat + float64(n)*dLat)}
					if !inside(p) {
						break
					}
					pts = append(pts, p)
				}
			}
			for n, p := range pts {
				label := fmt.Sprintf("%d, %s %s", n+1, kind[1], name[1])
				if j%2 == 1 {
					label = fmt.Sprintf("%d %s %s", n+1, kind[0], name[0])
				}
				fmt.Fprintf(&b, "\"%s\",%g,%g\n", label, p.Lat, p.Lon)
			}
		}
	}
	return []byte(b.String()), nil
}

// loadAddresses fills the address gazetteer, unless it holds addresses.
func loadAddresses(ctx context.Context, env *module.Env, ds *district.Store, out io.Writer) error {
	gazetteer, err := module.Need[*geo.Addresses](env)
	if err != nil {
		return err
	}
	if n, err := gazetteer.Count(ctx, ""); err != nil {
		return err
	} else if n > 0 {
		fmt.Fprintln(out, "demo: the address gazetteer is already there")
		return nil
	}
	start := time.Now()
	data, err := AddressesCSV(ctx, ds)
	if err != nil {
		return err
	}
	rep, err := gazetteer.Import(ctx, authz.Actor{System: true}, AddressSource, "demo-addresses.csv", data)
	if err != nil {
		return fmt.Errorf("geo demo: addresses: %w", err)
	}
	fmt.Fprintf(out, "demo: %d fictional addresses in the gazetteer (%s)\n", rep.Imported, time.Since(start).Round(time.Millisecond))
	return nil
}
