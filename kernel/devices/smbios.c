#include "kernel/devices/smbios.h"
#include "kernel/devices/acpi_tables.h" /* acpi_checksum: the same byte sum */
#include "kernel/string.h"

#define ENTRY_LEN			   0x1f
#define TABLE_OFFSET			   0x20
#define TYPE_BIOS			   0
#define TYPE_SYSTEM			   1
#define TYPE_END			   127
#define BIOS_LEN			   0x18
#define SYSTEM_LEN			   0x1b
#define BIOS_CHARACTERISTICS_NOT_SUPPORTED (1u << 3)
#define WAKE_UP_POWER_SWITCH		   6

/* A structure: its formatted part, then its strings, each NUL-terminated, then one NUL. */
static uint8_t *structure(uint8_t *p, const uint8_t *formatted, unsigned len,
			  const char *const *strings, unsigned nstrings)
{
	memcpy(p, formatted, len);
	p += len;
	for (unsigned i = 0; i < nstrings; i++) {
		size_t n = strlen(strings[i]) + 1;
		memcpy(p, strings[i], n);
		p += n;
	}
	if (!nstrings)
		*p++ = 0; /* no strings: two NULs end it */
	*p++ = 0;
	return p;
}

void smbios_build(uint8_t *at, uint64_t gpa)
{
	memset(at, 0, SMBIOS_SIZE);
	uint8_t *table = at + TABLE_OFFSET, *p = table;

	uint8_t bios[BIOS_LEN] = { TYPE_BIOS, BIOS_LEN, 0, 0, 1, 2, 0x00, 0xe8, 3, 0 };
	bios[10] = BIOS_CHARACTERISTICS_NOT_SUPPORTED;
	bios[20] = 0, bios[21] = 1;	  /* BIOS release 0.1 */
	bios[22] = 0xff, bios[23] = 0xff; /* no embedded controller */
	const char *const bios_strings[] = { "kan", "0.1", SMBIOS_BIOS_DATE };
	p = structure(p, bios, sizeof(bios), bios_strings, 3);

	uint8_t system[SYSTEM_LEN] = { TYPE_SYSTEM, SYSTEM_LEN, 1, 0, 1, 2, 3, 0 };
	system[24] = WAKE_UP_POWER_SWITCH;
	const char *const system_strings[] = { "kan", "kan VM", "0.1" };
	p = structure(p, system, sizeof(system), system_strings, 3);

	const uint8_t end[4] = { TYPE_END, 4, 2, 0 };
	p = structure(p, end, sizeof(end), NULL, 0);

	uint16_t table_len = (uint16_t)(p - table), count = 3, max_size = 0;
	for (const uint8_t *s = table; s < p;) { /* the largest structure, strings included */
		const uint8_t *next = s + s[1];
		while (next[0] || next[1])
			next++;
		next += 2;
		if (next - s > max_size)
			max_size = (uint16_t)(next - s);
		s = next;
	}
	uint32_t table_gpa = (uint32_t)(gpa + TABLE_OFFSET);

	memcpy(at, "_SM_", 4);
	at[5] = ENTRY_LEN;
	at[6] = 2, at[7] = 8; /* SMBIOS 2.8 */
	memcpy(at + 8, &max_size, 2);
	memcpy(at + 16, "_DMI_", 5);
	memcpy(at + 22, &table_len, 2);
	memcpy(at + 24, &table_gpa, 4);
	memcpy(at + 28, &count, 2);
	at[30] = 0x28; /* BCD revision */
	at[21] = acpi_checksum(at + 16, 15);
	at[4] = acpi_checksum(at, ENTRY_LEN);
}
