// Package identitydemo loads the demonstration accounts: citizens,
// professionals, companies and associations, and staff of every role. It
// uses identity's and staff's services as people and administrators would,
// and is listed with identity in the application's module list.
package identitydemo

import (
	"context"
	"fmt"
	"io"
	"time"

	"madina/internal/authz"
	"madina/internal/identity"
	"madina/internal/module"
	"madina/internal/platform/errs"
	"madina/internal/staff"
)

// Password is the one password of every demonstration account. It is
// published in docs/DEMO.md: never load the demonstration data on a
// server that real people use.
const Password = "Madina-Casa-2026"

// TOTPSecret is the second-factor secret shared by every demonstration
// staff account (base32, for an authenticator app), published in
// docs/DEMO.md with the accounts.
const TOTPSecret = "MADINACASABLANCADEMOSTAFFTOTPKEY"

// Account is one demonstration account and what it is for.
type Account struct {
	identity.Enrolment
	Grant        *staff.GrantSpec     // staff
	Legal        *identity.LegalInput // a company or association they represent
	Profession   string
	Registration string
	Verified     bool // the demo administrator verified the declaration
}

func staffAccount(email, givenAR, familyAR, given, family, lang string, grant staff.GrantSpec) Account {
	return Account{Enrolment: identity.Enrolment{Email: email, GivenNameAR: givenAR, FamilyNameAR: familyAR,
		GivenNameLatin: given, FamilyNameLatin: family, Lang: lang}, Grant: &grant}
}

func citizenAccount(email, givenAR, familyAR, given, family, cin, phone, lang string) Account {
	return Account{Enrolment: identity.Enrolment{Email: email, GivenNameAR: givenAR, FamilyNameAR: familyAR,
		GivenNameLatin: given, FamilyNameLatin: family, CIN: cin, Phone: phone, Lang: lang}}
}

// Accounts are the demonstration accounts, the administrator first (she
// verifies the professionals). docs/DEMO.md lists them; a test keeps the
// two in step.
func Accounts() []Account {
	g := func(role authz.Role, org, window string) staff.GrantSpec {
		return staff.GrantSpec{Role: role, Org: org, Window: window}
	}
	company := citizenAccount("mehdi.tazi@example.ma", "مهدي", "التازي", "Mehdi", "Tazi", "BJ445566", "0663 41 27 90", "fr")
	company.Legal = &identity.LegalInput{Kind: identity.Company, Name: "Atlas Bâtiment SARL", NameAR: "أطلس للبناء",
		ICE: "002345678000091", RC: "458921", Role: identity.RoleManager}
	association := citizenAccount("naima.bennis@example.ma", "نعيمة", "بنيس", "Naima", "Bennis", "BE990011", "0664 18 52 33", "ar")
	association.Legal = &identity.LegalInput{Kind: identity.Association, Name: "Association Sidi Othmane Sport et Culture",
		NameAR: "جمعية سيدي عثمان للرياضة والثقافة", AssociationNumber: "2019/0456", Role: identity.RolePresident}
	// A public primary school of Sidi Othmane and its director: it books
	// the arrondissement's sports hall in school hours, under the schools'
	// share (bookingdemo).
	school := citizenAccount("rachida.amrani@example.ma", "رشيدة", "العمراني", "Rachida", "Amrani", "BE512034", "0668 20 34 51", "ar")
	school.Legal = &identity.LegalInput{Kind: identity.School, Name: "École primaire Ibn Khaldoun", NameAR: "مدرسة ابن خلدون الابتدائية",
		SchoolCode: "21974S", Role: identity.RoleDirector}
	pro := func(a Account, profession, registration string, verified bool) Account {
		a.Profession, a.Registration, a.Verified = profession, registration, verified
		return a
	}
	return []Account{
		staffAccount("nadia.bensouda@example.ma", "نادية", "بنسودة", "Nadia", "Bensouda", "fr", g(authz.Admin, "commune", "")),
		staffAccount("hassan.filali@example.ma", "حسن", "الفيلالي", "Hassan", "Filali", "ar", g(authz.Auditor, "commune", "")),
		citizenAccount("fatima.benali@example.ma", "فاطمة الزهراء", "بنعلي", "Fatima Zahra", "Benali", "BE734512", "0661 23 45 67", "ar"),
		citizenAccount("youssef.elamrani@example.ma", "يوسف", "العمراني", "Youssef", "El Amrani", "BK298765", "0662 98 76 54", "fr"),
		citizenAccount("khadija.ouazzani@example.ma", "خديجة", "الوزاني", "Khadija", "Ouazzani", "BH556677", "0770 11 22 33", "en"),
		company,
		association,
		school,
		pro(citizenAccount("omar.berrada@example.ma", "عمر", "برادة", "Omar", "Berrada", "BE201187", "0661 77 88 99", "fr"), authz.Architect, "CNOA-1187", true),
		pro(citizenAccount("salma.alaoui@example.ma", "سلمى", "العلوي", "Salma", "Alaoui", "BK312311", "0665 23 11 40", "ar"), authz.Architect, "CNOA-2311", false),
		pro(citizenAccount("hicham.naciri@example.ma", "هشام", "الناصري", "Hicham", "Naciri", "BJ160452", "0666 04 52 16", "fr"), authz.Engineer, "ING-2016-0452", true),
		pro(citizenAccount("rachid.lahlou@example.ma", "رشيد", "لحلو", "Rachid", "Lahlou", "BH070734", "0667 07 34 70", "ar"), authz.Surveyor, "ONIGT-0734", true),
		staffAccount("amina.idrissi@example.ma", "أمينة", "الإدريسي", "Amina", "Idrissi", "ar", g(authz.WindowAgent, "commune", "city")),
		staffAccount("abdelkader.fassi@example.ma", "عبد القادر", "الفاسي", "Abdelkader", "Fassi", "ar", g(authz.WindowAgent, "sidi-othmane", "sidi-othmane")),
		staffAccount("souad.chraibi@example.ma", "سعاد", "الشرايبي", "Souad", "Chraibi", "fr", g(authz.WindowAgent, "maarif", "maarif")),
		staffAccount("karim.benjelloun@example.ma", "كريم", "بنجلون", "Karim", "Benjelloun", "fr", g(authz.CommitteeMember, "aucasa", "")),
		staffAccount("said.mouline@example.ma", "سعيد", "مولين", "Said", "Mouline", "ar", g(authz.CommitteeMember, "protection-civile", "")),
		staffAccount("laila.kettani@example.ma", "ليلى", "الكتاني", "Laila", "Kettani", "fr", g(authz.CommitteeMember, "lydec", "")),
		staffAccount("driss.sqalli@example.ma", "إدريس", "الصقلي", "Driss", "Sqalli", "ar", g(authz.CommitteeMember, "commune", "")),
		staffAccount("abdellatif.benslimane@example.ma", "عبد اللطيف", "بنسليمان", "Abdellatif", "Benslimane", "fr", g(authz.President, "commune", "city")),
		staffAccount("latifa.bouhlal@example.ma", "لطيفة", "بوهلال", "Latifa", "Bouhlal", "ar", g(authz.President, "sidi-othmane", "sidi-othmane")),
		staffAccount("zineb.tahiri@example.ma", "زينب", "الطاهري", "Zineb", "Tahiri", "ar", g(authz.Editor, "commune", "")),
		staffAccount("meriem.sentissi@example.ma", "مريم", "السنتيسي", "Meriem", "Sentissi", "ar", g(authz.FacilityManager, "moulay-rachid", "")),
		staffAccount("anas.kabbaj@example.ma", "أنس", "القباج", "Anas", "Kabbaj", "fr", g(authz.FacilityManager, "maarif", "")),
		staffAccount("hamid.ouali@example.ma", "حميد", "الوالي", "Hamid", "Ouali", "ar", g(authz.Dispatcher, "sbata", "")),
	}
}

// Load opens the demonstration accounts through the real
// services: enrolment (e-mail and phone vouched for by the operator), the
// password through a one-time reset link, staff roles and the fixed second
// factor, legal persons and professional declarations in the person's own
// name, and their verification by the demonstration administrator. What
// exists already is left as it is, so that loading twice changes nothing.
func Load(ctx context.Context, env *module.Env, out io.Writer) error {
	a := &demo{}
	var err error
	if a.Identity, err = module.Need[*identity.Service](env); err != nil {
		return err
	}
	if a.Staff, err = module.Need[*staff.Service](env); err != nil {
		return err
	}
	op := staff.System("demo")
	var admin int64
	created := 0
	for _, d := range Accounts() {
		var res identity.Enrolled
		var err error
		if d.Grant == nil {
			res, err = a.Identity.Enrol(ctx, op.Actor, op.Label, d.Enrolment)
		} else {
			var se staff.StaffEnrolment
			se, err = a.Staff.EnrolStaff(ctx, op, d.Enrolment, *d.Grant)
			res = se.Enrolled
		}
		if err != nil {
			return fmt.Errorf("demo: account %s: %w", d.Email, err)
		}
		if res.Created {
			created++
		}
		if res.ResetToken != "" {
			if err := a.Identity.ResetPassword(ctx, res.ResetToken, Password); err != nil {
				return fmt.Errorf("demo: password of %s: %w", d.Email, err)
			}
		}
		if d.Grant != nil {
			if err := a.Identity.EnableTOTPSecret(ctx, op.Actor, res.PersonID, TOTPSecret); err != nil {
				return fmt.Errorf("demo: second factor of %s: %w", d.Email, err)
			}
		}
		if d.Grant != nil && d.Grant.Role == authz.Admin && admin == 0 {
			admin = res.PersonID
		}
		// The person acts in their own name, as they would once signed in.
		self := authz.Actor{Person: res.PersonID, EmailVerified: true, Now: time.Now()}
		if d.Legal != nil {
			if err := a.demoLegalPerson(ctx, self, *d.Legal); err != nil {
				return fmt.Errorf("demo: legal person of %s: %w", d.Email, err)
			}
		}
		if d.Profession != "" {
			if err := a.demoProfessional(ctx, self, d, demoAdmin(admin)); err != nil {
				return fmt.Errorf("demo: profession of %s: %w", d.Email, err)
			}
		}
	}
	if created == 0 {
		fmt.Fprintln(out, "demo: the demonstration accounts are already there (docs/DEMO.md)")
		return nil
	}
	fmt.Fprintf(out, "demo: %d demonstration accounts opened, password %s; staff second-factor secret %s (docs/DEMO.md)\n",
		created, Password, TOTPSecret)
	return nil
}

// demoLegalPerson registers the company, association or school its representative
// stands for, unless they represent it already.
func (a *demo) demoLegalPerson(ctx context.Context, self authz.Actor, in identity.LegalInput) error {
	have, err := a.Identity.LegalPersons(ctx, self)
	if err != nil {
		return err
	}
	for _, l := range have {
		if l.Kind == in.Kind && (in.ICE != "" && l.ICE == in.ICE || in.AssociationNumber != "" && l.AssociationNumber == in.AssociationNumber ||
			in.SchoolCode != "" && l.SchoolCode == in.SchoolCode) {
			return nil
		}
	}
	_, err = a.Identity.RegisterLegalPerson(ctx, self, in)
	return err
}

// demoProfessional declares the profession in the person's name and, for
// the verified ones, has the administrator verify it.
func (a *demo) demoProfessional(ctx context.Context, self authz.Actor, d Account, admin staff.Operator) error {
	p, err := a.Identity.Profession(ctx, self)
	if errs.Is(err, errs.NotFound) {
		p, err = nil, nil // not declared yet
	}
	if err != nil {
		return err
	}
	if p == nil {
		if err := a.Identity.DeclareProfession(ctx, self, identity.ProfessionInput{Profession: d.Profession, RegistrationNumber: d.Registration}); err != nil {
			return err
		}
	}
	if !d.Verified || p != nil && p.Verified() {
		return nil
	}
	return a.Staff.VerifyProfessional(ctx, admin, self.Person)
}

// demoAdmin is the demonstration administrator acting as the back office
// would see her: the administrator's role in the commune (the grant the
// demonstration gave her) and the second factor passed (the demonstration
// turned it on with the published secret).
func demoAdmin(person int64) staff.Operator {
	return staff.As(authz.Actor{Person: person, EmailVerified: true, MFA: true, Now: time.Now(),
		Grants: []authz.Grant{{Role: authz.Admin, Org: staff.CommuneOrganisation}}})
}

// demo is what the loader uses.
type demo struct {
	Identity *identity.Service
	Staff    *staff.Service
}

// Professional declares a's profession in self's name and, when a says it
// is verified, has the administrator admin verify it (the permit
// demonstration's architects).
func Professional(ctx context.Context, id *identity.Service, st *staff.Service, self authz.Actor, a Account, admin int64) error {
	return (&demo{Identity: id, Staff: st}).demoProfessional(ctx, self, a, demoAdmin(admin))
}
