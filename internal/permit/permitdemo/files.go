// Package permitdemo loads the demonstration permit files, through the
// permit service and identity's, as applicants, professionals and agents
// would. It is listed with permit in the application's module list.
package permitdemo

import (
	"bytes"
	"container/heap"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/identity"
	"madina/internal/identity/identitydemo"
	"madina/internal/module"
	"madina/internal/notify"
	"madina/internal/permit"
	"madina/internal/platform/blob"
	"madina/internal/platform/calendar"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/geo"
	"madina/internal/platform/i18n"
	"madina/internal/platform/jobs"
	"madina/internal/platform/pdf"
	"madina/internal/staff"
)

// The demonstration permit files: a few hundred files across the
// catalogue's kinds, Casablanca's arrondissements and every state of the
// workflow, played through the real permit service with a clock that
// walks through the last months, so that timelines, official numbers,
// deposit appointments and legal deadlines are what the service itself
// makes of each story. The stories are drawn from fixed seeds: the same
// files (kinds, owners, parcels, figures, states) on every load, dated
// relative to the day of the load.
const (
	// FileCount is how many permit files the demonstration loads.
	FileCount = 300
	// OwnerCount is how many owners the demonstration adds
	// (persons, besides the demonstration accounts).
	OwnerCount = 80
	// Days is how far back the files' stories start.
	Days = 120
)

// Seeds of the demonstration's random streams: the people; what the files
// are (kinds, owners, parcels, figures, states); when things happen. The
// last depends on the day of the load (working days, holidays), the others
// do not: the files stay the same whatever the day.
const (
	demoFileSeedPeople = 0x4d4144494e41 // "MADINA"
	demoFileSeedFiles  = 0x43415341     // "CASA"
	demoFileSeedTimes  = 0x32303236     // "2026"
)

// The files' final states, as the stories are planned. Several end in the
// same workflow state: a deposit with or without an appointment, a file
// accepted lately or long ago.
const (
	dfDraft       = "draft"
	dfSubmitted   = "submitted"    // deposited, no appointment booked yet
	dfBooked      = "booked"       // deposited, appointment to come
	dfLate        = "late"         // appointment passed, the window has not acted: overdue
	dfResubmitted = "resubmitted"  // returned, completed, deposited again
	dfReturned    = "returned"     // back with the applicant
	dfAccepted    = "accepted"     // accepted lately (urban): waiting for dispatch, in time
	dfAcceptedOld = "accepted_old" // accepted long ago: dispatch overdue
	dfReview      = "review"       // economic, under review, in time
	dfReviewOld   = "review_old"   // economic, review overdue
	dfApproved    = "approved"
	dfRefused     = "refused"
	dfTacit       = "tacit" // economic, approved by the administration's silence
	dfAsked       = "asked" // economic, the officer asked the applicant for more
	dfWithdrawn   = "withdrawn"
)

// dfStateWeights are the shares (percent) of the planned final states in
// each family. Urban files stop at acceptance: the committee's work is
// not filed yet.
var dfStateWeights = map[string][]struct {
	state string
	pct   int
}{
	permit.Urban: {{dfDraft, 12}, {dfSubmitted, 6}, {dfBooked, 13}, {dfLate, 2}, {dfResubmitted, 4}, {dfReturned, 11},
		{dfAccepted, 40}, {dfAcceptedOld, 4}, {dfWithdrawn, 8}},
	permit.Economic: {{dfDraft, 10}, {dfSubmitted, 6}, {dfBooked, 10}, {dfLate, 3}, {dfReturned, 10}, {dfReview, 15},
		{dfReviewOld, 5}, {dfAsked, 5}, {dfApproved, 20}, {dfRefused, 9}, {dfWithdrawn, 7}},
}

// dfTacitFiles is how many auto-entrepreneur files the administration
// leaves unanswered past the legal deadline.
const dfTacitFiles = 2

// dfKindCounts is how many files of each kind the demonstration holds:
// mostly building and repair permits and auto-entrepreneurs.
var dfKindCounts = []struct {
	kind string
	n    int
}{
	{"building", 95}, {"repair", 55}, {"auto_entrepreneur", 45}, {"habitation", 18}, {"regularisation", 15},
	{"classified_establishment", 14}, {"demolition", 12}, {"conformity", 10}, {"billboard", 10}, {"land_division", 8},
	{"telecom_equipment", 6}, {"subdivision", 6}, {"housing_group", 6},
}

// dfQuietWindows are windows whose "new deposits" tab the demonstration
// leaves empty: the Maârif window is where the HTTP tests of the file
// pages deposit a file and count it (internal/app/files_web_test.go).
var dfQuietWindows = map[string]bool{"maarif": true}

// QuietOwner is the demonstration citizen left without files, to try
// filing from scratch (the HTTP tests of the file pages start from her
// empty list).
const QuietOwner = "fatima.benali@example.ma"

// People.

type dfName struct{ ar, latin string }

var dfWomen = []dfName{{"خديجة", "Khadija"}, {"فاطمة", "Fatima"}, {"زينب", "Zineb"}, {"مريم", "Meryem"}, {"لطيفة", "Latifa"},
	{"هدى", "Houda"}, {"سميرة", "Samira"}, {"حنان", "Hanane"}, {"سهام", "Siham"}, {"أسماء", "Asmae"}, {"بشرى", "Bouchra"},
	{"كريمة", "Karima"}, {"نزهة", "Nezha"}, {"رجاء", "Rajae"}, {"لبنى", "Loubna"}, {"إلهام", "Ilham"}, {"مليكة", "Malika"},
	{"سعيدة", "Saida"}, {"حفصة", "Hafsa"}, {"سناء", "Sanaa"}, {"وفاء", "Wafae"}, {"إيمان", "Imane"}, {"هاجر", "Hajar"},
	{"عائشة", "Aicha"}}

var dfMen = []dfName{{"محمد", "Mohammed"}, {"أحمد", "Ahmed"}, {"عبد الله", "Abdellah"}, {"حميد", "Hamid"}, {"مصطفى", "Mustapha"},
	{"عبد الرحيم", "Abderrahim"}, {"إبراهيم", "Brahim"}, {"خالد", "Khalid"}, {"جمال", "Jamal"}, {"نور الدين", "Noureddine"},
	{"عزيز", "Aziz"}, {"محمد أمين", "Mohamed Amine"}, {"يونس", "Younes"}, {"طارق", "Tarik"}, {"عادل", "Adil"}, {"مراد", "Mourad"},
	{"نبيل", "Nabil"}, {"رضوان", "Redouane"}, {"أيوب", "Ayoub"}, {"سفيان", "Soufiane"}, {"عبد العزيز", "Abdelaziz"},
	{"لحسن", "Lahcen"}, {"الحسين", "El Houcine"}, {"عبد الإله", "Abdelilah"}, {"زكرياء", "Zakaria"}}

var dfFamilies = []dfName{{"الإدريسي", "Idrissi"}, {"العلمي", "Alami"}, {"بناني", "Bennani"}, {"زنيبر", "Zniber"},
	{"القباج", "Kabbaj"}, {"السلاوي", "Slaoui"}, {"كسوس", "Guessous"}, {"المرنيسي", "Mernissi"}, {"البوزيدي", "Bouzidi"},
	{"الوهبي", "Ouahbi"}, {"الخطابي", "El Khattabi"}, {"الحجي", "Hajji"}, {"بنموسى", "Benmoussa"}, {"الداودي", "Daoudi"},
	{"الريفي", "Rifi"}, {"الجابري", "Jabri"}, {"بلحاج", "Belhaj"}, {"السباعي", "Sbai"}, {"المنصوري", "Mansouri"},
	{"البقالي", "Bakkali"}, {"الشرقاوي", "Cherkaoui"}, {"الراجي", "Raji"}, {"الوافي", "El Ouafi"}, {"المتوكل", "Moutawakil"},
	{"آيت الطالب", "Aït Taleb"}, {"أمغار", "Amghar"}, {"أوشن", "Ouchen"}, {"الحداوي", "Haddaoui"}, {"السعدي", "Saadi"},
	{"الزياني", "Ziani"}, {"اللمراني", "Lamrani"}, {"الزروالي", "Zerouali"}, {"الناجي", "Naji"}, {"بوعزة", "Bouazza"},
	{"التويمي", "Touimi"}, {"بنشقرون", "Benchekroun"}, {"الصبار", "Sabbar"}, {"العثماني", "El Othmani"}}

// dfASCII is a Latin name as an e-mail address's part: lower case,
// accents and spaces dropped.
func dfASCII(s string) string {
	r := strings.NewReplacer("ï", "i", "î", "i", "â", "a", "é", "e", "è", "e", "ô", "o", " ", "", "’", "", "'", "")
	return strings.ToLower(r.Replace(s))
}

// Owners are the persons the demonstration adds as owners:
// Moroccan names in Arabic and Latin letters, unique e-mail addresses at
// example.ma and CIN numbers. They have no password.
func Owners() []identity.Enrolment {
	rng := rand.New(rand.NewPCG(demoFileSeedPeople, 1))
	taken := map[string]bool{}
	for _, d := range identitydemo.Accounts() {
		taken[d.Email], taken[d.CIN] = true, true
	}
	for _, d := range Architects() {
		taken[d.Email], taken[d.CIN] = true, true
	}
	prefixes := []string{"BE", "BH", "BJ", "BK", "BL", "BB", "BA", "BM", "BW", "BG"}
	mobiles := []string{"0661", "0662", "0663", "0664", "0665", "0666", "0667", "0668", "0670", "0700", "0708", "0770", "0771"}
	var out []identity.Enrolment
	for len(out) < OwnerCount {
		given := dfMen
		if rng.IntN(2) == 0 {
			given = dfWomen
		}
		g, f := given[rng.IntN(len(given))], dfFamilies[rng.IntN(len(dfFamilies))]
		email := dfASCII(g.latin) + "." + dfASCII(f.latin) + "@example.ma"
		cin := fmt.Sprintf("%s%06d", prefixes[rng.IntN(len(prefixes))], 100000+rng.IntN(900000))
		if taken[email] || taken[cin] {
			continue
		}
		taken[email], taken[cin] = true, true
		lang := "ar"
		switch n := rng.IntN(20); {
		case n >= 19:
			lang = "en"
		case n >= 11:
			lang = "fr"
		}
		out = append(out, identity.Enrolment{Email: email, GivenNameAR: g.ar, FamilyNameAR: f.ar, GivenNameLatin: g.latin,
			FamilyNameLatin: f.latin, CIN: cin, Lang: lang,
			Phone: fmt.Sprintf("%s %02d %02d %02d", mobiles[rng.IntN(len(mobiles))], rng.IntN(100), rng.IntN(100), rng.IntN(100))})
	}
	return out
}

// demoFilePro is a professional the demonstration adds, verified by the
// demonstration administrator.
type demoFilePro struct {
	identity.Enrolment
	Profession, Registration string
}

// Architects are the architects the demonstration adds beside
// Omar Berrada, so that owners do not all go to the same one.
func Architects() []demoFilePro {
	a := func(email, gAR, fAR, g, f, cin, phone, lang, reg string) demoFilePro {
		return demoFilePro{Enrolment: identity.Enrolment{Email: email, GivenNameAR: gAR, FamilyNameAR: fAR, GivenNameLatin: g,
			FamilyNameLatin: f, CIN: cin, Phone: phone, Lang: lang}, Profession: authz.Architect, Registration: reg}
	}
	return []demoFilePro{
		a("yasmine.benkirane@example.ma", "ياسمين", "بنكيران", "Yasmine", "Benkirane", "BE118842", "0661 84 21 07", "fr", "CNOA-1342"),
		a("anas.lahbabi@example.ma", "أنس", "لحبابي", "Anas", "Lahbabi", "BK209968", "0662 96 80 14", "ar", "CNOA-0968"),
		a("ghita.tahiri@example.ma", "غيثة", "الطاهري", "Ghita", "Tahiri", "BH331575", "0663 15 75 22", "fr", "CNOA-1575"),
		a("mounir.sebti@example.ma", "منير", "السبتي", "Mounir", "Sebti", "BJ442044", "0664 20 44 31", "ar", "CNOA-2044"),
	}
}

// demoFileAgent is the agent the demonstration adds at a window that has
// no demonstration account.
type demoFileAgent struct {
	Window string
	identity.Enrolment
}

// Agents are the agents of the windows without a demonstration
// account: they act in the files' timelines. They have no password.
func Agents() []demoFileAgent {
	a := func(w, email, gAR, fAR, g, f, lang string) demoFileAgent {
		return demoFileAgent{Window: w, Enrolment: identity.Enrolment{Email: email, GivenNameAR: gAR, FamilyNameAR: fAR,
			GivenNameLatin: g, FamilyNameLatin: f, Lang: lang}}
	}
	return []demoFileAgent{
		a("anfa", "nabil.chafik@example.ma", "نبيل", "شفيق", "Nabil", "Chafik", "fr"),
		a("sidi-belyout", "salwa.belkadi@example.ma", "سلوى", "بلقاضي", "Salwa", "Belkadi", "fr"),
		a("al-fida", "abdelhak.harti@example.ma", "عبد الحق", "الحارثي", "Abdelhak", "Harti", "ar"),
		a("mers-sultan", "leila.lazrak@example.ma", "ليلى", "لزرق", "Leila", "Lazrak", "fr"),
		a("ain-sebaa", "mustapha.maaroufi@example.ma", "مصطفى", "المعروفي", "Mustapha", "Maaroufi", "ar"),
		a("hay-mohammadi", "fatiha.ouali@example.ma", "فتيحة", "الوالي", "Fatiha", "Ouali", "ar"),
		a("roches-noires", "yassine.rami@example.ma", "ياسين", "الرامي", "Yassine", "Rami", "fr"),
		a("ain-chock", "najat.sentissi@example.ma", "نجاة", "السنتيسي", "Najat", "Sentissi", "fr"),
		a("hay-hassani", "abdessamad.tounsi@example.ma", "عبد الصمد", "التونسي", "Abdessamad", "Tounsi", "ar"),
		a("ben-msick", "hasnaa.yacoubi@example.ma", "حسناء", "اليعقوبي", "Hasnaa", "Yacoubi", "ar"),
		a("sbata", "jawad.zahraoui@example.ma", "جواد", "الزهراوي", "Jawad", "Zahraoui", "ar"),
		a("moulay-rachid", "rachida.bensaid@example.ma", "رشيدة", "بنسعيد", "Rachida", "Bensaid", "ar"),
		a("sidi-bernoussi", "anouar.chami@example.ma", "أنور", "الشامي", "Anouar", "Chami", "fr"),
		a("sidi-moumen", "sakina.kadiri@example.ma", "سكينة", "القادري", "Sakina", "Kadiri", "ar"),
	}
}

// demoFileCompany is a company one of the added owners manages.
type demoFileCompany struct {
	Manager int // index in Owners
	identity.LegalInput
}

// Companies are the companies the demonstration adds: a property
// developer, a telecommunications operator and a billboard firm.
func Companies() []demoFileCompany {
	c := func(m int, name, nameAR, ice, rc string) demoFileCompany {
		return demoFileCompany{Manager: m, LegalInput: identity.LegalInput{Kind: identity.Company, Name: name, NameAR: nameAR,
			ICE: ice, RC: rc, Role: identity.RoleManager}}
	}
	return []demoFileCompany{
		c(1, "Dar Al Baida Promotion SARL", "الدار البيضاء للإنعاش العقاري", "001234567000045", "398127"),
		c(2, "Atlas Réseaux Télécom SA", "أطلس لشبكات الاتصالات", "002987654000012", "287310"),
		c(3, "Casa Affichage Urbain SARL", "الدار البيضاء للإشهار الحضري", "003456789000078", "512664"),
	}
}

// Places.

// dfArr is an arrondissement as the demonstration places parcels in it:
// its approximate centre and some of its neighbourhoods (Arabic, French).
type dfArr struct {
	code     string
	lat, lon float64
	quarters []dfName
}

var dfArrs = []dfArr{
	{"anfa", 33.5925, -7.6560, []dfName{{"بوركون", "Bourgogne"}, {"راسين", "Racine"}, {"عين الذياب", "Aïn Diab"}, {"أنفا العليا", "Anfa Supérieur"}}},
	{"maarif", 33.5790, -7.6360, []dfName{{"المعاريف", "Maârif"}, {"النخيل", "Palmier"}, {"الأميرات", "Les Princesses"}, {"المعاريف الامتداد", "Maârif Extension"}}},
	{"sidi-belyout", 33.5950, -7.6150, []dfName{{"وسط المدينة", "Centre-ville"}, {"المدينة القديمة", "Ancienne Médina"}}},
	{"al-fida", 33.5690, -7.5930, []dfName{{"درب السلطان", "Derb Sultan"}, {"حي الفداء", "Hay Al Fida"}, {"درب الكبير", "Derb Al Kabir"}}},
	{"mers-sultan", 33.5820, -7.6040, []dfName{{"مرس السلطان", "Mers Sultan"}, {"الأحباس", "Habous"}, {"درب عمر", "Derb Omar"}}},
	{"ain-sebaa", 33.6010, -7.5400, []dfName{{"عين السبع", "Aïn Sebaâ"}, {"حي الفلاح", "Hay Al Falah"}, {"حي الجوهرة", "Hay Al Jawhara"}}},
	{"hay-mohammadi", 33.5880, -7.5620, []dfName{{"الحي المحمدي", "Hay Mohammadi"}, {"كاريان سنطرال", "Carrières Centrales"}, {"درب مولاي الشريف", "Derb Moulay Cherif"}}},
	{"roches-noires", 33.5960, -7.5800, []dfName{{"الصخور السوداء", "Roches Noires"}, {"بلفيدير", "Belvédère"}}},
	{"ain-chock", 33.5400, -7.6100, []dfName{{"عين الشق", "Aïn Chock"}, {"سيدي معروف", "Sidi Maârouf"}, {"كاليفورنيا", "Californie"}}},
	{"hay-hassani", 33.5600, -7.6700, []dfName{{"الحي الحسني", "Hay Hassani"}, {"الألفة", "Oulfa"}, {"ليساسفة", "Lissasfa"}}},
	{"ben-msick", 33.5640, -7.5840, []dfName{{"بن امسيك", "Ben M’Sick"}, {"حي الوحدة", "Hay Al Wahda"}, {"حي السلامة", "Hay Salama"}}},
	{"sbata", 33.5470, -7.5800, []dfName{{"سباتة", "Sbata"}, {"حي المسيرة", "Hay Al Massira"}}},
	{"moulay-rachid", 33.5450, -7.5480, []dfName{{"حي مولاي رشيد", "Hay Moulay Rachid"}, {"حي الصدري", "Hay Sadri"}, {"حي الفرح", "Hay Al Farah"}}},
	{"sidi-othmane", 33.5560, -7.5620, []dfName{{"سيدي عثمان", "Sidi Othmane"}, {"حي الأمل", "Hay Al Amal"}, {"حي جواد", "Hay Jawad"}}},
	{"sidi-bernoussi", 33.6120, -7.5050, []dfName{{"سيدي البرنوصي", "Sidi Bernoussi"}, {"حي القدس", "Hay Al Qods"}, {"حي الأزهر", "Hay Al Azhar"}}},
	{"sidi-moumen", 33.5820, -7.5180, []dfName{{"سيدي مومن", "Sidi Moumen"}, {"حي التشارك", "Hay Attacharouk"}}},
}

var dfBoulevards = []dfName{{"شارع القدس", "boulevard Al Qods"}, {"شارع مولاي إسماعيل", "boulevard Moulay Ismaïl"},
	{"شارع المسيرة", "boulevard Al Massira"}, {"شارع ابن سينا", "boulevard Ibn Sina"}, {"شارع الوحدة", "boulevard Al Wahda"},
	{"شارع عقبة بن نافع", "boulevard Oqba Ibn Nafii"}, {"شارع ابن تاشفين", "boulevard Ibn Tachfine"}, {"شارع الأدارسة", "boulevard des Idrissides"}}

// Documents.

// dfItemDoc says which demonstration document stands for each checklist
// item; items not listed get the technical note.
var dfItemDoc = map[string]string{
	"application": "demande", "completion_declaration": "demande", "cin": "cin", "ownership": "foncier",
	"company_statutes": "acte", "architect_contract": "acte", "trade_register": "acte", "premises_right": "acte",
	"site_agreement": "acte", "support_owner_agreement": "acte", "anrt_licence": "acte", "permit_copy": "acte",
	"site_book": "note", "works_note": "note", "demolition_method": "note", "specifications": "note",
	"electrical_note": "note", "hazards_notice": "note",
	"seismic_study": "etude", "fire_safety": "etude", "energy_efficiency": "etude", "stability_report": "etude",
	"impact_study": "etude", "exposure_study": "etude",
	"architect_certificate": "attestation", "engineer_certificate": "attestation", "surveyor_certificate": "attestation",
	"ae_certificate": "attestation",
	"situation_plan": "situation", "mass_plan": "masse", "architectural_plans": "architecture", "premises_sketch": "architecture",
	"survey_plan": "topo", "structure_plans": "structure", "equipment_plans": "structure",
	"subdivision_plans": "lotissement", "division_plan": "lotissement", "networks_files": "lotissement",
	"existing_plans": "existant", "billboard_mockup": "existant",
	"photos": "photo", "photo_montage": "photo",
}

// dfItemFile is the name an applicant's upload of an item bears.
var dfItemFile = map[string]string{
	"application": "demande-signee", "cin": "cin-recto-verso", "ownership": "certificat-de-propriete",
	"architect_contract": "contrat-architecte", "site_book": "cahier-de-chantier", "situation_plan": "plan-de-situation",
	"mass_plan": "plan-de-masse", "architectural_plans": "plans-architecture", "survey_plan": "plan-topographique",
	"structure_plans": "plans-beton-arme", "seismic_study": "etude-parasismique", "fire_safety": "securite-incendie",
	"energy_efficiency": "note-thermique", "photos": "photos-du-site", "works_note": "notice-des-travaux",
	"existing_plans": "plans-etat-existant", "company_statutes": "statuts", "premises_right": "bail-commercial",
	"ae_certificate": "attestation-auto-entrepreneur", "completion_declaration": "declaration-achevement",
}

// dfDoc is one demonstration document: what it says, and on what paper.
type dfDoc struct {
	titleAR, titleFR string
	plan             bool // an A3 landscape plan, else an A4 page
}

var dfDocs = map[string]dfDoc{
	"demande":      {"طلب الترخيص", "Demande d’autorisation", false},
	"cin":          {"نسخة من البطاقة الوطنية للتعريف", "Copie de la carte nationale d’identité", false},
	"foncier":      {"شهادة الملكية", "Certificat de propriété", false},
	"acte":         {"عقد", "Acte et contrat", false},
	"note":         {"مذكرة تقنية", "Note technique", false},
	"etude":        {"دراسة تقنية", "Étude technique", false},
	"attestation":  {"شهادة", "Attestation", false},
	"situation":    {"تصميم الموقع", "Plan de situation", true},
	"masse":        {"التصميم الكتلي", "Plan de masse", true},
	"architecture": {"التصاميم المعمارية", "Plans d’architecture", true},
	"topo":         {"التصميم الطبوغرافي", "Plan topographique", true},
	"structure":    {"تصاميم الخرسانة المسلحة", "Plans de béton armé", true},
	"lotissement":  {"تصميم التجزئة", "Plan de lotissement", true},
	"existant":     {"تصاميم الحالة الراهنة", "Plans de l’état existant", true},
}

// dfDocNames lists the demonstration documents in a fixed order.
func dfDocNames() []string {
	names := make([]string, 0, len(dfDocs))
	for n := range dfDocs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// dfDocuments makes the demonstration documents, once each: PDFs written with
// the city's PDF writer (plans on A3 landscape with a title block, other
// documents on an A4 page) and a photo as PNG. Revision "B" is what an
// applicant uploads when the window asks again. The same inputs always
// give the same bytes, so the content-addressed blob store keeps one copy
// of each however many files use it.
type dfDocuments struct {
	mu    sync.Mutex
	cache map[string][]byte
}

// get returns document name ("photo" or one of dfDocs) at revision rev.
func (d *dfDocuments) get(name, rev string) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	key := name + "/" + rev
	if b, ok := d.cache[key]; ok {
		return b, nil
	}
	var b []byte
	var err error
	if name == "photo" {
		b, err = demoPhoto(rev)
	} else {
		b, err = demoPDF(name, rev)
	}
	if err != nil {
		return nil, err
	}
	if d.cache == nil {
		d.cache = map[string][]byte{}
	}
	d.cache[key] = b
	return b, nil
}

// demoPDF writes demonstration document name at revision rev.
func demoPDF(name, rev string) ([]byte, error) {
	spec, ok := dfDocs[name]
	if !ok {
		return nil, fmt.Errorf("demo: no document %q", name)
	}
	size := pdf.A4
	if spec.plan {
		size = pdf.A3Landscape
	}
	doc := pdf.New(pdf.Options{Title: spec.titleFR + " — " + spec.titleAR, Author: "Madina (démonstration)",
		Subject: "Document de démonstration", Lang: "fr", Size: size})
	doc.AddPage()
	if spec.plan {
		dfDrawPlan(doc, name, spec, rev)
	} else {
		dfDrawPage(doc, name, spec, rev)
	}
	var b bytes.Buffer
	if _, err := doc.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("demo: document %s: %w", name, err)
	}
	return b.Bytes(), nil
}

// dfProjects is the project each plan shows, in Arabic and French.
var dfProjects = map[string]dfName{
	"situation":    {"منزل فردي بطابق أرضي وطابق علوي", "Maison individuelle R+1"},
	"masse":        {"منزل فردي بطابق أرضي وطابق علوي", "Maison individuelle R+1"},
	"architecture": {"منزل فردي بطابق أرضي وطابق علوي", "Maison individuelle R+1"},
	"topo":         {"رفع طبوغرافي للقطعة الأرضية", "Levé topographique de la parcelle"},
	"structure":    {"عمارة سكنية بطابق أرضي وأربعة طوابق", "Immeuble d’habitation R+4"},
	"lotissement":  {"تجزئة سكنية «الحدائق»", "Lotissement résidentiel « Les Jardins »"},
	"existant":     {"بناية قائمة", "Bâtiment existant"},
}

// dfDrawPlan draws a plan: frame, drawing, dimensions and title block.
func dfDrawPlan(doc *pdf.Document, name string, spec dfDoc, rev string) {
	sz := doc.Size()
	doc.Rect(pdf.Rect{X: 20, Y: 20, W: sz.W - 40, H: sz.H - 40}, 1.4)
	doc.Rect(pdf.Rect{X: 28, Y: 28, W: sz.W - 56, H: sz.H - 56}, 0.4)
	// Title block, bottom right.
	tb := pdf.Rect{X: sz.W - 420, Y: sz.H - 208, W: 392, H: 180}
	doc.Rect(tb, 1)
	for _, y := range []float64{46, 92, 124, 152} {
		doc.Line(tb.X, tb.Y+y, tb.X+tb.W, tb.Y+y, 0.5)
	}
	project := dfProjects[name]
	right := tb.X + tb.W - 10
	doc.Text(tb.X+10, tb.Y+20, 12, true, project.latin)
	doc.TextRight(right, tb.Y+39, 11, true, project.ar)
	doc.Text(tb.X+10, tb.Y+66, 11, false, spec.titleFR)
	doc.TextRight(right, tb.Y+84, 11, false, spec.titleAR)
	scale := map[string]string{"situation": "1/2000", "masse": "1/200", "topo": "1/500", "lotissement": "1/1000"}[name]
	if scale == "" {
		scale = "1/100"
	}
	doc.Text(tb.X+10, tb.Y+113, 9, false, "Échelle "+scale+" — Indice "+rev)
	doc.TextRight(right, tb.Y+113, 9, false, "السلم "+scale)
	doc.Text(tb.X+10, tb.Y+142, 9, false, "Cabinet d’architecture — Casablanca")
	doc.TextRight(right, tb.Y+170, 8, false, "وثيقة للعرض — منصة مدينة")
	doc.Text(tb.X+10, tb.Y+170, 8, false, "Document de démonstration")
	// North arrow.
	nx, ny := sz.W-80.0, 80.0
	doc.Line(nx, ny+40, nx, ny-10, 1)
	doc.Line(nx, ny-10, nx-8, ny+6, 1)
	doc.Line(nx, ny-10, nx+8, ny+6, 1)
	doc.Text(nx-4, ny+58, 12, true, "N")

	area := pdf.Rect{X: 60, Y: 60, W: sz.W - 520, H: sz.H - 120}
	dim := func(x1, y1, x2, y2 float64, label string) {
		doc.Line(x1, y1, x2, y2, 0.4)
		doc.Line(x1, y1-4, x1, y1+4, 0.4)
		doc.Line(x2, y2-4, x2, y2+4, 0.4)
		doc.Text((x1+x2)/2-doc.Width(label, 8, false)/2, (y1+y2)/2-4, 8, false, label)
	}
	shift := 0.0
	if rev != "A" {
		shift = 24 // the revised plan moves a wall and adds its dimensions
	}
	switch name {
	case "situation":
		// Streets, blocks and the parcel, filled.
		for i := range 5 {
			y := area.Y + 40 + float64(i)*120
			doc.Line(area.X, y, area.X+area.W, y, 0.8)
			doc.Line(area.X, y+18, area.X+area.W, y+18, 0.8)
		}
		for i := range 6 {
			x := area.X + 30 + float64(i)*110
			doc.Line(x, area.Y, x, area.Y+area.H, 0.8)
			doc.Line(x+18, area.Y, x+18, area.Y+area.H, 0.8)
		}
		doc.FillRect(pdf.Rect{X: area.X + 268 + shift, Y: area.Y + 300, W: 60, H: 70}, 0.55)
		label := func(x, y, size float64, s string, rtl bool) {
			w := doc.Width(s, size, true)
			if rtl {
				x -= w
			}
			doc.FillRect(pdf.Rect{X: x - 3, Y: y - size - 1, W: w + 6, H: size + 6}, 1)
			doc.Text(x, y, size, true, s)
		}
		label(area.X+236, area.Y+280, 10, "Parcelle objet de la demande", false)
		label(area.X+430, area.Y+396, 10, "\u200fالقطعة الأرضية موضوع الطلب", true)
		label(area.X+40, area.Y+176, 9, "Boulevard principal", false)
		label(area.X+area.W-40, area.Y+416, 9, "\u200fزنقة 12", true)
	case "masse":
		parcel := pdf.Rect{X: area.X + 120, Y: area.Y + 100, W: 420, H: 480}
		doc.Rect(parcel, 1.6)
		doc.FillRect(pdf.Rect{X: parcel.X + 40, Y: parcel.Y + 60 + shift, W: 340, H: 320}, 0.8)
		doc.Rect(pdf.Rect{X: parcel.X + 40, Y: parcel.Y + 60 + shift, W: 340, H: 320}, 1.2)
		dim(parcel.X, parcel.Y-20, parcel.X+parcel.W, parcel.Y-20, "12,00 m")
		dim(parcel.X+40, parcel.Y+parcel.H+20, parcel.X+380, parcel.Y+parcel.H+20, "10,20 m")
		doc.Text(parcel.X+150, parcel.Y+230, 12, true, "Emprise bâtie")
		doc.TextRight(parcel.X+270, parcel.Y+256, 12, true, "المساحة المبنية")
		doc.Text(parcel.X+150, parcel.Y+40+shift/2, 9, false, "Recul 3,00 m")
		doc.Text(parcel.X, parcel.Y+parcel.H+48, 10, false, "Voie 12 m — Rue 12")
	case "architecture", "existant":
		// A floor plan: outer walls, partitions, doors and room names.
		w := pdf.Rect{X: area.X + 60, Y: area.Y + 60, W: 560, H: 440}
		doc.Rect(w, 3)
		doc.Rect(pdf.Rect{X: w.X + 6, Y: w.Y + 6, W: w.W - 12, H: w.H - 12}, 0.6)
		doc.Line(w.X+280+shift, w.Y, w.X+280+shift, w.Y+w.H, 2)
		doc.Line(w.X, w.Y+240, w.X+280+shift, w.Y+240, 2)
		doc.Line(w.X+280+shift, w.Y+180, w.X+w.W, w.Y+180, 2)
		doc.Line(w.X+420, w.Y+180, w.X+420, w.Y+w.H, 2)
		rooms := []struct {
			x, y   float64
			fr, ar string
		}{{90, 120, "Salon", "صالون"}, {90, 340, "Cuisine", "مطبخ"}, {360, 90, "Chambre 1", "غرفة 1"},
			{320, 320, "Chambre 2", "غرفة 2"}, {450, 320, "Salle d’eau", "حمام"}}
		for _, r := range rooms {
			doc.Text(w.X+r.x, w.Y+r.y, 11, true, r.fr)
			doc.TextRight(w.X+r.x+doc.Width(r.fr, 11, true), w.Y+r.y+18, 10, false, r.ar)
		}
		dim(w.X, w.Y-24, w.X+w.W, w.Y-24, "14,00 m")
		dim(w.X-30, w.Y, w.X-30, w.Y+w.H, "")
		doc.Text(w.X-56, w.Y+w.H/2, 8, false, "11,00 m")
		label := "Rez-de-chaussée"
		if name == "existant" {
			label = "État existant — niveau courant"
		}
		doc.Text(w.X, w.Y+w.H+40, 12, true, label)
		if name == "architecture" {
			// Second page: the façade on the street.
			doc.AddPage()
			f := pdf.Rect{X: area.X + 80, Y: area.Y + 120, W: 520, H: 380}
			doc.Rect(f, 2)
			doc.Line(f.X, f.Y+190, f.X+f.W, f.Y+190, 1)
			for i := range 4 {
				x := f.X + 40 + float64(i)*120
				doc.Rect(pdf.Rect{X: x, Y: f.Y + 50, W: 70 + shift/4, H: 90}, 0.8)
				doc.Rect(pdf.Rect{X: x, Y: f.Y + 240, W: 70, H: 90}, 0.8)
			}
			doc.Line(f.X-40, f.Y+f.H, f.X+f.W+40, f.Y+f.H, 2)
			dim(f.X+f.W+24, f.Y, f.X+f.W+24, f.Y+f.H, "")
			doc.Text(f.X+f.W+32, f.Y+f.H/2, 8, false, "7,20 m")
			doc.Text(f.X, f.Y+f.H+40, 12, true, "Façade sur rue")
			doc.TextRight(f.X+f.W, f.Y+f.H+40, 12, true, "الواجهة المطلة على الشارع")
		}
	case "topo":
		pts := [][2]float64{{120, 140}, {560, 110}, {600, 520}, {150, 560}}
		for i, p := range pts {
			q := pts[(i+1)%len(pts)]
			doc.Line(area.X+p[0], area.Y+p[1], area.X+q[0], area.Y+q[1], 1.4)
			doc.FillRect(pdf.Rect{X: area.X + p[0] - 3, Y: area.Y + p[1] - 3, W: 6, H: 6}, 0)
			doc.Text(area.X+p[0]+8, area.Y+p[1]-8, 9, true, fmt.Sprintf("B%d", i+1))
			doc.Text(area.X+p[0]+8, area.Y+p[1]+8, 7, false, fmt.Sprintf("X=%d.%02d Y=%d.%02d", 298400+i*17, i*13, 331200+i*21, i*7+int(shift)))
		}
		for i := range 6 {
			y := area.Y + 160 + float64(i)*60
			doc.Line(area.X+130, y, area.X+590, y+20, 0.3)
			doc.Text(area.X+600, y+22, 7, false, fmt.Sprintf("%d,%d m", 42+i, i*5))
		}
		doc.Text(area.X+280, area.Y+330, 12, true, "Superficie : 2 a 46 ca")
		doc.TextRight(area.X+460, area.Y+352, 11, false, "المساحة: 2 آر 46 سنتيآر")
	case "structure":
		// Column grid and beams, with axes.
		for i := range 5 {
			x := area.X + 80 + float64(i)*130
			doc.Line(x, area.Y+40, x, area.Y+560, 0.3)
			doc.Text(x-4, area.Y+30, 10, true, string(rune('A'+i)))
			for j := range 4 {
				y := area.Y + 80 + float64(j)*150
				doc.FillRect(pdf.Rect{X: x - 8, Y: y - 8, W: 16, H: 16}, 0.1)
				if i < 4 {
					doc.Line(x+8, y, x+122, y, 1.6)
				}
				if j < 3 {
					doc.Line(x, y+8, x, y+142, 1.6)
				}
			}
		}
		for j := range 4 {
			doc.Text(area.X+40, area.Y+84+float64(j)*150, 10, true, fmt.Sprint(j+1))
		}
		doc.Text(area.X+80, area.Y+600, 10, false, "Poteaux 25×25 — Poutres 25×45 — Béton B25, acier FeE500")
		doc.TextRight(area.X+600, area.Y+620, 10, false, "أعمدة 25×25 — روافد 25×45")
	case "lotissement":
		lot := 0
		for j := range 4 {
			if j == 2 {
				continue // the street
			}
			for i := range 6 {
				x := area.X + 60 + float64(i)*95
				y := area.Y + 60 + float64(j)*120
				lot++
				doc.Rect(pdf.Rect{X: x, Y: y, W: 90, H: 110}, 0.8)
				doc.Text(x+30, y+60, 10, false, fmt.Sprintf("Lot %d", lot))
			}
		}
		doc.Text(area.X+200, area.Y+60+2*120+60, 10, true, "Voie projetée 15 m")
		doc.FillRect(pdf.Rect{X: area.X + 60, Y: area.Y + 560, W: 180 + shift, H: 50}, 0.85)
		doc.Text(area.X+70, area.Y+590, 9, false, "Espace vert")
		doc.TextRight(area.X+230, area.Y+606, 9, false, "مساحة خضراء")
	}
}

// dfDrawPage writes an A4 document: the commune's header, a title in both
// languages, a few lines that say what the document is, a signature box.
func dfDrawPage(doc *pdf.Document, name string, spec dfDoc, rev string) {
	sz := doc.Size()
	const margin = 56.0
	width := sz.W - 2*margin
	y := 60.0
	doc.Text(margin, y, 10, false, "Royaume du Maroc — Casablanca")
	doc.TextRight(sz.W-margin, y, 10, false, "المملكة المغربية — الدار البيضاء")
	y += 14
	doc.Line(margin, y, sz.W-margin, y, 0.6)
	y += 36
	doc.TextRight(sz.W-margin, y, 18, true, spec.titleAR)
	y += 28
	doc.Text(margin, y, 16, true, spec.titleFR)
	y += 30
	if name == "cin" {
		card := pdf.Rect{X: margin + 40, Y: y, W: 300, H: 190}
		doc.Rect(card, 1.2)
		doc.FillRect(pdf.Rect{X: card.X + 16, Y: card.Y + 50, W: 80, H: 100}, 0.75)
		doc.Text(card.X+110, card.Y+30, 9, true, "CARTE NATIONALE D’IDENTITÉ")
		doc.TextRight(card.X+card.W-12, card.Y+50, 9, true, "البطاقة الوطنية للتعريف")
		doc.Text(card.X+110, card.Y+90, 12, true, "SPÉCIMEN — نموذج")
		doc.Text(card.X+110, card.Y+130, 8, false, "Recto et verso — document de démonstration")
		y += 220
	}
	y += doc.Paragraph(pdf.Rect{X: margin, Y: y, W: width}, 11, false,
		"وثيقة للعرض أعدتها منصة مدينة لملفات الرخص التجريبية. لا تثبت أي حق ولا تحمل أي معطيات شخصية.", true)
	y += 8
	y += doc.Paragraph(pdf.Rect{X: margin, Y: y, W: width}, 10.5, false,
		"Document de démonstration produit par la plateforme Madina pour les dossiers d’exemple. Il n’atteste aucun droit "+
			"et ne contient aucune donnée personnelle. Version "+rev+".", false)
	y += 24
	for i := range 8 {
		doc.Line(margin, y+float64(i)*22, sz.W-margin-float64(i%3)*60, y+float64(i)*22, 0.3)
	}
	box := pdf.Rect{X: sz.W - margin - 200, Y: sz.H - 200, W: 200, H: 110}
	doc.Rect(box, 0.8)
	doc.Text(box.X+10, box.Y+20, 9, false, "Signature et cachet")
	doc.TextRight(box.X+box.W-10, box.Y+38, 9, false, "التوقيع والختم")
}

// demoPhoto draws a small photo of a street front as PNG: sky, façades
// with windows, pavement. Revision B is taken on a clearer day.
func demoPhoto(rev string) ([]byte, error) {
	const w, h = 320, 220
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	skyTop := color.RGBA{110, 160, 210, 255}
	if rev != "A" {
		skyTop = color.RGBA{70, 140, 220, 255}
	}
	for y := range h {
		for x := range w {
			c := color.RGBA{
				R: uint8(int(skyTop.R) + (230-int(skyTop.R))*y/h),
				G: uint8(int(skyTop.G) + (235-int(skyTop.G))*y/h),
				B: uint8(int(skyTop.B) + (240-int(skyTop.B))*y/h), A: 255}
			img.SetRGBA(x, y, c)
		}
	}
	fill := func(x0, y0, x1, y1 int, c color.RGBA) {
		for y := max(0, y0); y < min(h, y1); y++ {
			for x := max(0, x0); x < min(w, x1); x++ {
				img.SetRGBA(x, y, c)
			}
		}
	}
	facades := []struct {
		x0, x1, top int
		c           color.RGBA
	}{{0, 90, 70, color.RGBA{226, 208, 178, 255}}, {90, 200, 40, color.RGBA{240, 236, 226, 255}},
		{200, 320, 90, color.RGBA{214, 190, 160, 255}}}
	for _, f := range facades {
		fill(f.x0, f.top, f.x1, 190, f.c)
		for y := f.top + 14; y < 170; y += 34 {
			for x := f.x0 + 12; x < f.x1-20; x += 30 {
				fill(x, y, x+16, y+20, color.RGBA{70, 80, 95, 255})
			}
		}
	}
	fill(0, 190, w, h, color.RGBA{150, 150, 148, 255})
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Loading.

// demoFileClock is the demonstration service's clock: it only moves
// forward, step after step of the stories.
type demoFileClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *demoFileClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// advance moves the clock to t, unless it is past t already.
func (c *demoFileClock) advance(t time.Time) {
	c.mu.Lock()
	if t.After(c.t) {
		c.t = t
	}
	c.mu.Unlock()
}

// dfOwner is an owner as the stories need it: who they are, and the actor
// that acts in their name (themselves, or their representative acting for
// the company or association).
type dfOwner struct {
	key       string // e-mail address of the person, or the legal person's name
	person    int64
	legal     int64
	lang      string
	ownerKind string // the owner_kind field: person, company, association
	actor     authz.Actor
	architect int // index in the architects; preferred for this owner
}

// dfStep is one moment of a file's story.
type dfStep struct {
	op       string
	at       time.Time     // when, unless appt is set
	appt     time.Duration // > 0: this long after the deposit appointment
	items    []string      // uploads
	want     time.Time     // book: the appointment wished for
	approve  bool          // decide
	revision string        // uploads: the documents' revision
	body     string        // opinion: the body whose member gives it
	verdict  string        // opinion
	round    int           // opinion: the round it is for
	partial  bool          // answer: only the first remark is answered
}

// dfFile is a demonstration file: what it is, and its story.
type dfFile struct {
	n        int
	kind     *permit.Kind
	owner    *dfOwner
	pro      int64 // the professional filing under mandate; 0: the owner files
	in       permit.Input
	size     string // small, city, public
	window   string // where the routing rule sends it
	schedule permit.Schedule
	final    string
	missing  []string // what the window asks for when it returns the file
	note     string
	reason   string // of a refusal
	steps    []dfStep
	next     int
	// the committee: its type, the bodies that will sit on the file, the
	// variant of its committee story
	committee permit.Committee
	bodies    []string
	variant   string
	// how long before now its committee story must end for the story
	// after the works planned on it to fit (afterWorksLeads)
	lead time.Duration
	// as played
	id   int64
	appt time.Time
	last time.Time
	idx  int               // in the heap
	orgs map[string]string // the organisation holding each body's seat
}

// at is when the file's next step happens.
func (f *dfFile) at() time.Time {
	s := f.steps[f.next]
	t := s.at
	if s.appt > 0 {
		t = f.appt.Add(s.appt)
	}
	if next := f.last.Add(time.Minute); t.Before(next) {
		t = next
	}
	return t
}

type dfQueue []*dfFile

func (q dfQueue) Len() int { return len(q) }
func (q dfQueue) Less(i, j int) bool {
	a, b := q[i].at(), q[j].at()
	if !a.Equal(b) {
		return a.Before(b)
	}
	return q[i].n < q[j].n
}
func (q dfQueue) Swap(i, j int)   { q[i], q[j] = q[j], q[i]; q[i].idx, q[j].idx = i, j }
func (q *dfQueue) Push(x any)     { f := x.(*dfFile); f.idx = len(*q); *q = append(*q, f) }
func (q *dfQueue) Pop() (out any) { old := *q; out, *q = old[len(old)-1], old[:len(old)-1]; return out }

// demoFiles is one load of the demonstration files.
type demoFiles struct {
	a       *deps
	svc     *permit.Service
	clock   *demoFileClock
	cal     *calendar.Calendar
	docs    *dfDocuments
	locate  func(ctx context.Context, geojson, lat, lon string) (permit.Location, error)
	end     time.Time // now: no story goes past it
	begin   time.Time
	rng     *rand.Rand // what the files are
	trng    *rand.Rand // when things happen
	owners  []*dfOwner // added owners, by index of Owners
	demo    map[string]*dfOwner
	archs   []int64 // architects: Omar Berrada first
	pros    map[int64]authz.Actor
	proInfo map[int64]permit.Party
	agents  map[string]authz.Actor
	// committee members by organisation, presidents by window
	members    map[string]authz.Actor
	memberLang map[int64]string
	presidents map[string]authz.Actor
	files      []*dfFile
	swept      calendar.Date
	// The sessions of the last days (minutes.go): how many minutes drawn
	// up per window, nil before they start.
	sat   map[string]int
	after map[int]*dfAfter // after-works stories, by granted permit (afterworks.go)
}

// Load loads the demonstration permit files, unless they are there
// already.
func Load(ctx context.Context, env *module.Env, out io.Writer) error {
	a, err := need(env)
	if err != nil {
		return err
	}
	return a.load(ctx, out)
}

// deps are the services the demonstration files are played through.
type deps struct {
	Cfg       config.Config
	DB        *db.DB
	Blobs     blob.Store
	Notify    *notify.Service
	Jobs      *jobs.Queue
	Log       *slog.Logger
	Identity  *identity.Service
	Staff     *staff.Service
	Districts *district.Store
	Catalogue *permit.Catalogue
	Permit    *permit.Service
}

func need(env *module.Env) (*deps, error) {
	a := &deps{Cfg: env.Cfg, DB: env.DB, Blobs: env.Blobs, Notify: env.Notify, Jobs: env.Jobs, Log: env.Log}
	var err error
	if a.Identity, err = module.Need[*identity.Service](env); err != nil {
		return nil, err
	}
	if a.Staff, err = module.Need[*staff.Service](env); err != nil {
		return nil, err
	}
	if a.Districts, err = module.Need[*district.Store](env); err != nil {
		return nil, err
	}
	if a.Catalogue, err = module.Need[*permit.Catalogue](env); err != nil {
		return nil, err
	}
	if a.Permit, err = module.Need[*permit.Service](env); err != nil {
		return nil, err
	}
	return a, nil
}

// load loads the demonstration permit files, unless they are
// there already.
func (a *deps) load(ctx context.Context, out io.Writer) error {
	owners := Owners()
	if p, err := a.Identity.PersonByEmail(ctx, owners[0].Email); err == nil {
		mine, err := a.Permit.Mine(ctx, authz.Actor{Person: p.ID, EmailVerified: true, Now: time.Now()})
		if err != nil {
			return fmt.Errorf("demo: files: %w", err)
		}
		if len(mine) > 0 {
			fmt.Fprintln(out, "demo: the demonstration permit files are already there (docs/DEMO.md)")
			return a.seal(ctx, out)
		}
	} else if !errs.Is(err, errs.NotFound) {
		return fmt.Errorf("demo: files: %w", err)
	}
	if err := a.loadAt(ctx, out, owners, nowOf(ctx)); err != nil {
		return err
	}
	return a.seal(ctx, out)
}

// seal has the receipts of the accepted files, and the decisions no
// officer signed, sealed with the commune's seal now (the demonstration
// runs no jobs): those sealed already stay.
func (a *deps) seal(ctx context.Context, out io.Writer) error {
	receipts, decisions, err := a.Permit.SealIssued(ctx)
	if err != nil {
		return fmt.Errorf("demo: seal: %w", err)
	}
	if receipts+decisions > 0 {
		fmt.Fprintf(out, "demo: %d receipts and %d decisions sealed by the commune\n", receipts, decisions)
	}
	return nil
}

// At has the demonstration files loaded in ctx as if now were t: a test
// loads them on the day and at the hour a story once failed to fit.
func At(ctx context.Context, t time.Time) context.Context {
	return context.WithValue(ctx, nowKey{}, t)
}

type nowKey struct{}

// nowOf is when ctx has the demonstration loaded: now unless At said.
func nowOf(ctx context.Context) time.Time {
	if t, ok := ctx.Value(nowKey{}).(time.Time); ok {
		return t
	}
	return time.Now()
}

// DemoPIN is the signing PIN of the demonstration's certificates
// (signaturedemo.DemoPIN, docs/DEMO.md).
const DemoPIN = "246813"

// loadAt loads the demonstration files as if now were end.
func (a *deps) loadAt(ctx context.Context, out io.Writer, owners []identity.Enrolment, end time.Time) error {
	end = end.UTC().Truncate(time.Second)
	d := &demoFiles{a: a, clock: &demoFileClock{t: end.AddDate(0, 0, -Days-1)}, cal: calendar.Default(),
		docs: &dfDocuments{}, locate: permit.Locator(a.territory), end: end, begin: end.AddDate(0, 0, -Days),
		rng: rand.New(rand.NewPCG(demoFileSeedFiles, 1)), trng: rand.New(rand.NewPCG(demoFileSeedTimes, 1)),
		demo: map[string]*dfOwner{}, pros: map[int64]authz.Actor{}, proInfo: map[int64]permit.Party{}, agents: map[string]authz.Actor{}}
	// The demonstration loads in a quiet context (App.LoadDemo): its
	// events are flagged silent, and its people get no message.
	d.svc = permit.NewService(permit.Deps{DB: a.DB, Catalogue: a.Catalogue, Calendar: d.cal, Blobs: a.Blobs, Notify: a.Notify,
		People: a.Identity.Store(), Staff: a.Identity.Store(), Places: a.Districts, Events: a.Jobs, Log: a.Log,
		Locate: d.locate, InspectPDF: pdf.InspectPages, Signatures: a.Permit.Deps().Signatures},
		permit.Config{BaseURL: a.Cfg.BaseURL, Now: d.clock.Now})
	if err := d.people(ctx, owners); err != nil {
		return fmt.Errorf("demo: files: %w", err)
	}
	if err := d.plan(ctx); err != nil {
		return fmt.Errorf("demo: files: %w", err)
	}
	if err := d.mandates(ctx); err != nil {
		return fmt.Errorf("demo: files: mandates: %w", err)
	}
	if err := d.play(ctx); err != nil {
		return fmt.Errorf("demo: files: %w", err)
	}
	if err := d.signPlans(ctx); err != nil {
		return fmt.Errorf("demo: files: sign plans: %w", err)
	}
	sessions, err := d.sessions(ctx)
	if err != nil {
		return fmt.Errorf("demo: files: committee sessions: %w", err)
	}
	if err := d.summary(ctx, out); err != nil {
		return err
	}
	fmt.Fprintf(out, "demo: %d committee sessions in the coming %d weeks, their agendas planned\n", sessions, permit.SessionWeeks)
	return d.committeeExamples(ctx, out)
}

// signPlans has the architects sign, with their demonstration
// certificate, the architectural plans of every other draft of theirs
// (the rest stay to be signed by whoever tries the demonstration).
func (d *demoFiles) signPlans(ctx context.Context) error {
	if d.a.Permit.Deps().Signatures == nil {
		return nil
	}
	n := 0
	for _, f := range d.files {
		if f.id == 0 || f.pro == 0 || f.final != dfDraft {
			continue
		}
		n++
		if n%2 == 0 {
			continue
		}
		a := d.filer(f)
		v, err := d.svc.View(ctx, a, f.id)
		if err != nil {
			return err
		}
		for _, doc := range v.Documents {
			if doc.Item == "architectural_plans" && v.Signable[doc.ID] {
				if _, err := d.svc.SignDocument(ctx, a, f.id, doc.ID, DemoPIN); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// people opens the accounts the files need: the added owners and their
// companies, architects and window agents, and finds the demonstration
// accounts that own files or act on them.
func (d *demoFiles) people(ctx context.Context, owners []identity.Enrolment) error {
	a := d.a
	op := staff.System("demo")
	find := func(e identity.Enrolment) (int64, error) {
		if p, err := a.Identity.PersonByEmail(ctx, e.Email); err == nil {
			return p.ID, nil
		} else if !errs.Is(err, errs.NotFound) {
			return 0, err
		}
		res, err := a.Identity.Enrol(ctx, op.Actor, op.Label, e)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", e.Email, err)
		}
		return res.PersonID, nil
	}
	id := func(email string) (int64, error) {
		p, err := a.Identity.PersonByEmail(ctx, email)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", email, err)
		}
		return p.ID, nil
	}
	self := func(p int64) authz.Actor { return authz.Actor{Person: p, EmailVerified: true, Now: time.Now()} }
	// The administrator verifies the added professionals.
	admin, err := id("nadia.bensouda@example.ma")
	if err != nil {
		return err
	}
	omar, err := id("omar.berrada@example.ma")
	if err != nil {
		return err
	}
	d.archs = []int64{omar}
	for _, pr := range Architects() {
		p, err := find(pr.Enrolment)
		if err != nil {
			return err
		}
		if err := identitydemo.Professional(ctx, a.Identity, a.Staff, self(p),
			identitydemo.Account{Profession: pr.Profession, Registration: pr.Registration, Verified: true}, admin); err != nil {
			return fmt.Errorf("%s: %w", pr.Email, err)
		}
		d.archs = append(d.archs, p)
	}
	for _, ag := range Agents() {
		res, err := a.Staff.EnrolStaff(ctx, op, ag.Enrolment, staff.GrantSpec{Role: authz.WindowAgent, Org: ag.Window, Window: ag.Window})
		if err != nil {
			return fmt.Errorf("%s: %w", ag.Email, err)
		}
		if err := a.Identity.EnableTOTPSecret(ctx, op.Actor, res.PersonID, identitydemo.TOTPSecret); err != nil {
			return fmt.Errorf("%s: %w", ag.Email, err)
		}
		d.agents[ag.Window] = dfAgent(res.PersonID, ag.Window, ag.Window)
	}
	for _, ag := range []struct{ email, org, window string }{{"amina.idrissi@example.ma", "commune", "city"},
		{"abdelkader.fassi@example.ma", "sidi-othmane", "sidi-othmane"}, {"souad.chraibi@example.ma", "maarif", "maarif"}} {
		p, err := id(ag.email)
		if err != nil {
			return err
		}
		d.agents[ag.window] = dfAgent(p, ag.org, ag.window)
	}
	if err := d.committeePeople(ctx); err != nil {
		return err
	}
	// Professionals named on files: the demonstration's engineer and surveyor.
	for _, pr := range []struct{ email, role, name, reg string }{{"hicham.naciri@example.ma", permit.PartyEngineer, "Hicham Naciri", "ING-2016-0452"},
		{"rachid.lahlou@example.ma", permit.PartySurveyor, "Rachid Lahlou", "ONIGT-0734"}} {
		p, err := id(pr.email)
		if err != nil {
			return err
		}
		d.proInfo[p] = permit.Party{Role: pr.role, PersonID: p, Name: pr.name, Registration: pr.reg}
	}
	// The added owners, and the companies three of them manage.
	for _, e := range owners {
		p, err := find(e)
		if err != nil {
			return err
		}
		// Each owner has an architect; Omar Berrada has a third of them.
		arch := d.rng.IntN(len(d.archs) + 1)
		if arch >= len(d.archs) {
			arch = 0
		}
		d.owners = append(d.owners, &dfOwner{key: e.Email, person: p, lang: e.Lang, ownerKind: "person", actor: self(p), architect: arch})
	}
	legal := func(rep int64, in identity.LegalInput) (int64, error) {
		have, err := a.Identity.LegalPersons(ctx, self(rep))
		if err != nil {
			return 0, err
		}
		for _, l := range have {
			if l.Kind == in.Kind && (in.ICE != "" && l.ICE == in.ICE || in.AssociationNumber != "" && l.AssociationNumber == in.AssociationNumber) {
				return l.ID, nil
			}
		}
		return a.Identity.RegisterLegalPerson(ctx, self(rep), in)
	}
	actingFor := func(rep, l int64) authz.Actor {
		return authz.Actor{Person: rep, EmailVerified: true, ActingFor: l, Represents: []int64{l}, Now: time.Now()}
	}
	for i, c := range Companies() {
		rep := d.owners[c.Manager]
		l, err := legal(rep.person, c.LegalInput)
		if err != nil {
			return fmt.Errorf("%s: %w", c.Name, err)
		}
		d.demo[c.Name] = &dfOwner{key: c.Name, legal: l, lang: rep.lang, ownerKind: "company", actor: actingFor(rep.person, l),
			architect: 1 + i%(len(d.archs)-1)}
	}
	// The demonstration accounts that own files.
	for _, o := range []struct{ email, legal, ownerKind string }{{"youssef.elamrani@example.ma", "", "person"},
		{"khadija.ouazzani@example.ma", "", "person"}, {"mehdi.tazi@example.ma", "002345678000091", "company"},
		{"naima.bennis@example.ma", "2019/0456", "association"}} {
		p, err := a.Identity.PersonByEmail(ctx, o.email)
		if err != nil {
			return fmt.Errorf("%s: %w", o.email, err)
		}
		owner := &dfOwner{key: o.email, person: p.ID, lang: p.Lang, ownerKind: o.ownerKind, actor: self(p.ID)}
		if o.legal != "" {
			have, err := a.Identity.LegalPersons(ctx, self(p.ID))
			if err != nil {
				return err
			}
			i := slices.IndexFunc(have, func(l identity.LegalPerson) bool { return l.ICE == o.legal || l.AssociationNumber == o.legal })
			if i < 0 {
				return fmt.Errorf("%s does not represent %s", o.email, o.legal)
			}
			owner.person, owner.legal, owner.actor = 0, have[i].ID, actingFor(p.ID, have[i].ID)
		}
		d.demo[o.email] = owner
	}
	return nil
}

// dfAgent is a window agent as the policy sees them, signed in with the
// second factor.
func dfAgent(person int64, org, window string) authz.Actor {
	return authz.Actor{Person: person, EmailVerified: true, MFA: true, Now: time.Now(),
		Grants: []authz.Grant{{Role: authz.WindowAgent, Org: org, Window: window}}}
}

// mandates has each owner whose files a professional prepares give that
// professional a mandate for the kind, and gives the professionals' actors
// the mandates they hold.
func (d *demoFiles) mandates(ctx context.Context) error {
	type key struct {
		owner *dfOwner
		pro   int64
		kind  string
	}
	seen := map[key]bool{}
	var pros []int64
	for _, f := range d.files {
		// The filing professional, and the professionals named as parties
		// (a party may only name someone under the owner's mandate).
		named := []int64{f.pro}
		for _, p := range f.in.Parties {
			named = append(named, p.PersonID)
		}
		if f.pro != 0 && !slices.Contains(pros, f.pro) {
			pros = append(pros, f.pro)
		}
		for _, pro := range named {
			k := key{f.owner, pro, f.kind.Code}
			if pro == 0 || seen[k] {
				continue
			}
			seen[k] = true
			p, err := d.a.Identity.Store().Person(ctx, d.a.DB, pro)
			if err != nil {
				return err
			}
			_, err = d.a.Identity.GrantMandate(ctx, f.owner.actor, identity.MandateInput{Professional: p.Email, Scope: identity.ScopeKind,
				PermitKind: f.kind.Code})
			if err != nil && !errs.Is(err, errs.Conflict) {
				return fmt.Errorf("%s to %s: %w", f.owner.key, p.Email, err)
			}
		}
	}
	for _, pro := range pros {
		self := authz.Actor{Person: pro, EmailVerified: true, Now: time.Now()}
		pr, err := d.a.Identity.Profession(ctx, self)
		if err != nil {
			return fmt.Errorf("professional %d: %w", pro, err)
		}
		_, received, err := d.a.Identity.Mandates(ctx, self)
		if err != nil {
			return err
		}
		self.Profession, self.ProfessionalVerified = pr.Profession, pr.Verified()
		for _, m := range received {
			if m.RevokedAt == nil {
				self.Mandates = append(self.Mandates, authz.Mandate{ID: m.ID, OwnerPerson: m.Owner.Person, OwnerLegal: m.Owner.Legal,
					FileRef: m.FileRef, PermitKind: m.PermitKind, Starts: m.Starts, Ends: m.Ends})
			}
		}
		self.Now = time.Now()
		d.pros[pro] = self
	}
	return nil
}

// filer is the actor who prepares f: the professional under mandate, or
// the owner.
func (d *demoFiles) filer(f *dfFile) authz.Actor {
	if f.pro != 0 {
		return d.pros[f.pro]
	}
	return f.owner.actor
}

// Planning: what the files are.

// dfScripted are the files of the demonstration accounts: what signing in
// as them shows.
var dfScripted = []struct {
	owner, kind, arr, size, final string
	pro                           string // e-mail of the professional filing under mandate; "": the owner files
}{
	{"youssef.elamrani@example.ma", "building", "hay-hassani", "small", dfAccepted, "omar.berrada@example.ma"},
	{"youssef.elamrani@example.ma", "demolition", "hay-hassani", "small", dfAcceptedOld, "hicham.naciri@example.ma"},
	{"youssef.elamrani@example.ma", "repair", "anfa", "small", dfDraft, ""},
	{"youssef.elamrani@example.ma", "habitation", "ain-chock", "small", dfBooked, ""},
	{"khadija.ouazzani@example.ma", "repair", "sidi-belyout", "small", dfReturned, ""},
	{"khadija.ouazzani@example.ma", "auto_entrepreneur", "ain-chock", "small", dfApproved, ""},
	{"mehdi.tazi@example.ma", "housing_group", "sidi-moumen", "city", dfAcceptedOld, "omar.berrada@example.ma"},
	{"mehdi.tazi@example.ma", "building", "sidi-belyout", "city", dfBooked, "omar.berrada@example.ma"},
	{"mehdi.tazi@example.ma", "subdivision", "hay-hassani", "city", dfReturned, "omar.berrada@example.ma"},
	{"mehdi.tazi@example.ma", "conformity", "maarif", "city", dfAccepted, ""},
	{"mehdi.tazi@example.ma", "billboard", "ain-sebaa", "small", dfReview, ""},
	{"naima.bennis@example.ma", "building", "sidi-othmane", "public", dfDraft, "omar.berrada@example.ma"},
	{"naima.bennis@example.ma", "repair", "sidi-othmane", "public", dfSubmitted, ""},
}

// plan draws the files: kinds in their proportions, owners, parcels,
// figures, final states; then each file's story in time.
func (d *demoFiles) plan(ctx context.Context) error {
	kind := d.a.Catalogue.Kind
	left := map[string]int{}
	for _, kc := range dfKindCounts {
		left[kc.kind] = kc.n
	}
	omar := d.archs[0]
	proOf := map[string]int64{"omar.berrada@example.ma": omar}
	for p, info := range d.proInfo {
		switch info.Role {
		case permit.PartyEngineer:
			proOf["hicham.naciri@example.ma"] = p
		case permit.PartySurveyor:
			proOf["rachid.lahlou@example.ma"] = p
		}
	}
	// The demonstration accounts' files.
	for _, s := range dfScripted {
		k, err := kind(s.kind)
		if err != nil {
			return err
		}
		f := &dfFile{n: len(d.files), kind: k, owner: d.demo[s.owner], size: s.size, final: s.final, pro: proOf[s.pro]}
		if f.owner == nil {
			return fmt.Errorf("no demonstration owner %s", s.owner)
		}
		d.describe(ctx, f, s.arr)
		d.files = append(d.files, f)
		left[s.kind]--
	}
	// The others: kinds in their proportions, in a shuffled order.
	var kinds []string
	for _, kc := range dfKindCounts {
		for range left[kc.kind] {
			kinds = append(kinds, kc.kind)
		}
	}
	d.rng.Shuffle(len(kinds), func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })
	// Arrondissements in turn, so that every window gets its share.
	arrs := make([]string, len(dfArrs))
	for i, a := range dfArrs {
		arrs[i] = a.code
	}
	// Owners in turn from a shuffled deck: each has a few files.
	deck := make([]int, len(d.owners))
	for i := range deck {
		deck[i] = i
	}
	d.rng.Shuffle(len(deck)-1, func(i, j int) { deck[i+1], deck[j+1] = deck[j+1], deck[i+1] }) // the first owner keeps the first file
	companies := Companies()
	developer, operator, billboards := d.demo[companies[0].Name], d.demo[companies[1].Name], d.demo[companies[2].Name]
	atlas, association := d.demo["mehdi.tazi@example.ma"], d.demo["naima.bennis@example.ma"]
	nextOwner := 0
	person := func() *dfOwner {
		o := d.owners[deck[nextOwner%len(deck)]]
		nextOwner++
		return o
	}
	for i, code := range kinds {
		k, err := kind(code)
		if err != nil {
			return err
		}
		if i%len(arrs) == 0 {
			d.rng.Shuffle(len(arrs), func(i, j int) { arrs[i], arrs[j] = arrs[j], arrs[i] })
		}
		f := &dfFile{n: len(d.files), kind: k, size: "small"}
		r := d.rng.IntN(100)
		switch code {
		case "building":
			switch {
			case r < 22:
				f.size = "city"
			case r < 25:
				f.size = "public"
			}
		case "demolition":
			if r < 15 {
				f.size = "city"
			}
		case "regularisation", "habitation":
			if r < 20 {
				f.size = "city"
			}
		case "conformity":
			if r < 30 {
				f.size = "city"
			}
		case "repair":
			if r < 5 {
				f.size = "public"
			}
		case "classified_establishment":
			if r < 25 {
				f.size = "city"
			}
		case "subdivision", "housing_group", "telecom_equipment":
			f.size = "city"
		}
		// Who owns it.
		switch {
		case code == "telecom_equipment":
			f.owner = operator
		case code == "billboard" && r < 70:
			f.owner = billboards
		case code == "subdivision" || code == "housing_group" || (code == "building" && f.size == "city" && r < 8):
			f.owner = developer
			if d.rng.IntN(3) == 0 {
				f.owner = atlas
			}
		case f.size == "public":
			f.owner = association // its sports hall, its youth centre
		default:
			f.owner = person()
		}
		// Who files it.
		switch {
		case k.ArchitectRequired:
			f.pro = d.archs[f.owner.architect]
		case code == "demolition" && d.rng.IntN(10) < 4:
			f.pro = proOf["hicham.naciri@example.ma"]
		case code == "land_division" && d.rng.IntN(2) == 0:
			f.pro = proOf["rachid.lahlou@example.ma"]
		}
		d.describe(ctx, f, arrs[i%len(arrs)])
		d.files = append(d.files, f)
	}
	d.states(ctx)
	d.afterWorksLeads()
	for _, f := range d.files {
		d.story(f)
	}
	d.afterWorksPlan()
	return nil
}

// states gives the files not scripted their final states, in each
// family's proportions.
func (d *demoFiles) states(ctx context.Context) {
	for _, family := range []string{permit.Urban, permit.Economic} {
		var fs []*dfFile
		for _, f := range d.files[len(dfScripted):] {
			if f.kind.Family == family {
				fs = append(fs, f)
			}
		}
		var states []string
		if family == permit.Economic {
			// Tacit approvals: auto-entrepreneurs, whose schedule has the
			// silence rule.
			n := 0
			for _, f := range fs {
				if f.kind.Code == "auto_entrepreneur" && n < dfTacitFiles {
					f.final = dfTacit
					n++
				}
			}
			fs = slices.DeleteFunc(fs, func(f *dfFile) bool { return f.final == dfTacit })
		}
		ws := dfStateWeights[family]
		total := 0
		for _, w := range ws {
			total += w.pct
		}
		// Each state its share, rounded down; the files left over go to
		// the largest shares first.
		counts := make([]int, len(ws))
		given := 0
		for i, w := range ws {
			counts[i] = w.pct * len(fs) / total
			given += counts[i]
		}
		order := make([]int, len(ws))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(i, j int) int { return ws[j].pct - ws[i].pct })
		for k := 0; given < len(fs); k++ {
			counts[order[k%len(order)]]++
			given++
		}
		for i, w := range ws {
			for range counts[i] {
				states = append(states, w.state)
			}
		}
		d.rng.Shuffle(len(states), func(i, j int) { states[i], states[j] = states[j], states[i] })
		for i, f := range fs {
			f.final = states[i]
			if dfQuietWindows[f.window] && slices.Contains([]string{dfSubmitted, dfBooked, dfLate, dfResubmitted}, f.final) {
				f.final = map[string]string{permit.Urban: dfAccepted, permit.Economic: dfReview}[family]
			}
		}
	}
	d.committeeFinals(ctx)
}

// describe fills in a file's form: title, address, parcel, figures,
// professionals; and predicts its window.
func (d *demoFiles) describe(ctx context.Context, f *dfFile, arrCode string) {
	rng := d.rng
	ai := slices.IndexFunc(dfArrs, func(a dfArr) bool { return a.code == arrCode })
	arr := dfArrs[ai]
	ar := f.owner.lang == "ar"
	q := arr.quarters[rng.IntN(len(arr.quarters))]
	var address string
	num := 1 + rng.IntN(180)
	if rng.IntN(3) == 0 {
		b := dfBoulevards[rng.IntN(len(dfBoulevards))]
		address = pick(ar, fmt.Sprintf("%d، %s، %s", num, b.ar, q.ar), fmt.Sprintf("%d, %s, %s", num, b.latin, q.latin))
	} else {
		street := 1 + rng.IntN(60)
		address = pick(ar, fmt.Sprintf("%d، زنقة %d، %s", num, street, q.ar), fmt.Sprintf("%d, rue %d, %s", num, street, q.latin))
	}
	landTitle := fmt.Sprintf("%d/C", 10000+rng.IntN(89999))
	if rng.IntN(3) == 0 {
		landTitle = fmt.Sprintf("T-%d/63", 1000+rng.IntN(8999))
	}
	v := permit.Values{}
	set := func(code, val string) {
		if _, ok := f.kind.Field(code); ok {
			v[code] = val
		}
	}
	set("owner_kind", f.owner.ownerKind)
	set("land_title", landTitle)
	floors, land, built, units := 0, 0, 0, 0
	use := "housing"
	switch f.size {
	case "city":
		floors = 3 + rng.IntN(6)
		land = 400 + rng.IntN(1800)
		built = land * (55 + rng.IntN(15)) / 100 * (floors + 1)
		units = built / (85 + rng.IntN(30))
		if rng.IntN(4) == 0 {
			use = "mixed"
		}
	case "public":
		floors = rng.IntN(2)
		land = 600 + rng.IntN(1400)
		built = land * (40 + rng.IntN(20)) / 100 * (floors + 1)
		use = "facility"
	default:
		floors = rng.IntN(3)
		land = 80 + rng.IntN(170)
		built = land * (75 + rng.IntN(25)) / 100 * (floors + 1)
		units = 1 + rng.IntN(floors+1)
		if floors == 2 && rng.IntN(3) == 0 {
			use = "mixed" // a shop on the ground floor
		}
	}
	title := ""
	switch f.kind.Code {
	case "building", "regularisation":
		set("use", use)
		set("upper_floors", fmt.Sprint(floors))
		set("built_area", fmt.Sprint(built))
		set("land_area", fmt.Sprint(land))
		if use != "facility" {
			set("housing_units", fmt.Sprint(units))
		} else {
			set("public_building", "true")
		}
		switch {
		case f.size == "public":
			t := []dfName{{"بناء قاعة رياضية للقرب", "Construction d’une salle de sport de proximité"},
				{"بناء مركز ثقافي للحي", "Construction d’un centre culturel de quartier"},
				{"بناء روض أطفال جمعوي", "Construction d’un jardin d’enfants associatif"}}[rng.IntN(3)]
			title = pick(ar, t.ar, t.latin)
		case f.kind.Code == "regularisation":
			title = pick(ar, "تسوية وضعية طابق مضاف", "Régularisation d’un étage ajouté")
		case f.size == "city":
			title = pick(ar, fmt.Sprintf("بناء عمارة سكنية من طابق أرضي و%d طوابق تضم %d شقة", floors, units),
				fmt.Sprintf("Construction d’un immeuble R+%d de %d logements", floors, units))
		default:
			title = pick(ar, []string{"بناء منزل فردي بطابق أرضي", "بناء منزل فردي بطابق أرضي وطابق علوي",
				"بناء منزل فردي بطابق أرضي وطابقين علويين"}[floors], fmt.Sprintf("Construction d’une maison individuelle R+%d", floors))
			if floors == 0 {
				title = pick(ar, title, "Construction d’une maison individuelle de plain-pied")
			}
		}
	case "repair":
		works := [][4]string{
			{"إصلاح الواجهة", "Réfection de façade", "إصلاح الواجهة وتجديد عزل السطح.", "Réfection de la façade et de l’étanchéité de la terrasse."},
			{"تغيير النوافذ والأبواب", "Remplacement des menuiseries", "تغيير النوافذ والأبواب الخارجية وإعادة الطلاء.", "Remplacement des menuiseries extérieures et reprise des enduits."},
			{"ترميم شقة", "Rénovation d’un appartement", "إعادة تهيئة داخلية لشقة دون المساس بالبنية.", "Réaménagement intérieur d’un appartement, sans toucher à la structure."},
			{"إصلاح السطح", "Réfection de la toiture", "إصلاح السطح وتجديد التجهيزات الصحية.", "Réfection de la toiture et des installations sanitaires."},
			{"إعادة تهيئة محل تجاري", "Réaménagement d’un local commercial", "إعادة تهيئة المحل التجاري بالطابق الأرضي.", "Réaménagement du local commercial du rez-de-chaussée."}}
		w := works[rng.IntN(len(works))]
		title = pick(ar, w[0], w[1])
		set("works_description", pick(ar, w[2], w[3]))
		if f.size == "public" {
			w = [][4]string{
				{"إصلاح دار الشباب", "Réfection de la maison des jeunes", "إصلاح السطح والمرافق الصحية لدار الشباب.", "Réfection de la toiture et des sanitaires de la maison des jeunes."},
				{"إصلاح القاعة الرياضية", "Réfection de la salle de sport", "إصلاح أرضية القاعة الرياضية وتجديد مستودعات الملابس.", "Réfection du sol de la salle de sport et des vestiaires."},
				{"تهيئة مقر الجمعية", "Aménagement du local de l’association", "تهيئة قاعة الأنشطة وتجديد الإنارة.", "Aménagement de la salle d’activités et de l’éclairage."}}[rng.IntN(3)]
			set("public_building", "true")
			set("works_description", pick(ar, w[2], w[3]))
			title = pick(ar, w[0], w[1])
		}
	case "demolition":
		if f.size == "city" {
			floors = 3 + rng.IntN(2)
		}
		set("upper_floors", fmt.Sprint(floors))
		title = pick(ar, "هدم بناية آيلة للسقوط", "Démolition d’un bâtiment vétuste")
	case "subdivision":
		land = 8000 + rng.IntN(50000)
		set("land_area", fmt.Sprint(land))
		set("lots", fmt.Sprint(land/(180+rng.IntN(200))))
		set("use", "housing")
		names := []dfName{{"الحدائق", "Les Jardins"}, {"الياسمين", "Les Jasmins"}, {"النسيم", "Annassim"}, {"الواحة", "L’Oasis"}}
		n := names[rng.IntN(len(names))]
		title = pick(ar, "تجزئة سكنية «"+n.ar+"»", "Lotissement résidentiel « "+n.latin+" »")
	case "land_division":
		land = 400 + rng.IntN(2600)
		parcels := 2 + rng.IntN(3)
		set("land_area", fmt.Sprint(land))
		set("parcels", fmt.Sprint(parcels))
		title = pick(ar, fmt.Sprintf("تقسيم عقار إلى %d قطع", parcels), fmt.Sprintf("Morcellement d’un terrain en %d parcelles", parcels))
	case "housing_group":
		land = 3000 + rng.IntN(12000)
		floors = 2 + rng.IntN(3)
		built = land * (35 + rng.IntN(15)) / 100 * (floors + 1)
		units = built / (80 + rng.IntN(20))
		set("land_area", fmt.Sprint(land))
		set("built_area", fmt.Sprint(built))
		set("housing_units", fmt.Sprint(units))
		set("upper_floors", fmt.Sprint(floors))
		title = pick(ar, fmt.Sprintf("مجموعة سكنية من %d وحدة", units), fmt.Sprintf("Groupe d’habitations de %d logements", units))
	case "habitation", "conformity":
		if f.size == "city" {
			floors = 3 + rng.IntN(3)
		} else {
			floors = rng.IntN(3)
		}
		set("upper_floors", fmt.Sprint(floors))
		set("permit_number", fmt.Sprintf("%s-%d-%05d", strings.ToUpper(pick(f.size == "city", "city", arr.code)), 2023+rng.IntN(2), 1+rng.IntN(2400)))
		set("use", pick(f.size == "city" && rng.IntN(2) == 0, "office", "housing"))
		// completion_date: when the story knows its dates.
		if f.kind.Code == "habitation" {
			title = pick(ar, "رخصة السكن", "Permis d’habiter")
		} else {
			title = pick(ar, "شهادة المطابقة", "Certificat de conformité")
		}
	case "auto_entrepreneur":
		acts := [][2]string{{"الخياطة والتعديل", "Couture et retouches"}, {"إصلاح الهواتف", "Réparation de téléphones"},
			{"حلويات تقليدية", "Pâtisserie artisanale"}, {"حلاقة وتجميل", "Coiffure et esthétique"},
			{"دروس الدعم المدرسي", "Cours de soutien scolaire"}, {"تطوير المواقع الإلكترونية", "Développement de sites web"},
			{"التصوير الفوتوغرافي", "Photographie"}, {"الترصيص الصحي", "Plomberie"}, {"كهرباء البناء", "Électricité du bâtiment"},
			{"بيع منتجات محلية", "Vente de produits du terroir"}, {"نجارة الألمنيوم", "Menuiserie aluminium"}, {"ممون حفلات", "Traiteur"}}
		act := acts[rng.IntN(len(acts))]
		set("activity", pick(ar, act[0], act[1]))
		set("ae_number", fmt.Sprintf("AE-%d-%06d", 2020+rng.IntN(7), rng.IntN(1000000)))
		set("premises_area", fmt.Sprint(12+rng.IntN(50)))
		title = pick(ar, act[0], act[1])
	case "classified_establishment":
		acts := [][3]string{{"مخبزة عصرية", "Boulangerie-pâtisserie", "3"}, {"ورشة نجارة الخشب", "Atelier de menuiserie bois", "3"},
			{"مرآب لإصلاح السيارات", "Garage de mécanique automobile", "3"}, {"مصبنة عصرية", "Pressing", "3"},
			{"محطة غسل السيارات", "Station de lavage", "3"}, {"وحدة لصناعة الصباغة", "Unité de fabrication de peinture", "2"},
			{"مستودع للمواد الكيماوية", "Entrepôt de produits chimiques", "1"}, {"ورشة للتلحيم", "Atelier de soudure", "2"}}
		act := acts[rng.IntN(len(acts))]
		for f.size == "city" && act[2] == "3" || f.size != "city" && act[2] != "3" {
			act = acts[rng.IntN(len(acts))]
		}
		set("activity", pick(ar, act[0], act[1]))
		set("establishment_class", act[2])
		set("premises_area", fmt.Sprint(pick(act[2] == "3", 40+rng.IntN(260), 400+rng.IntN(3000))))
		title = pick(ar, act[0], act[1])
	case "telecom_equipment":
		site := pick(rng.IntN(3) > 0, "rooftop", "ground")
		set("site_type", site)
		set("mast_height", fmt.Sprint(pick(site == "rooftop", 3+rng.IntN(9), 18+rng.IntN(18))))
		title = pick(site == "rooftop", pick(ar, "هوائي ترحيل فوق سطح بناية", "Antenne relais en toiture"),
			pick(ar, "برج للاتصالات", "Pylône de télécommunications"))
	case "billboard":
		loc := pick(rng.IntN(2) == 0, "private", "public_domain")
		set("billboard_location", loc)
		set("display_area", fmt.Sprint([]int{2, 4, 8, 12, 18, 24}[rng.IntN(6)]))
		if rng.IntN(2) == 0 {
			set("lit", "true")
		}
		title = pick(ar, "لوحة إشهارية", "Panneau publicitaire")
		if f.owner.ownerKind == "person" {
			set("billboard_location", "private")
			set("display_area", fmt.Sprint(1+rng.IntN(4)))
			title = pick(ar, "لوحة إشهارية لمحل تجاري", "Enseigne publicitaire d’un commerce")
		}
	}
	// The parcel: a point near the arrondissement's centre, or a small
	// polygon around it.
	var geojson, lat, lon string
	for try := 0; ; try++ {
		spread := 1.0 / float64(try+1)
		la := arr.lat + (rng.Float64()*2-1)*0.007*spread
		lo := arr.lon + (rng.Float64()*2-1)*0.009*spread
		if f.kind.Family == permit.Urban && rng.IntN(3) == 0 {
			w := (12 + rng.Float64()*28) / 92700 // metres to degrees of longitude at 33.6°N
			h := (12 + rng.Float64()*28) / 111320
			geojson = fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f]]]}`,
				lo, la, lo+w, la, lo+w, la+h, lo, la+h, lo, la)
			lat, lon = "", ""
		} else {
			geojson, lat, lon = "", fmt.Sprintf("%.5f", la), fmt.Sprintf("%.5f", lo)
		}
		if _, err := d.locate(ctx, geojson, lat, lon); err == nil || try > 8 {
			break
		}
	}
	f.in = permit.Input{Kind: f.kind.Code, OwnerPerson: f.owner.person, OwnerLegal: f.owner.legal, Title: title,
		Address: address, Arrondissement: arr.code, GeoJSON: geojson, Lat: lat, Lon: lon, Fields: v}
	if f.owner.actor.ActingFor != 0 && f.pro == 0 {
		f.in.OwnerPerson, f.in.OwnerLegal = 0, 0 // the representative files for the company they act for
	}
	if f.pro == 0 && f.owner.person != 0 {
		f.in.OwnerPerson = 0 // the owner files for themselves
	}
	// Professionals named on the file, beside the filing architect.
	if f.kind.ArchitectRequired && f.size != "small" || f.kind.Code == "building" && floors >= 1 && rng.IntN(3) == 0 {
		for _, p := range d.proInfo {
			if p.Role == permit.PartyEngineer {
				f.in.Parties = append(f.in.Parties, p)
			}
		}
	}
	if f.kind.Code == "subdivision" || f.kind.Code == "land_division" || f.kind.Code == "housing_group" {
		for _, p := range d.proInfo {
			if p.Role == permit.PartySurveyor {
				f.in.Parties = append(f.in.Parties, p)
			}
		}
	}
	slices.SortFunc(f.in.Parties, func(a, b permit.Party) int { return strings.Compare(a.Role, b.Role) })
	if dec, err := d.a.Catalogue.Route(f.kind.Code, v); err == nil {
		f.window, f.schedule, f.committee = dec.Window, dec.Handling.Schedule, dec.Handling.Committee
		for _, st := range f.kind.Seats(dec.Handling.Committee, v) {
			f.bodies = append(f.bodies, st.Body.Code)
		}
		if dec.Window != district.CityWindow {
			f.window = arr.code
		}
	}
}

// tmin is the earlier of a and b.
func tmin(a, b time.Time) time.Time { return pick(a.Before(b), a, b) }

// pick is a if cond, else b.
func pick[T any](cond bool, a, b T) T {
	if cond {
		return a
	}
	return b
}

// Planning: when things happen.

func (d *demoFiles) between(from, to time.Time) time.Time {
	if !to.After(from) {
		return from
	}
	return from.Add(time.Duration(d.trng.Int64N(int64(to.Sub(from)))))
}

func (d *demoFiles) dur(from, to time.Duration) time.Duration {
	if to <= from {
		return from
	}
	return from + time.Duration(d.trng.Int64N(int64(to-from)))
}

// officeAfter is the first time at or after t when a window works.
func (d *demoFiles) officeAfter(t time.Time) time.Time {
	for range 40 {
		day := calendar.DateOf(t)
		if d.cal.IsWorkingDay(day) {
			open, closing := day.At(9, 0), day.At(15, 30)
			if t.Before(open) {
				return open.Add(d.dur(0, 90*time.Minute))
			}
			if t.Before(closing) {
				return t
			}
		}
		t = day.AddDays(1).At(7, 0)
	}
	return t
}

// officeBefore is the last time at or before t when a window works.
func (d *demoFiles) officeBefore(t time.Time) time.Time {
	for range 40 {
		day := calendar.DateOf(t)
		if d.cal.IsWorkingDay(day) {
			open, closing := day.At(9, 0), day.At(15, 0)
			if !t.Before(closing) {
				return closing.Add(-d.dur(0, 5*time.Hour))
			}
			if !t.Before(open) {
				return t
			}
		}
		t = day.AddDays(-1).At(23, 0)
	}
	return t
}

// due is when deadline dl runs out if it starts at t (as the permit
// service counts).
func (d *demoFiles) due(dl permit.Deadline, t time.Time) time.Time {
	switch dl.Unit {
	case permit.WorkingDays:
		return d.cal.AddWorkingDays(t, dl.Value)
	case permit.Months:
		return calendar.DateOf(t).Start().AddDate(0, dl.Value, 0).Add(-time.Millisecond)
	}
	return d.cal.AddCalendarDays(t, dl.Value)
}

// recent is a time of the last days when a window accepted a file whose
// next deadline (the step after the receipt's, else the overall one) has
// not passed yet.
func (d *demoFiles) recent(sc permit.Schedule) time.Time {
	next := sc.Overall
	if len(sc.Steps) > 1 && sc.Steps[1].Deadline != nil {
		next = *sc.Steps[1].Deadline
	}
	span := d.due(next, d.end).Sub(d.end) + 3*24*time.Hour
	for range 30 {
		t := d.officeBefore(d.between(d.end.Add(-span), d.end.Add(-90*time.Minute)))
		if d.due(next, t).After(d.end) && t.Before(d.end) {
			return t
		}
	}
	return d.officeBefore(d.end.Add(-90 * time.Minute))
}

// story plans f's steps from its final state, backwards from the
// decisive moment: create, upload, deposit, book, the window's answer.
func (d *demoFiles) story(f *dfFile) {
	day := 24 * time.Hour
	end, begin := d.end, d.begin
	var steps []dfStep
	add := func(s dfStep) { steps = append(steps, s) }
	// deposit plans creation, uploads and submission at s.
	deposit := func(s time.Time) {
		if s.Before(begin.Add(2 * time.Hour)) {
			s = begin.Add(2*time.Hour + d.dur(0, 12*time.Hour))
		}
		c := s.Add(-d.dur(2*day, 45*day))
		if c.Before(begin) {
			c = d.between(begin, s.Add(-time.Hour))
		}
		if f.kind.Code == "habitation" || f.kind.Code == "conformity" {
			f.in.Fields["completion_date"] = calendar.DateOf(c.Add(-d.dur(5*day, 60*day))).String()
		}
		add(dfStep{op: "create", at: c})
		items := d.required(f)
		sessions := 1 + d.trng.IntN(3)
		for i := range sessions {
			part := items[i*len(items)/sessions : (i+1)*len(items)/sessions]
			if len(part) == 0 {
				continue
			}
			at := c.Add(time.Duration(i+1) * s.Sub(c) / time.Duration(sessions+1))
			add(dfStep{op: "upload", at: at, items: part, revision: "A"})
		}
		add(dfStep{op: "submit", at: s})
	}
	// meet plans an appointment at a (booked some days before) and what
	// the window does there.
	meet := func(a time.Time, op string) {
		b := a.Add(-d.dur(20*time.Hour, 6*day))
		deposit(b.Add(-d.dur(10*time.Minute, 30*time.Hour)))
		add(dfStep{op: "book", at: b, want: a})
		if op != "" {
			add(dfStep{op: op, appt: d.dur(8*time.Minute, 45*time.Minute)})
		}
	}
	// returned plans a return at a, the new upload and the new deposit at r.
	returned := func(a, r time.Time) {
		meet(a, "return")
		if !r.IsZero() {
			add(dfStep{op: "reupload", at: r.Add(-d.dur(5*time.Minute, 3*time.Hour)), revision: "B"})
			add(dfStep{op: "resubmit", at: r})
		}
	}
	// The committee's stories go on from the acceptance; when no date
	// fits, the file stays accepted.
	var accept time.Time
	var committee []dfStep
	if isCommitteeFinal(f.final) {
		var ok bool
		if accept, committee, ok = d.committeePlan(f); !ok {
			f.final, f.variant = dfAccepted, ""
		}
	}
	switch f.final {
	case dfStudy, dfMinutes, dfRemarks, dfRound2, dfPresident, dfGranted, dfRejected:
		meet(accept, "accept")
		steps = append(steps, committee...)
	case dfDraft:
		c := d.between(begin, end.Add(-2*time.Hour))
		add(dfStep{op: "create", at: c})
		items := d.required(f)
		if n := d.trng.IntN(len(items) + 1); n > 0 {
			add(dfStep{op: "upload", at: d.between(c.Add(time.Hour), tmin(end.Add(-time.Hour), c.Add(10*day))), items: items[:n], revision: "A"})
		}
		if d.trng.IntN(2) == 0 {
			// Not everything is known yet.
			f.in.GeoJSON, f.in.Lat, f.in.Lon = "", "", ""
			for _, fd := range f.kind.Fields {
				if d.trng.IntN(3) == 0 {
					delete(f.in.Fields, fd.Code)
				}
			}
		}
	case dfSubmitted:
		deposit(d.between(end.Add(-6*day), end.Add(-time.Hour)))
	case dfBooked:
		b := d.between(end.Add(-5*day), end.Add(-2*time.Hour))
		deposit(b.Add(-d.dur(10*time.Minute, 30*time.Hour)))
		add(dfStep{op: "book", at: b, want: d.officeAfter(end.Add(d.dur(3*time.Hour, 7*day)))})
	case dfLate:
		meet(d.officeBefore(d.between(end.Add(-6*day), end.Add(-40*time.Hour))), "")
	case dfResubmitted:
		r := d.between(end.Add(-20*time.Hour), end.Add(-30*time.Minute))
		returned(d.officeBefore(r.Add(-d.dur(2*day, 9*day))), r)
	case dfReturned:
		returned(d.officeBefore(d.between(end.Add(-40*day), end.Add(-3*time.Hour))), time.Time{})
	case dfAccepted, dfReview:
		t := d.recent(f.schedule)
		if d.trng.IntN(4) == 0 {
			// Returned once, completed, then accepted.
			r := t.Add(-d.dur(time.Hour, 20*time.Hour))
			returned(d.officeBefore(r.Add(-d.dur(2*day, 8*day))), r)
			add(dfStep{op: "accept", at: t})
		} else {
			meet(t, "accept")
		}
	case dfAcceptedOld:
		meet(d.officeBefore(d.between(end.Add(-50*day), end.Add(-7*day))), "accept")
	case dfReviewOld:
		meet(d.officeBefore(d.between(end.Add(-45*day), end.Add(-17*day))), "accept")
	case dfApproved, dfRefused:
		a := d.officeBefore(d.between(begin.Add(12*day), end.Add(-4*day)))
		meet(a, "accept")
		dec := d.officeAfter(a.Add(d.dur(day, 14*day)))
		if !dec.Before(end) {
			dec = d.officeBefore(end.Add(-time.Hour))
		}
		if !dec.After(a.Add(time.Hour)) {
			dec = a.Add(time.Hour)
		}
		add(dfStep{op: "decide", at: dec, approve: f.final == dfApproved})
	case dfAsked:
		a := d.officeBefore(d.between(end.Add(-30*day), end.Add(-3*day)))
		meet(a, "accept")
		add(dfStep{op: "ask", at: d.officeAfter(a.Add(d.dur(day, 4*day)))})
	case dfTacit:
		meet(d.officeBefore(d.between(end.Add(-100*day), end.Add(-64*day))), "accept")
	case dfWithdrawn:
		if d.trng.IntN(2) == 0 {
			s := d.between(begin.Add(20*day), end.Add(-2*day))
			deposit(s)
			add(dfStep{op: "withdraw", at: d.between(s.Add(time.Hour), tmin(end.Add(-time.Hour), s.Add(10*day)))})
		} else {
			a := d.officeBefore(d.between(begin.Add(20*day), end.Add(-3*day)))
			returned(a, time.Time{})
			add(dfStep{op: "withdraw", at: d.between(a.Add(day), tmin(end.Add(-time.Hour), a.Add(20*day)))})
		}
	}
	// The steps are added in the order they happen; a step planned before
	// the one it follows (a date pushed back to the start of the period)
	// happens just after it.
	f.steps = steps
	if f.final == dfReturned || f.final == dfResubmitted || f.final == dfWithdrawn || f.final == dfAccepted || f.final == dfReview || f.final == dfAsked {
		d.returnNote(f)
	}
	if f.final == dfRefused {
		reasons := [][2]string{{"المحل لا يستوفي شروط النظافة المطلوبة للنشاط المصرح به.", "Le local ne remplit pas les conditions d’hygiène requises pour l’activité déclarée."},
			{"النشاط غير مسموح به في منطقة سكنية حسب تصميم التهيئة.", "Activité non autorisée en zone d’habitation selon le plan d’aménagement."},
			{"موقع اللوحة يحجب الرؤية عند ملتقى الطرق.", "L’emplacement du panneau gêne la visibilité au carrefour."},
			{"لم يتم الإدلاء برأي مصلحة الوقاية المدنية داخل الأجل.", "L’avis de la protection civile n’a pas été produit dans le délai."}}
		r := reasons[d.rng.IntN(len(reasons))]
		f.reason = pick(f.owner.lang == "ar", r[0], r[1])
	}
}

// required lists the items f needs, given its figures.
func (d *demoFiles) required(f *dfFile) []string {
	_, missing := permit.Checklist(f.kind, f.in.Fields, nil)
	return missing
}

// dfReturnNotes are what windows write when they return a file, by item.
var dfReturnNotes = map[string][2]string{
	"ownership":           {"شهادة الملكية يتجاوز تاريخها ثلاثة أشهر، المرجو الإدلاء بشهادة حديثة.", "Le certificat de propriété date de plus de trois mois : joignez un certificat récent."},
	"architectural_plans": {"التصاميم غير مرقمة الأبعاد وتنقصها الواجهة المطلة على الشارع.", "Les plans ne sont pas cotés et la façade sur rue manque."},
	"site_book":           {"دفتر الورش غير موقع من طرف المهندس المعماري.", "Le cahier de chantier n’est pas signé par l’architecte."},
	"photos":              {"الصور غير واضحة، المرجو الإدلاء بصور حديثة للواجهة.", "Les photos sont floues : joignez des photos récentes de la façade."},
	"mass_plan":           {"التصميم الكتلي لا يبين المسافات بالنسبة لحدود القطعة.", "Le plan de masse n’indique pas les reculs par rapport aux limites."},
	"situation_plan":      {"تصميم الموقع لا يسمح بتحديد موقع القطعة الأرضية.", "Le plan de situation ne permet pas de localiser la parcelle."},
	"works_note":          {"المذكرة لا تصف الأشغال بما يكفي.", "La notice ne décrit pas assez les travaux envisagés."},
	"premises_right":      {"عقد الكراء غير مصادق على توقيعه.", "Le bail n’est pas légalisé."},
	"cin":                 {"نسخة البطاقة الوطنية غير مقروءة.", "La copie de la CIN est illisible."},
	"application":         {"الطلب غير موقع.", "La demande n’est pas signée."},
	"survey_plan":         {"التصميم الطبوغرافي غير موقع من طرف المهندس المساح.", "Le plan topographique n’est pas signé par l’ingénieur géomètre."},
}

// returnNote chooses what the window asks for when it returns f.
func (d *demoFiles) returnNote(f *dfFile) {
	var can []string
	for _, item := range d.required(f) {
		if _, ok := dfReturnNotes[item]; ok {
			can = append(can, item)
		}
	}
	if len(can) == 0 {
		can = d.required(f)[:1]
	}
	d.rng.Shuffle(len(can), func(i, j int) { can[i], can[j] = can[j], can[i] })
	f.missing = can[:min(len(can), 1+d.rng.IntN(2))]
	slices.Sort(f.missing)
	var notes []string
	for _, m := range f.missing {
		if n, ok := dfReturnNotes[m]; ok {
			notes = append(notes, pick(f.owner.lang == "ar", n[0], n[1]))
		}
	}
	f.note = strings.Join(notes, " ")
}

// Playing.

// play runs every story in time order through the permit service, the
// clock following; the legal clock sweeps once a day, and a last time now.
func (d *demoFiles) play(ctx context.Context) error {
	q := make(dfQueue, 0, len(d.files))
	for _, f := range d.files {
		f.last = d.begin.Add(-time.Hour)
		heap.Push(&q, f)
	}
	for q.Len() > 0 {
		f := heap.Pop(&q).(*dfFile)
		t := f.at()
		if !t.Before(d.end) {
			continue // the rest of the story is yet to come
		}
		if err := d.sweepUntil(ctx, t); err != nil {
			return err
		}
		d.clock.advance(t)
		done, err := d.step(ctx, f, f.steps[f.next])
		if err != nil {
			return fmt.Errorf("file %d (%s, %s), step %s: %w", f.n, f.kind.Code, f.final, f.steps[f.next].op, err)
		}
		f.last = d.clock.Now()
		f.next++
		if done || f.next >= len(f.steps) {
			continue
		}
		heap.Push(&q, f)
	}
	d.clock.advance(d.end)
	return d.sweep(ctx)
}

// sweepUntil runs the legal clock at the start of each day up to t's.
func (d *demoFiles) sweepUntil(ctx context.Context, t time.Time) error {
	day := calendar.DateOf(t)
	if d.swept.IsZero() {
		d.swept = day
		return nil
	}
	if !day.After(d.swept) {
		return nil
	}
	d.swept = day
	d.clock.advance(day.At(0, 5))
	if err := d.sweep(ctx); err != nil {
		return err
	}
	return d.sitSessions(ctx, day)
}

func (d *demoFiles) sweep(ctx context.Context) error {
	for {
		n, err := d.svc.Sweep(ctx)
		if err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
		if n == 0 {
			return nil
		}
	}
}

// step plays one step of f's story; done ends the story early.
func (d *demoFiles) step(ctx context.Context, f *dfFile, s dfStep) (done bool, err error) {
	svc, filer := d.svc, d.filer(f)
	agent := func() authz.Actor {
		a := d.agents[f.window]
		a.Now = time.Now()
		return a
	}
	switch s.op {
	case "create":
		pf, err := svc.Create(ctx, filer, f.in)
		if err != nil {
			return false, err
		}
		f.id = pf.ID
	case "upload", "reupload":
		items := s.items
		if s.op == "reupload" {
			items = f.missing
		}
		// The applicant drops the session's documents on the page at
		// once: they are sent side by side.
		d.clock.advance(d.clock.Now().Add(40 * time.Second))
		errs := make([]error, len(items))
		var wg sync.WaitGroup
		sem := make(chan struct{}, 4)
		for i, item := range items {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				if err := d.upload(ctx, filer, f, item, s.revision); err != nil {
					errs[i] = fmt.Errorf("%s: %w", item, err)
				}
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return false, err
			}
		}
	case "submit", "resubmit":
		pf, err := svc.Submit(ctx, filer, f.id, 0)
		if err != nil {
			return false, err
		}
		f.window = pf.Window
	case "book":
		slots, err := svc.Slots(ctx, f.window)
		if err != nil {
			return false, err
		}
		i := slices.IndexFunc(slots, func(sl permit.Slot) bool { return sl.Free > 0 && !sl.Start.Before(s.want) })
		if i < 0 {
			return true, nil // no place: the file waits for its appointment
		}
		ap, err := svc.Book(ctx, filer, f.id, 0, slots[i].Start)
		if err != nil {
			return false, err
		}
		f.appt = ap.Start
	case "return":
		if _, err := svc.Return(ctx, agent(), f.id, 0, f.missing, f.note); err != nil {
			return false, err
		}
	case "accept":
		if _, err := svc.Accept(ctx, agent(), f.id, 0); err != nil {
			return false, err
		}
	case "ask":
		if _, err := svc.Ask(ctx, agent(), f.id, 0, f.missing, f.note); err != nil {
			return false, err
		}
	case "decide":
		// An officer who holds a signing certificate (signaturedemo
		// enrols the window agents) signs the decision with it.
		if svc.SignsDecisions(ctx, agent()) {
			_, err := svc.DecideSigned(ctx, agent(), f.id, 0, s.approve, f.reason, DemoPIN)
			if err == nil {
				break
			}
			// Past ten unlocks a minute the officer's key is rate-limited:
			// the decision is then taken unsigned, as without a key.
			if !errs.Is(err, errs.TooMany) {
				return false, err
			}
		}
		if _, err := svc.Decide(ctx, agent(), f.id, 0, s.approve, f.reason); err != nil {
			return false, err
		}
	case "withdraw":
		if _, err := svc.Withdraw(ctx, filer, f.id, 0); err != nil {
			return false, err
		}
	default:
		if err := d.committeeStep(ctx, f, s, agent(), filer); err != nil {
			if pf, gerr := svc.Get(ctx, agent(), f.id); gerr == nil {
				return false, fmt.Errorf("the file %s, held by %s at step %s: %w", pf.State, pf.Holder, pf.Step, err)
			}
			return false, err
		}
	}
	return false, nil
}

// upload adds the demonstration document standing for item to f.
func (d *demoFiles) upload(ctx context.Context, a authz.Actor, f *dfFile, item, rev string) error {
	doc := dfItemDoc[item]
	if doc == "" {
		doc = "note"
	}
	i := slices.IndexFunc(f.kind.Documents, func(r permit.Requirement) bool { return r.Code == item })
	if doc == "photo" && i >= 0 && !slices.Contains(f.kind.Documents[i].Types, "image") {
		doc = "existant"
	}
	b, err := d.docs.get(doc, rev)
	if err != nil {
		return err
	}
	name := dfItemFile[item]
	if name == "" {
		name = strings.ReplaceAll(item, "_", "-")
	}
	if rev != "A" {
		name += "-" + strings.ToLower(rev)
	}
	name += pick(doc == "photo", ".png", ".pdf")
	_, err = d.svc.AddDocument(ctx, a, f.id, item, name, bytes.NewReader(b))
	return err
}

// summary says what was loaded: files by state, windows, overdue files.
func (d *demoFiles) summary(ctx context.Context, out io.Writer) error {
	states := map[permit.State]int{}
	windows := map[string]bool{}
	tacit, booked := 0, 0
	steps := map[string]int{}
	for _, f := range d.files {
		if f.id == 0 {
			continue
		}
		pf, err := d.svc.Get(ctx, d.filer(f), f.id)
		if err != nil {
			return fmt.Errorf("demo: files: %w", err)
		}
		states[pf.State]++
		if pf.Window != "" {
			windows[pf.Window] = true
		}
		if pf.Tacit {
			tacit++
		}
		if pf.State == permit.Accepted && pf.Step != "" && (pf.Holder != permit.HolderWindow || pf.Step == permit.StepMinutes) {
			steps[pf.Step]++
		}
		if pf.State == permit.Submitted && !f.appt.IsZero() {
			booked++
		}
	}
	overdue := 0
	for w := range windows {
		q, err := d.svc.Queue(ctx, d.agents[w], w, permit.TabUrgent, 1)
		if err != nil {
			return fmt.Errorf("demo: files: queue of %s: %w", w, err)
		}
		overdue += q.Overdue
	}
	n := 0
	for _, c := range states {
		n += c
	}
	fmt.Fprintf(out, "demo: %d permit files in %d windows: %d drafts, %d submitted (%d with a deposit appointment), %d returned, "+
		"%d accepted (%d studied by their committee, %d at the secretariat's minutes, %d with remarks to answer, %d for the president), "+
		"%d under review, %d awaiting the applicant's answer, %d approved (%d tacitly), %d refused, %d withdrawn; %d overdue in the windows' queues (docs/DEMO.md)\n",
		n, len(windows), states[permit.Draft], states[permit.Submitted], booked, states[permit.Returned], states[permit.Accepted],
		steps[permit.StepStudy]+steps["inspection"], steps[permit.StepMinutes], steps[permit.StepRemarks], steps[permit.StepDecision],
		states[permit.UnderReview], states[permit.InfoRequested], states[permit.Approved], tacit, states[permit.Refused], states[permit.Withdrawn], overdue)
	return nil
}

// territory is the city's boundary and name as loaded in the database.
func (a *deps) territory(ctx context.Context) (geo.Geometry, i18n.Text, error) {
	c, err := a.Districts.City(ctx)
	return c.Boundary, c.Name, err
}
