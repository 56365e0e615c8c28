package wasmc

// Feature is a set of WebAssembly 2.0 features beyond the MVP (a bit mask).
type Feature uint32

const (
	FeatureSignExt        Feature = 1 << iota // i32.extend8_s ... i64.extend32_s
	FeatureSatConv                            // 0xFC 0-7: non-trapping float-to-int
	FeatureBulkMemory                         // memory.init/copy/fill, data.drop, table.init/copy, elem.drop, passive segments
	FeatureMultiValue                         // several results, block types by type index
	FeatureRefTypes                           // funcref/externref values, table instructions, several tables, typed select
	FeatureMutableGlobals                     // import or export of a mutable global

	// FeaturesMVP is the original WebAssembly MVP.
	FeaturesMVP Feature = 0
	// FeaturesV1 is WebAssembly 1.0 as standardized (W3C 2019): the MVP
	// plus import and export of mutable globals.
	FeaturesV1 = FeatureMutableGlobals
	// FeaturesV2 is everything this package supports: WebAssembly 2.0 without SIMD.
	FeaturesV2 = FeatureSignExt | FeatureSatConv | FeatureBulkMemory | FeatureMultiValue | FeatureRefTypes | FeatureMutableGlobals
)

var featureNames = []struct {
	f    Feature
	name string
}{
	{FeatureSignExt, "sign-ext"},
	{FeatureSatConv, "sat-conv"},
	{FeatureBulkMemory, "bulk-memory"},
	{FeatureMultiValue, "multi-value"},
	{FeatureRefTypes, "reference-types"},
	{FeatureMutableGlobals, "mutable-globals"},
}

// Names lists the features in f, in a fixed order.
func (f Feature) Names() []string {
	var out []string
	for _, fn := range featureNames {
		if f&fn.f != 0 {
			out = append(out, fn.name)
		}
	}
	return out
}

func (f Feature) String() string {
	s := ""
	for i, n := range f.Names() {
		if i > 0 {
			s += ","
		}
		s += n
	}
	if s == "" {
		return "mvp"
	}
	return s
}

// Features lists the post-MVP features module m uses ("sign-ext",
// "sat-conv", "bulk-memory", "multi-value", "reference-types",
// "mutable-globals"). They are computed by Validate; if m has not been
// validated yet, Features validates it first (and returns what was found
// before any validation error).
func Features(m *Module) []string {
	if !m.validated {
		_ = Validate(m)
	}
	return m.used.Names()
}

// featureState is what decoding an instruction needs to know about
// features: which are enabled, and which have been used so far. A Module
// embeds one; an InstrReader has its own copy, so that reading the
// instructions of a decoded module never writes to the Module (several
// goroutines may read its function bodies at once).
type featureState struct {
	enabled Feature // features allowed when decoding and validating
	used    Feature // features used, computed by Validate
}

// need records that feature f is used at file offset off, and fails if
// the module was decoded without it.
func (fs *featureState) need(f Feature, r *reader, off int, what string) error {
	fs.used |= f
	if fs.enabled&f == 0 {
		return r.errAt(off, "%s requires the %s feature, which is not enabled", what, f)
	}
	return nil
}
