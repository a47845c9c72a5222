#include "drivers/acpi.h"
#include "kernel/string.h"

/* ACPI 6.x, 5.2: RSDP, the system description table header, the MADT and its entries. */
struct rsdp {
	char signature[8];
	uint8_t checksum;
	char oem[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t extended_checksum;
	uint8_t reserved[3];
} __attribute__((packed));

struct sdt_header {
	char signature[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem[6], oem_table[8];
	uint32_t oem_revision, creator, creator_revision;
} __attribute__((packed));

struct madt {
	struct sdt_header header;
	uint32_t lapic_address;
	uint32_t flags;
} __attribute__((packed));

#define MADT_LOCAL_APIC	     0
#define MADT_IO_APIC	     1
#define MADT_SOURCE_OVERRIDE 2
#define MADT_LOCAL_X2APIC    9
#define MADT_ENABLED	     (1u << 0)
#define MADT_ONLINE_CAPABLE  (1u << 1)

static bool checksum_ok(const void *p, uint32_t len)
{
	uint8_t sum = 0;
	for (uint32_t i = 0; i < len; i++)
		sum += ((const uint8_t *)p)[i];
	return sum == 0;
}

/* Legacy BIOS: the RSDP sits on a 16-byte boundary in 0xe0000-0xfffff (ACPI 5.2.5.1). */
static const struct rsdp *scan_bios_area(void)
{
	for (uintptr_t p = 0xe0000; p < 0x100000; p += 16)
		if (!memcmp((const void *)p, "RSD PTR ", 8) && checksum_ok((const void *)p, 20))
			return (const struct rsdp *)p;
	return NULL;
}

static const struct madt *find_madt(const struct rsdp *rsdp)
{
	bool use_xsdt = rsdp->revision >= 2 && rsdp->xsdt;
	const struct sdt_header *root =
		(const void *)(uintptr_t)(use_xsdt ? rsdp->xsdt : rsdp->rsdt);
	if (!root || (uintptr_t)root >= (4ull << 30) || !checksum_ok(root, root->length))
		return NULL;
	unsigned entry_size = use_xsdt ? 8 : 4;
	unsigned n = (root->length - sizeof(*root)) / entry_size;
	const uint8_t *entries = (const uint8_t *)(root + 1);
	for (unsigned i = 0; i < n; i++) {
		uint64_t addr = 0;
		memcpy(&addr, entries + i * entry_size, entry_size);
		const struct sdt_header *t = (const void *)(uintptr_t)addr;
		if (addr && addr < (4ull << 30) && !memcmp(t->signature, "APIC", 4) &&
		    checksum_ok(t, t->length))
			return (const struct madt *)t;
	}
	return NULL;
}

bool acpi_read_madt(const uint8_t *rsdp_copy, int rsdp_revision, struct madt_info *out,
		    const char **why)
{
	memset(out, 0, sizeof(*out));
	for (unsigned irq = 0; irq < 16; irq++)
		out->isa_gsi[irq] = irq;
	const struct rsdp *rsdp = rsdp_revision >= 0 ? (const void *)rsdp_copy : scan_bios_area();
	if (!rsdp) {
		*why = "no ACPI RSDP";
		return false;
	}
	const struct madt *madt = find_madt(rsdp);
	if (!madt) {
		*why = "no valid MADT in the ACPI tables";
		return false;
	}
	const uint8_t *p = (const uint8_t *)(madt + 1);
	const uint8_t *end = (const uint8_t *)madt + madt->header.length;
	while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
		uint32_t flags = 0, id = 0;
		bool cpu = false;
		if (p[0] == MADT_LOCAL_APIC && p[1] >= 8) {
			id = p[3];
			memcpy(&flags, p + 4, 4);
			cpu = true;
		} else if (p[0] == MADT_LOCAL_X2APIC && p[1] >= 16) {
			memcpy(&id, p + 4, 4);
			memcpy(&flags, p + 8, 4);
			cpu = true;
		} else if (p[0] == MADT_IO_APIC && p[1] >= 12) {
			uint32_t address, gsi_base;
			memcpy(&address, p + 4, 4);
			memcpy(&gsi_base, p + 8, 4);
			if (gsi_base == 0)
				out->ioapic_base = address;
		} else if (p[0] == MADT_SOURCE_OVERRIDE && p[1] >= 10 && p[2] == 0 && p[3] < 16) {
			memcpy(&out->isa_gsi[p[3]], p + 4, 4);
			memcpy(&out->isa_flags[p[3]], p + 8, 2);
		}
		if (cpu && (flags & (MADT_ENABLED | MADT_ONLINE_CAPABLE)) &&
		    out->cpu_count < ACPI_MAX_CPUS)
			out->apic_ids[out->cpu_count++] = id;
		p += p[1];
	}
	if (out->cpu_count == 0) {
		*why = "the MADT lists no enabled processor";
		return false;
	}
	return true;
}
