/* The rows of the isolation table: which words of a snapshot each covers, how its values
 * name their owner, and per row the rounds checked, changed and leaked. */
#include "guest.h"
#include "isolation.h"

/* How a row's value tells whose it is. */
enum kind {
	K_X87,
	K_MARKER,
	K_MARKER32,
	K_OPMASK,
	K_MXCSR,
	K_XCR0,
	K_CR8,
	K_DR6,
	K_DR7,
	K_PAT,
	K_EFER,
	K_REGION,
	K_LDT,
	K_TSS,
	K_SELECTORS,
	K_RFLAGS,
	K_NONE,
};

enum need { N_ALWAYS, N_AVX, N_AVX512, N_OSXSAVE, N_CR8, N_DR, N_MSR, N_RDTSCP };

struct row {
	const char *name;
	uint16_t first, count; /* words of struct iso_snapshot */
	uint8_t kind, need, msr;
};

#define W(field) (offsetof(struct iso_snapshot, field) / 8)
/* Rows without a name are MSRs: iso_msrs names them. */
static const struct row rows[] = {
	{ "x87", W(x87), 19, K_X87, N_ALWAYS, 0 },
	{ "mxcsr", W(mxcsr), 1, K_MXCSR, N_ALWAYS, 0 },
	{ "xmm", W(xmm), 32, K_MARKER, N_ALWAYS, 0 },
	{ "ymm", W(ymm), 32, K_MARKER, N_AVX, 0 },
	{ "zmm", W(zmm), 192, K_MARKER, N_AVX512, 0 },
	{ "opmask", W(opmask), 8, K_OPMASK, N_AVX512, 0 },
	{ "xcr0", W(xcr0), 1, K_XCR0, N_OSXSAVE, 0 },
	{ "cr2", W(cr2), 1, K_MARKER, N_ALWAYS, 0 },
	{ "cr8", W(cr8), 1, K_CR8, N_CR8, 0 },
	{ "dr0-3", W(dr), 4, K_MARKER, N_DR, 0 },
	{ "dr6", W(dr6), 1, K_DR6, N_DR, 0 },
	{ "dr7", W(dr7), 1, K_DR7, N_DR, 0 },
	{ 0, W(msr) + ISO_MSR_STAR, 1, K_MARKER, N_MSR, ISO_MSR_STAR },
	{ 0, W(msr) + ISO_MSR_LSTAR, 1, K_MARKER, N_MSR, ISO_MSR_LSTAR },
	{ 0, W(msr) + ISO_MSR_CSTAR, 1, K_MARKER, N_MSR, ISO_MSR_CSTAR },
	{ 0, W(msr) + ISO_MSR_FMASK, 1, K_MARKER32, N_MSR, ISO_MSR_FMASK },
	{ 0, W(msr) + ISO_MSR_KERNEL_GS_BASE, 1, K_MARKER, N_MSR, ISO_MSR_KERNEL_GS_BASE },
	{ 0, W(msr) + ISO_MSR_TSC_AUX, 1, K_MARKER32, N_MSR, ISO_MSR_TSC_AUX },
	{ 0, W(msr) + ISO_MSR_FS_BASE, 1, K_MARKER, N_MSR, ISO_MSR_FS_BASE },
	{ 0, W(msr) + ISO_MSR_GS_BASE, 1, K_MARKER, N_MSR, ISO_MSR_GS_BASE },
	{ 0, W(msr) + ISO_MSR_SYSENTER_CS, 1, K_MARKER32, N_MSR, ISO_MSR_SYSENTER_CS },
	{ 0, W(msr) + ISO_MSR_SYSENTER_ESP, 1, K_MARKER, N_MSR, ISO_MSR_SYSENTER_ESP },
	{ 0, W(msr) + ISO_MSR_SYSENTER_EIP, 1, K_MARKER, N_MSR, ISO_MSR_SYSENTER_EIP },
	{ 0, W(msr) + ISO_MSR_PAT, 1, K_PAT, N_MSR, ISO_MSR_PAT },
	{ 0, W(msr) + ISO_MSR_EFER, 1, K_EFER, N_MSR, ISO_MSR_EFER },
	{ "rdtscp", W(tsc_aux_rdtscp), 1, K_MARKER32, N_RDTSCP, 0 },
	{ "gdtr", W(gdtr), 2, K_REGION, N_ALWAYS, 0 },
	{ "idtr", W(idtr), 2, K_REGION, N_ALWAYS, 0 },
	{ "ldtr", W(ldtr), 1, K_LDT, N_ALWAYS, 0 },
	{ "tr", W(tr), 1, K_TSS, N_ALWAYS, 0 },
	{ "selectors", W(selectors), 4, K_SELECTORS, N_ALWAYS, 0 },
	{ "rflags", W(rflags), 1, K_RFLAGS, N_ALWAYS, 0 },
	{ "sse-loop", W(usable), 0, K_NONE, N_ALWAYS, 0 }, /* iso_rows_note_sse_loop */
};
#define ROWS	     (sizeof(rows) / sizeof(rows[0]))
#define SSE_LOOP_ROW (ROWS - 1)

struct count {
	const char *na; /* why the row is not checked, or 0 */
	uint32_t rounds, changed, leaks, unmarked;
	unsigned leaked_from;		    /* the owner of the last leak seen */
	uint64_t first_before, first_after; /* the first word that changed, for the report */
	uint16_t first_word;
};
static struct count counts[ROWS];

static const char *row_name(const struct row *r)
{
	return r->name ? r->name : iso_msrs[r->msr].name;
}

static unsigned role_if(bool holder, bool spy)
{
	return holder ? ISO_HOLDER : spy ? ISO_SPY : 0;
}

static bool selector_in(const uint16_t set[2][2], unsigned role, uint64_t selector)
{
	return (selector & ~3ull) == set[role][0] || (selector & ~3ull) == set[role][1];
}

static unsigned selector_owner(const uint16_t set[2][2], uint64_t selector)
{
	return role_if(selector_in(set, 0, selector), selector_in(set, 1, selector));
}

/* Whose value one word is: an owner, a bare role byte (narrow rows), or 0 for nobody's. */
static unsigned word_owner(const struct row *r, unsigned i, uint64_t v, bool opmask_wide)
{
	switch (r->kind) {
	case K_X87:
		if (i == 0) /* FCW without RC: the reset (0x0040) and FNINIT (0x037f) differ */
			return role_if((v & 0xf3ff) == 0x007f, (v & 0xf3ff) == 0x027f);
		return i < 3 || i % 2 ? iso_owner_of_marker(v) : 0;
	case K_MARKER:
		return iso_owner_of_marker(v);
	case K_MARKER32:
		return iso_owner_of_marker32(v);
	case K_OPMASK:
		return opmask_wide ? iso_owner_of_marker(v)
				   : iso_owner_of_marker32((v >> 8 & 0xff) << 24);
	case K_MXCSR:
		return role_if((v >> 13 & 7) == 5, (v >> 13 & 7) == 2);
	case K_XCR0: /* only holders ever put 0x3 there */
		return v == 0x3 ? ISO_HOLDER : 0;
	case K_CR8:
		return role_if(v >= 1 && v <= 7, v >= 8 && v <= 14);
	case K_DR6:
		return role_if((v & 0xf) == 0x5, (v & 0xf) == 0xa);
	case K_DR7:
		return role_if((v >> 8 & 3) == 1, (v >> 8 & 3) == 2);
	case K_PAT:
		return role_if(v >> 56 == 0x05, v >> 56 == 0x01);
	case K_EFER:
		return role_if((v & 0x801) == 0x801, (v & 0x801) == 0x001);
	case K_REGION:
		return i == 0 ? iso_owner_of_region(v) : 0;
	case K_LDT:
		return selector_owner(iso_ldt_selectors, v);
	case K_TSS:
		return selector_owner(iso_tss_selectors, v);
	case K_SELECTORS:
		return selector_owner(iso_data_selectors, v);
	case K_RFLAGS:
		return role_if((v >> 12 & 3) == 1, (v >> 12 & 3) == 2);
	default:
		return 0;
	}
}

static bool is_mine(unsigned found, unsigned self)
{
	return found == self || found == ISO_ROLE(self);
}

static bool available(const struct row *r, const struct iso_caps *caps, const char **why)
{
	switch (r->need) {
	case N_AVX:
		*why = "AVX not offered or not in XCR0";
		return caps->features & ISO_FEAT_AVX;
	case N_AVX512:
		*why = "AVX-512 not offered or not in XCR0";
		return caps->features & ISO_FEAT_AVX512;
	case N_OSXSAVE:
		*why = "XSAVE not offered, so CR4.OSXSAVE is off";
		return caps->features & ISO_FEAT_OSXSAVE;
	case N_CR8:
		*why = "MOV CR8 faults";
		return caps->cr8;
	case N_DR:
		*why = "MOV DRn faults";
		return caps->dr;
	case N_MSR:
		*why = "RDMSR or WRMSR faults";
		return caps->msr[r->msr];
	case N_RDTSCP:
		*why = "RDTSCP not offered or faults";
		return caps->rdtscp && caps->msr[ISO_MSR_TSC_AUX];
	default:
		return true;
	}
}

void iso_rows_start(const struct iso_caps *caps)
{
	for (unsigned i = 0; i < ROWS; i++) {
		const char *why = 0;
		counts[i] = (struct count){ 0 };
		if (!available(&rows[i], caps, &why))
			counts[i].na = why;
	}
}

bool iso_rows_check_fresh(unsigned self, const struct iso_snapshot *s, bool opmask_wide)
{
	const uint64_t *words = (const uint64_t *)s;
	bool fresh = true;
	guest_printf("isolation: at start, another VM's values in:");
	for (unsigned i = 0; i < SSE_LOOP_ROW; i++) {
		const struct row *r = &rows[i];
		if (counts[i].na || (r->need == N_AVX && !(s->usable & ISO_USE_AVX)) ||
		    (r->need == N_AVX512 && !(s->usable & ISO_USE_AVX512)))
			continue;
		for (unsigned w = r->first; w < r->first + r->count; w++) {
			unsigned found = word_owner(r, w - r->first, words[w], opmask_wide);
			if (found && !is_mine(found, self)) {
				guest_printf(" %s", row_name(r));
				fresh = false;
				break;
			}
		}
	}
	guest_printf(fresh ? " none\n" : " (LEAKED)\n");
	return fresh;
}

void iso_rows_compare(unsigned self, const struct iso_snapshot *ref, const struct iso_snapshot *out,
		      bool opmask_wide)
{
	const uint64_t *before = (const uint64_t *)ref, *after = (const uint64_t *)out;
	unsigned both = (unsigned)(ref->usable & out->usable);
	for (unsigned i = 0; i < SSE_LOOP_ROW; i++) {
		const struct row *r = &rows[i];
		struct count *c = &counts[i];
		if (c->na || (r->need == N_AVX && !(both & ISO_USE_AVX)) ||
		    (r->need == N_AVX512 && !(both & ISO_USE_AVX512)))
			continue;
		c->rounds++;
		bool changed = false, leaked = false, marked = false, blank = true;
		for (unsigned w = r->first; w < r->first + r->count; w++) {
			blank &= before[w] == 0 || (r->kind == K_MXCSR && before[w] == 0x1f80);
			if (before[w] != after[w] && !c->changed && !changed) {
				c->first_word = (uint16_t)(w - r->first);
				c->first_before = before[w];
				c->first_after = after[w];
			}
			changed |= before[w] != after[w];
			unsigned found = word_owner(r, w - r->first, after[w], opmask_wide);
			if (found && !is_mine(found, self)) {
				leaked = true;
				c->leaked_from = found;
			}
			marked |=
				is_mine(word_owner(r, w - r->first, before[w], opmask_wide), self);
		}
		c->changed += changed;
		c->leaks += leaked;
		/* Own values must read back as own before the yield, or a leak would go unseen;
		 * a row left in its initial state on purpose (values.c) is checked by `changed`. */
		c->unmarked += !marked && !blank && r->kind != K_XCR0;
	}
}

void iso_rows_note_sse_loop(uint64_t expected, uint64_t got)
{
	struct count *c = &counts[SSE_LOOP_ROW];
	c->rounds++;
	if (got != expected && !c->changed++) {
		c->first_before = expected;
		c->first_after = got;
	}
}

static const char *owner_part(unsigned owner)
{
	return ISO_ROLE(owner) == ISO_SPY ? "spy" : "holder";
}

static bool failing(const struct count *c)
{
	return c->changed || c->leaks || c->unmarked || !c->rounds;
}

/* Prints the table and one verdict line naming every failing row; returns the exit status. */
int64_t iso_rows_report(unsigned rounds, unsigned writes_refused, bool fresh)
{
	bool clean = writes_refused == 0 && fresh;
	unsigned checked = 0;
	for (unsigned i = 0; i < ROWS; i++) {
		const struct count *c = &counts[i];
		if (c->na) {
			guest_printf("isolation: %s n/a (%s)\n", row_name(&rows[i]), c->na);
			continue;
		}
		checked++;
		guest_printf("isolation: %s changed %u leaks %u of %u", row_name(&rows[i]),
			     c->changed, c->leaks, c->rounds);
		if (c->leaks && ISO_ID(c->leaked_from))
			guest_printf(" (last from %s %u)", owner_part(c->leaked_from),
				     ISO_ID(c->leaked_from));
		else if (c->leaks)
			guest_printf(" (last from a %s)", owner_part(c->leaked_from));
		if (c->changed)
			guest_printf(", first: word %u 0x%lx became 0x%lx", c->first_word,
				     c->first_before, c->first_after);
		if (c->unmarked)
			guest_printf(", %u rounds its own value did not read back as its own",
				     c->unmarked);
		guest_printf("\n");
		clean = clean && !failing(c);
	}
	if (writes_refused)
		guest_printf("isolation: %u writes of its own values faulted\n", writes_refused);
	if (clean) {
		guest_printf("isolation: all %u checked rows clean in %u rounds\n", checked,
			     rounds);
		return 0;
	}
	guest_printf("isolation: LEAKING ROWS:%s", fresh ? "" : " (at start)");
	for (unsigned i = 0; i < ROWS; i++)
		if (!counts[i].na && failing(&counts[i]))
			guest_printf(" %s", row_name(&rows[i]));
	guest_printf(" (in %u rounds)\n", rounds);
	return 1;
}
