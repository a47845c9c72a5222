/* Finding \_S5_'s package in AML (ACPI 6.x, 20.2: the AML grammar, Name and Package). */
#include "drivers/acpi_s5.h"

#define AML_ZERO_OP	 0x00
#define AML_ONE_OP	 0x01
#define AML_NAME_OP	 0x08
#define AML_BYTE_PREFIX	 0x0a
#define AML_WORD_PREFIX	 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_QWORD_PREFIX 0x0e
#define AML_PACKAGE_OP	 0x12
#define AML_ROOT_CHAR	 '\\'
#define AML_ONES_OP	 0xff

/* Reads one integer constant at aml[*at]; false for anything else (a method call, a name). */
static bool read_integer(const uint8_t *aml, uint32_t len, uint32_t *at, uint64_t *value)
{
	static const uint8_t prefix_size[] = { [AML_BYTE_PREFIX] = 1,
					       [AML_WORD_PREFIX] = 2,
					       [AML_DWORD_PREFIX] = 4,
					       [AML_QWORD_PREFIX] = 8 };
	if (*at >= len)
		return false;
	uint8_t op = aml[(*at)++];
	if (op == AML_ZERO_OP || op == AML_ONE_OP) {
		*value = op;
		return true;
	}
	if (op == AML_ONES_OP) {
		*value = ~0ull;
		return true;
	}
	if (op >= sizeof(prefix_size) || !prefix_size[op] || len - *at < prefix_size[op])
		return false;
	*value = 0;
	for (unsigned i = 0; i < prefix_size[op]; i++)
		*value |= (uint64_t)aml[(*at)++] << (8 * i);
	return true;
}

/* PkgLength (20.2.4): bits 7:6 of the lead byte say how many bytes follow. */
static bool skip_pkg_length(uint32_t len, uint32_t *at, const uint8_t *aml)
{
	if (*at >= len)
		return false;
	uint32_t follow = aml[*at] >> 6;
	if (len - *at < 1 + follow)
		return false;
	*at += 1 + follow;
	return true;
}

/* The package that follows "_S5_" at aml[name]: its first two integers. */
static bool read_package(const uint8_t *aml, uint32_t len, uint32_t at, uint8_t *a, uint8_t *b)
{
	uint64_t first, second;
	if (at >= len || aml[at++] != AML_PACKAGE_OP || !skip_pkg_length(len, &at, aml) ||
	    at >= len || aml[at++] < 2 /* NumElements */)
		return false;
	if (!read_integer(aml, len, &at, &first) || !read_integer(aml, len, &at, &second))
		return false;
	*a = (uint8_t)first;
	*b = (uint8_t)second;
	return true;
}

bool acpi_s5_find(const uint8_t *aml, uint32_t len, uint8_t *slp_typ_a, uint8_t *slp_typ_b)
{
	for (uint32_t i = 1; len >= 4 && i <= len - 4; i++) {
		if (aml[i] != '_' || aml[i + 1] != 'S' || aml[i + 2] != '5' || aml[i + 3] != '_')
			continue;
		bool named = aml[i - 1] == AML_NAME_OP ||
			     (i >= 2 && aml[i - 1] == AML_ROOT_CHAR && aml[i - 2] == AML_NAME_OP);
		if (named && read_package(aml, len, i + 4, slp_typ_a, slp_typ_b))
			return true;
	}
	return false;
}
