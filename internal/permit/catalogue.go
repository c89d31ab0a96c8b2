package permit

import "madina/internal/permit/catalogue"

// The capability's view of the catalogue compiler (package catalogue): the
// names the permit files, their handlers and the application used when the
// compiler lived in this package. New code may use either; the compiler
// itself imports nothing of the capability.

// Types of a catalogue as written (Spec and its parts) and compiled
// (Catalogue, Kind and theirs).
type (
	Text         = catalogue.Text
	Spec         = catalogue.Spec
	KindSpec     = catalogue.KindSpec
	RuleSpec     = catalogue.RuleSpec
	DocumentUse  = catalogue.DocumentUse
	HandlingSpec = catalogue.HandlingSpec
	Conditions   = catalogue.Conditions
	Condition    = catalogue.Condition

	Catalogue   = catalogue.Catalogue
	Kind        = catalogue.Kind
	Field       = catalogue.Field
	Requirement = catalogue.Requirement
	Handling    = catalogue.Handling
	Schedule    = catalogue.Schedule
	Deadline    = catalogue.Deadline
	Source      = catalogue.Source
	Values      = catalogue.Values
	Decision    = catalogue.Decision
	Term        = catalogue.Term
	Committee   = catalogue.Committee
	Occasional  = catalogue.Occasional
)

// The catalogue's closed vocabularies.
const (
	Urban    = catalogue.Urban
	Economic = catalogue.Economic

	Owner                = catalogue.Owner
	MandatedProfessional = catalogue.MandatedProfessional

	FieldText    = catalogue.FieldText
	FieldNumber  = catalogue.FieldNumber
	FieldBoolean = catalogue.FieldBoolean
	FieldChoice  = catalogue.FieldChoice
	FieldDate    = catalogue.FieldDate

	Days        = catalogue.Days
	WorkingDays = catalogue.WorkingDays
	Months      = catalogue.Months

	FromCompletionDeclaration = catalogue.FromCompletionDeclaration

	SilenceApproval = catalogue.SilenceApproval
	SilenceReferral = catalogue.SilenceReferral
)

// Reading, checking and compiling a catalogue.
var (
	Casablanca     = catalogue.Casablanca
	CasablancaSpec = catalogue.CasablancaSpec
	Load           = catalogue.Load
	Parse          = catalogue.Parse
	Compile        = catalogue.Compile
	Problems       = catalogue.Problems
	ParseNumber    = catalogue.ParseNumber

	parseBool = catalogue.ParseBool
	multiline = catalogue.Multiline
	families  = catalogue.Families()
)

// The draft form's text fields that take several lines (see
// catalogue.Multiline), as patterns for the router; InputJSON.Fields
// declares the same two to DecodeJSON in its text tag.
var multilineFields = []string{"field_*description", "field_*note"}
