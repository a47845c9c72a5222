/* The MADT (ACPI 6.x, 5.2.12): which processors and which IOAPIC the machine has. */
#include "drivers/acpi.h"
#include "kernel/string.h"

#define MADT_LOCAL_APIC	     0
#define MADT_IO_APIC	     1
#define MADT_SOURCE_OVERRIDE 2
#define MADT_LOCAL_X2APIC    9
#define MADT_ENABLED	     (1u << 0)
#define MADT_ONLINE_CAPABLE  (1u << 1)

static bool listed(const struct madt_info *out, uint32_t id)
{
	for (unsigned i = 0; i < out->cpu_count; i++)
		if (out->apic_ids[i] == id)
			return true;
	return false;
}

/* One processor entry, type 0 or 9 alike: the APIC ID is the CPU, the ACPI UID is not ours. */
static void add_cpu(struct madt_info *out, uint32_t id, uint32_t flags)
{
	if (flags & MADT_ENABLED) {
		if (listed(out, id)) {
			out->duplicates++; /* started once: a second INIT would reset a running AP
					    */
			return;
		}
		if (out->cpu_count == ACPI_MAX_CPUS) {
			if (out->beyond_limit++ == 0)
				out->beyond_first_id = id;
			out->beyond_last_id = id;
			return;
		}
		out->apic_ids[out->cpu_count++] = id;
		if (id > out->max_apic_id)
			out->max_apic_id = id;
	} else if (flags & MADT_ONLINE_CAPABLE) {
		/* Hot-pluggable (QEMU's maxcpus): absent until plugged, so nothing answers a
		 * start-up IPI. kan does not take CPUs added later. */
		out->hotplug_count++;
	} else {
		out->disabled_count++; /* before ACPI 6.3 this could be hot-pluggable too */
	}
}

void acpi_madt_parse(const struct acpi_header *madt, struct madt_info *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned irq = 0; irq < 16; irq++)
		out->isa_gsi[irq] = irq;
	/* After the header: the local APIC address and flags (8 bytes), then the entries. */
	const uint8_t *p = (const uint8_t *)(madt + 1) + 8;
	const uint8_t *end = (const uint8_t *)madt + madt->length;
	while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
		uint32_t flags, id = 0;
		if (p[0] == MADT_LOCAL_APIC && p[1] >= 8) {
			id = p[3];
			memcpy(&flags, p + 4, 4);
			add_cpu(out, id, flags);
		} else if (p[0] == MADT_LOCAL_X2APIC && p[1] >= 16) {
			memcpy(&id, p + 4, 4);
			memcpy(&flags, p + 8, 4);
			add_cpu(out, id, flags);
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
		p += p[1];
	}
}

bool acpi_read_madt(struct madt_info *out, const char **why)
{
	const struct acpi_header *madt = acpi_find_table("APIC", 0);
	if (!madt) {
		*why = "no valid MADT in the ACPI tables";
		return false;
	}
	acpi_madt_parse(madt, out);
	if (out->cpu_count == 0) {
		*why = "the MADT lists no enabled processor";
		return false;
	}
	return true;
}
