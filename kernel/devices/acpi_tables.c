#include "kernel/devices/acpi_tables.h"
#include "guests/include/kan_guest.h"
#include "kernel/devices/pcboard.h"
#include "kernel/devices/vioapic.h"
#include "kernel/string.h"

/* Where each table goes, as offsets from the start of the block. */
#define OFF_RSDP 0x000 /* 36 bytes, 16-byte aligned for Linux's scan of 0xe0000-0xfffff */
#define OFF_RSDT 0x040 /* 36 + 4 */
#define OFF_XSDT 0x080 /* 36 + 8 */
#define OFF_FACS 0x0c0 /* 64, 64-byte aligned */
#define OFF_FADT 0x100 /* 276 */
#define OFF_DSDT 0x240 /* at most 0x1c0 with ACPI_MMIO_DEVICES_MAX devices */
#define OFF_MADT 0x400 /* 82 + 8 per CPU */

#define HEADER_LEN 36
#define FADT_LEN   276
#define FACS_LEN   64

/* FADT fields (ACPI 6.5, Table 5.9), as offsets. */
#define FADT_FIRMWARE_CTRL  36
#define FADT_DSDT	    40
#define FADT_SCI_INT	    46
#define FADT_PM1A_EVT_BLK   56
#define FADT_PM1A_CNT_BLK   64
#define FADT_PM_TMR_BLK	    76
#define FADT_PM1_EVT_LEN    88
#define FADT_PM1_CNT_LEN    89
#define FADT_PM_TMR_LEN	    91
#define FADT_CENTURY	    108
#define FADT_IAPC_BOOT_ARCH 109
#define FADT_FLAGS	    112
#define FADT_RESET_REG	    116
#define FADT_RESET_VALUE    128
#define FADT_MINOR_VERSION  131
#define FADT_HYPERVISOR_ID  268

#define BOOT_LEGACY_DEVICES (1u << 0)
#define BOOT_NO_VGA	    (1u << 2)
#define BOOT_NO_MSI	    (1u << 3)
/* (bit 1 clear: no 8042 keyboard controller; bit 5 clear: a CMOS RTC is there) */

#define FLAG_WBINVD	   (1u << 0)
#define FLAG_PROC_C1	   (1u << 2)
#define FLAG_PWR_BUTTON	   (1u << 4) /* set: no fixed-feature power button */
#define FLAG_SLP_BUTTON	   (1u << 5) /* set: no fixed-feature sleep button */
#define FLAG_RESET_REG_SUP (1u << 10)

#define GAS_SYSTEM_IO 1
#define GAS_BYTE      1

/* DefinitionBlock: Name (_S5, Package (4) { 5, 5, 0, 0 }) in AML. */
static const uint8_t dsdt_body[] = {
	0x08, '_',
	'S',  '5',
	'_', /* NameOp "_S5_" */
	0x12, 0x08,
	0x04,			  /* PackageOp, PkgLength 8, 4 elements */
	0x0a, PCBOARD_S5_SLP_TYP, /* BytePrefix: SLP_TYPa */
	0x0a, PCBOARD_S5_SLP_TYP, /* BytePrefix: SLP_TYPb */
	0x00, 0x00,		  /* Zero, Zero (reserved) */
};

uint8_t acpi_checksum(const uint8_t *p, unsigned len)
{
	uint8_t sum = 0;
	for (unsigned i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)-sum;
}

static void put16(uint8_t *p, unsigned off, uint16_t v)
{
	memcpy(p + off, &v, 2);
}

static void put32(uint8_t *p, unsigned off, uint32_t v)
{
	memcpy(p + off, &v, 4);
}

static void put64(uint8_t *p, unsigned off, uint64_t v)
{
	memcpy(p + off, &v, 8);
}

/* The common header of every table but the RSDP and FACS; the checksum comes last. */
static void header(uint8_t *t, const char *signature, uint32_t length, uint8_t revision)
{
	memcpy(t, signature, 4);
	put32(t, 4, length);
	t[8] = revision;
	memcpy(t + 10, "KAN   ", 6);   /* OEM ID */
	memcpy(t + 16, "KANVM   ", 8); /* OEM table ID */
	put32(t, 24, 1);	       /* OEM revision */
	memcpy(t + 28, "KAN ", 4);     /* creator ID */
	put32(t, 32, 1);	       /* creator revision */
}

static void seal(uint8_t *t)
{
	uint32_t length;
	memcpy(&length, t + 4, 4);
	t[9] = 0;
	t[9] = acpi_checksum(t, length);
}

static void write_fadt(uint8_t *t, uint64_t gpa)
{
	header(t, "FACP", FADT_LEN, 6);
	put32(t, FADT_FIRMWARE_CTRL, (uint32_t)(gpa + OFF_FACS));
	put32(t, FADT_DSDT, (uint32_t)(gpa + OFF_DSDT));
	put16(t, FADT_SCI_INT, PCBOARD_SCI_IRQ);
	put32(t, FADT_PM1A_EVT_BLK, PCBOARD_PM_BASE);
	put32(t, FADT_PM1A_CNT_BLK, PCBOARD_PM_BASE + 4);
	put32(t, FADT_PM_TMR_BLK, PCBOARD_PM_BASE + 8);
	t[FADT_PM1_EVT_LEN] = PCBOARD_PM1_EVT_LEN;
	t[FADT_PM1_CNT_LEN] = PCBOARD_PM1_CNT_LEN;
	t[FADT_PM_TMR_LEN] = PCBOARD_PM_TMR_LEN;
	t[FADT_CENTURY] = PCBOARD_CMOS_CENTURY;
	put16(t, FADT_IAPC_BOOT_ARCH, BOOT_LEGACY_DEVICES | BOOT_NO_VGA | BOOT_NO_MSI);
	put32(t, FADT_FLAGS,
	      FLAG_WBINVD | FLAG_PROC_C1 | FLAG_PWR_BUTTON | FLAG_SLP_BUTTON | FLAG_RESET_REG_SUP);
	t[FADT_RESET_REG] = GAS_SYSTEM_IO;
	t[FADT_RESET_REG + 1] = 8; /* bit width */
	t[FADT_RESET_REG + 3] = GAS_BYTE;
	put64(t, FADT_RESET_REG + 4, PCBOARD_RESET_CTL);
	t[FADT_RESET_VALUE] = PCBOARD_RESET_VALUE;
	t[FADT_MINOR_VERSION] = 5;
	memcpy(t + FADT_HYPERVISOR_ID, "KanKan\0\0", 8);
	seal(t);
}

/* MADT (ACPI 6.5, 5.2.12): entry types and MPS INTI flags (Table 5.26). */
#define MADT_PCAT_COMPAT     (1u << 0)
#define MADT_LOCAL_APIC	     0
#define MADT_IO_APIC	     1
#define MADT_SOURCE_OVERRIDE 2
#define MADT_LOCAL_APIC_NMI  4
#define MADT_ENABLED	     (1u << 0)
#define INTI_ACTIVE_HIGH     0x1
#define INTI_LEVEL	     0xc
#define MADT_ALL_PROCESSORS  0xff
#define MADT_ISA_BUS	     0
#define MADT_PIT_IRQ	     0
#define MADT_PIT_GSI	     2 /* where the PC's IOAPIC has the 8254: pin 0 is the 8259's */

static unsigned madt_source_override(uint8_t *e, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	e[0] = MADT_SOURCE_OVERRIDE;
	e[1] = 10;
	e[2] = MADT_ISA_BUS;
	e[3] = irq;
	put32(e, 4, gsi);
	put16(e, 8, flags);
	return 10;
}

static void write_madt(uint8_t *t, unsigned cpus)
{
	unsigned n = HEADER_LEN;
	put32(t, n, KAN_LAPIC_BASE);
	put32(t, n + 4, MADT_PCAT_COMPAT); /* the VM's 8259 pair is there too */
	n += 8;
	for (unsigned i = 0; i < cpus; i++, n += 8) {
		t[n] = MADT_LOCAL_APIC;
		t[n + 1] = 8;
		t[n + 2] = (uint8_t)i; /* ACPI processor UID */
		t[n + 3] = (uint8_t)i; /* APIC ID */
		put32(t, n + 4, MADT_ENABLED);
	}
	t[n] = MADT_IO_APIC;
	t[n + 1] = 12;
	t[n + 2] = (uint8_t)cpus; /* after the local APICs, as PC firmware numbers it */
	put32(t, n + 4, VIOAPIC_BASE);
	put32(t, n + 8, 0); /* GSI base */
	n += 12;
	/* Flags 0 ("conforms to the bus"): edge-triggered, active high, as ISA is. */
	n += madt_source_override(t + n, MADT_PIT_IRQ, MADT_PIT_GSI, 0);
	/* The SCI, stated outright: without an override Linux takes the ACPI default for it,
	 * level-triggered active low; kan's board drives it active high, as QEMU's does. */
	n += madt_source_override(t + n, PCBOARD_SCI_IRQ, PCBOARD_SCI_IRQ,
				  INTI_LEVEL | INTI_ACTIVE_HIGH);
	t[n] = MADT_LOCAL_APIC_NMI;
	t[n + 1] = 6;
	t[n + 2] = MADT_ALL_PROCESSORS;
	put16(t, n + 3, 0); /* flags: conforming */
	t[n + 5] = 1;	    /* LINT1 */
	n += 6;
	header(t, "APIC", n, 5);
	seal(t);
}

/* --- AML, just enough for Scope (\_SB) { Device (VRnn) { _HID, _UID, _CRS } } --- */

#define AML_NAME_OP   0x08
#define AML_SCOPE_OP  0x10
#define AML_BUFFER_OP 0x11
#define AML_STRING    0x0d
#define AML_BYTE      0x0a
#define AML_EXT_OP    0x5b
#define AML_DEVICE_OP 0x82

/* A PkgLength (ACPI 6.5, 20.2.4) for a body of `body` bytes, the encoding's own included; one
 * byte below 63, else two (enough for 4 KiB). Returns the bytes written. */
static unsigned aml_pkg_length(uint8_t *p, unsigned body)
{
	if (body + 1 < 64) {
		p[0] = (uint8_t)(body + 1);
		return 1;
	}
	unsigned total = body + 2;
	p[0] = (uint8_t)(0x40 | (total & 0xf));
	p[1] = (uint8_t)(total >> 4);
	return 2;
}

/* Device (VRnn): a virtio-mmio window described the way Linux's virtio_mmio driver matches
 * it ("LNRO0005"): its registers and its interrupt. */
static unsigned aml_virtio_device(uint8_t *p, unsigned n, const struct acpi_mmio_device *d)
{
	uint8_t body[96];
	unsigned b = 0;
	body[b++] = 'V', body[b++] = 'R', body[b++] = (uint8_t)('0' + n / 10 % 10);
	body[b++] = (uint8_t)('0' + n % 10);
	body[b++] = AML_NAME_OP;
	memcpy(body + b, "_HID", 4);
	body[b + 4] = AML_STRING;
	memcpy(body + b + 5, "LNRO0005", 9); /* with its NUL */
	b += 14;
	body[b++] = AML_NAME_OP;
	memcpy(body + b, "_UID", 4);
	b += 4;
	body[b++] = AML_BYTE;
	body[b++] = (uint8_t)n;
	/* Name (_CRS, ResourceTemplate () { Memory32Fixed (ReadWrite, base, size);
	 * Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { irq } }) */
	uint8_t crs[] = {
		0x86, 0x09, 0x00, 0x01, 0,    0, 0, 0, 0, 0, 0, 0, /* Memory32Fixed, read-write */
		0x89, 0x06, 0x00, 0x03, 0x01, 0, 0, 0, 0, /* Extended IRQ: consumer, edge */
		0x79, 0x00,				  /* End tag */
	};
	put32(crs, 4, d->base);
	put32(crs, 8, d->size);
	crs[17] = d->irq;
	body[b++] = AML_NAME_OP;
	memcpy(body + b, "_CRS", 4);
	b += 4;
	body[b++] = AML_BUFFER_OP;
	b += aml_pkg_length(body + b, 2 + sizeof(crs));
	body[b++] = AML_BYTE;
	body[b++] = sizeof(crs);
	memcpy(body + b, crs, sizeof(crs));
	b += sizeof(crs);

	unsigned at = 0;
	p[at++] = AML_EXT_OP;
	p[at++] = AML_DEVICE_OP;
	at += aml_pkg_length(p + at, b);
	memcpy(p + at, body, b);
	return at + b;
}

/* Scope (\_SB) holding one Device per virtio-mmio window. */
static unsigned aml_devices(uint8_t *p, const struct acpi_mmio_device *devices, unsigned count)
{
	uint8_t body[ACPI_MMIO_DEVICES_MAX * 96 + 8];
	unsigned b = 0;
	if (!count)
		return 0;
	memcpy(body, "\\_SB_", 5);
	b = 5;
	for (unsigned i = 0; i < count && i < ACPI_MMIO_DEVICES_MAX; i++)
		b += aml_virtio_device(body + b, i, &devices[i]);
	unsigned at = 0;
	p[at++] = AML_SCOPE_OP;
	at += aml_pkg_length(p + at, b);
	memcpy(p + at, body, b);
	return at + b;
}

uint64_t acpi_tables_build(uint8_t *at, uint64_t gpa, const struct acpi_board *board)
{
	memset(at, 0, ACPI_TABLES_SIZE);
	unsigned cpus = board->cpus < ACPI_BOARD_CPUS_MAX ? board->cpus : ACPI_BOARD_CPUS_MAX;
	bool madt = cpus && board->ioapic;
	unsigned tables = madt ? 2 : 1; /* the FADT, then the MADT */

	uint8_t *rsdp = at + OFF_RSDP;
	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, "KAN   ", 6);
	rsdp[15] = 2; /* ACPI 2.0+: the XSDT is there too */
	put32(rsdp, 16, (uint32_t)(gpa + OFF_RSDT));
	put32(rsdp, 20, 36);
	put64(rsdp, 24, gpa + OFF_XSDT);
	rsdp[8] = acpi_checksum(rsdp, 20);
	rsdp[32] = acpi_checksum(rsdp, 36);

	uint8_t *rsdt = at + OFF_RSDT;
	header(rsdt, "RSDT", HEADER_LEN + 4 * tables, 1);
	put32(rsdt, HEADER_LEN, (uint32_t)(gpa + OFF_FADT));
	if (madt)
		put32(rsdt, HEADER_LEN + 4, (uint32_t)(gpa + OFF_MADT));
	seal(rsdt);

	uint8_t *xsdt = at + OFF_XSDT;
	header(xsdt, "XSDT", HEADER_LEN + 8 * tables, 1);
	put64(xsdt, HEADER_LEN, gpa + OFF_FADT);
	if (madt)
		put64(xsdt, HEADER_LEN + 8, gpa + OFF_MADT);
	seal(xsdt);

	uint8_t *facs = at + OFF_FACS;
	memcpy(facs, "FACS", 4);
	put32(facs, 4, FACS_LEN);
	facs[32] = 2; /* version */

	write_fadt(at + OFF_FADT, gpa);

	uint8_t *dsdt = at + OFF_DSDT;
	memcpy(dsdt + HEADER_LEN, dsdt_body, sizeof(dsdt_body));
	unsigned aml = aml_devices(dsdt + HEADER_LEN + sizeof(dsdt_body), board->devices,
				   board->device_count);
	header(dsdt, "DSDT", HEADER_LEN + sizeof(dsdt_body) + aml, 2);
	seal(dsdt);

	if (madt)
		write_madt(at + OFF_MADT, cpus);
	return gpa + OFF_RSDP;
}
