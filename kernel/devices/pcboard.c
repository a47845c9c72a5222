/* The PC board of a Linux VM: PCI with no devices, reset ports, ACPI power management. */
#include "kernel/devices/pcboard.h"
#include "arch/x86_64/cpu.h"
#include "kernel/calendar.h"
#include "kernel/time.h"
#include "kernel/vm.h"

#define PCI_ENABLE	   0x80000000u
#define RST_CPU		   0x04 /* in the reset control register */
#define KBD_PULSE_RESET	   0xfe
#define PM1_CNT_SCI_EN	   0x0001 /* the VM is in ACPI mode from the start (no SMI_CMD) */
#define PM1_CNT_SLP_EN	   0x2000
#define PM1_CNT_SLP_TYP(v) (((v) >> 10) & 7)
#define PM_TIMER_HZ	   3579545ull
#define PM_TIMER_MASK	   0xffffff

void pcboard_reset(struct pcboard *board, struct vm *vm, uint64_t tsc_hz, uint64_t now_tsc)
{
	*board = (struct pcboard){ .vm = vm,
				   .pm1_control = PM1_CNT_SCI_EN,
				   .pm_timer_start_tsc = now_tsc,
				   .pm_timer_mult = (PM_TIMER_HZ << 32) / (tsc_hz ? tsc_hz : 1) };
}

void pcboard_attach(struct pcboard *board, struct vm *vm)
{
	iobus_register(&vm->io, PCBOARD_PCI_ADDRESS, PCBOARD_PCI_ADDRESS + 7, pcboard_io_pci,
		       board);
	iobus_register(&vm->io, PCBOARD_KBD_COMMAND, PCBOARD_KBD_COMMAND, pcboard_io_kbd, board);
	iobus_register(&vm->io, PCBOARD_CMOS, PCBOARD_CMOS + 1, pcboard_io_cmos, board);
	iobus_register(&vm->io, PCBOARD_PM_BASE, PCBOARD_PM_BASE + 11, pcboard_io_pm, board);
}

void pcboard_copy_state(struct pcboard *to, const struct pcboard *from, uint64_t shift)
{
	struct vm *vm = to->vm;
	*to = *from;
	to->vm = vm;
	to->pm_timer_start_tsc += shift;
}

static uint32_t all_ones(unsigned size)
{
	return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

void pcboard_io_pci(void *device, uint16_t port, unsigned size, bool write, uint32_t *value)
{
	struct pcboard *board = device;
	if (port == PCBOARD_PCI_ADDRESS && size == 4) {
		if (write)
			board->pci_address = *value & 0x80fffffcu; /* reserved bits read as 0 */
		else
			*value = board->pci_address;
	} else if (port == PCBOARD_RESET_CTL && size == 1) {
		if (!write) {
			*value = board->reset_control;
		} else {
			board->reset_control = (uint8_t)(*value & 0x0e);
			if (*value & RST_CPU)
				vm_request_reset(board->vm, "reset control register 0xcf9");
		}
	} else if (port >= PCBOARD_PCI_ADDRESS + 4 && (board->pci_address & PCI_ENABLE)) {
		/* A configuration cycle that no device claims: reads all-ones, as on a real
		 * empty bus; writes go nowhere. */
		if (!write)
			*value = all_ones(size);
	} else {
		iobus_absent(&board->vm->io, port, size, write, value);
	}
}

void pcboard_io_kbd(void *device, uint16_t port, unsigned size, bool write, uint32_t *value)
{
	struct pcboard *board = device;
	if (write && size == 1 && (*value & 0xff) == KBD_PULSE_RESET)
		vm_request_reset(board->vm, "keyboard controller reset pulse");
	else
		iobus_absent(&board->vm->io, port, size, write, value);
}

/* MC146818 registers: the clock, then status A-D. */
#define RTC_SECONDS    0x00
#define RTC_MINUTES    0x02
#define RTC_HOURS      0x04
#define RTC_WEEKDAY    0x06
#define RTC_DAY	       0x07
#define RTC_MONTH      0x08
#define RTC_YEAR       0x09
#define RTC_STATUS_A   0x0a
#define RTC_STATUS_B   0x0b
#define RTC_STATUS_C   0x0c
#define RTC_STATUS_D   0x0d
#define STATUS_A_32KHZ 0x26 /* divider and rate as firmware sets them; UIP (bit 7) clear */
#define STATUS_B_24H   0x02 /* BCD, 24-hour, no interrupts enabled */
#define STATUS_D_VALID 0x80 /* "valid RAM and time": the battery is fine */

static uint8_t bcd(unsigned v)
{
	return (uint8_t)((v / 10 % 10) << 4 | v % 10);
}

/* A clock register, from kan's wall clock now. */
static uint8_t clock_read(uint8_t reg)
{
	struct calendar_time t = calendar_from_seconds(time_wall_seconds());
	switch (reg) {
	case RTC_SECONDS:
		return bcd(t.second);
	case RTC_MINUTES:
		return bcd(t.minute);
	case RTC_HOURS:
		return bcd(t.hour);
	case RTC_WEEKDAY:
		return bcd(t.weekday);
	case RTC_DAY:
		return bcd(t.day);
	case RTC_MONTH:
		return bcd(t.month);
	case RTC_YEAR:
		return bcd(t.year % 100);
	default: /* PCBOARD_CMOS_CENTURY */
		return bcd(t.year / 100);
	}
}

static uint8_t cmos_read(const struct pcboard *board, uint8_t reg)
{
	switch (reg) {
	case RTC_SECONDS:
	case RTC_MINUTES:
	case RTC_HOURS:
	case RTC_WEEKDAY:
	case RTC_DAY:
	case RTC_MONTH:
	case RTC_YEAR:
	case PCBOARD_CMOS_CENTURY:
		return clock_read(reg);
	case RTC_STATUS_A:
		return STATUS_A_32KHZ;
	case RTC_STATUS_B:
		return STATUS_B_24H;
	case RTC_STATUS_C:
		return 0; /* no interrupt flags: kan raises no IRQ 8 */
	case RTC_STATUS_D:
		return STATUS_D_VALID;
	default:
		return board->cmos[reg];
	}
}

void pcboard_io_cmos(void *device, uint16_t port, unsigned size, bool write, uint32_t *value)
{
	struct pcboard *board = device;
	if (size != 1) {
		iobus_absent(&board->vm->io, port, size, write, value);
	} else if (port == PCBOARD_CMOS) { /* the index; bit 7 is the NMI mask, ignored here */
		if (write)
			board->cmos_index = (uint8_t)(*value & 0x7f);
		else
			*value = 0xff; /* the index register is write-only */
	} else if (!write) {
		*value = cmos_read(board, board->cmos_index);
	} else if (board->cmos_index > RTC_STATUS_D && board->cmos_index != PCBOARD_CMOS_CENTURY) {
		board->cmos[board->cmos_index] =
			(uint8_t)*value; /* the clock is kan's, not the VM's */
	}
}

static uint32_t pm_timer(const struct pcboard *board)
{
	/* The start is taken where the VM was created (the boot CPU), the read on the VM's CPU:
	 * a TSC behind the boot CPU's reads 0 until it catches up, never a wrapped value. */
	uint64_t now = rdtsc(), start = board->pm_timer_start_tsc;
	uint64_t elapsed = now > start ? now - start : 0;
	return (uint32_t)((unsigned __int128)elapsed * board->pm_timer_mult >> 32) & PM_TIMER_MASK;
}

/* One byte of the PM register block, at `offset` from PCBOARD_PM_BASE. */
static uint8_t pm_read_byte(const struct pcboard *board, unsigned offset, uint32_t timer)
{
	switch (offset) {
	case 0:
	case 1:
		return (uint8_t)(board->pm1_status >> (8 * (offset & 1)));
	case 2:
	case 3:
		return (uint8_t)(board->pm1_enable >> (8 * (offset & 1)));
	case 4:
	case 5:
		return (uint8_t)(board->pm1_control >> (8 * (offset & 1)));
	case 8:
	case 9:
	case 10:
	case 11:
		return (uint8_t)(timer >> (8 * (offset - 8)));
	default:
		return 0xff;
	}
}

static void pm_write_byte(struct pcboard *board, unsigned offset, uint8_t v)
{
	unsigned shift = 8 * (offset & 1);
	switch (offset) {
	case 0:
	case 1: /* status bits clear when written with 1 */
		board->pm1_status &= (uint16_t) ~(v << shift);
		break;
	case 2:
	case 3:
		board->pm1_enable = (uint16_t)((board->pm1_enable & ~(0xff << shift)) | v << shift);
		break;
	case 4:
	case 5:
		board->pm1_control =
			(uint16_t)((board->pm1_control & ~(0xff << shift)) | v << shift);
		break;
	default: /* the PM timer and the gap before it are read-only */
		break;
	}
}

void pcboard_io_pm(void *device, uint16_t port, unsigned size, bool write, uint32_t *value)
{
	struct pcboard *board = device;
	unsigned offset = port - PCBOARD_PM_BASE;
	if (!write) {
		uint32_t timer = pm_timer(board), v = 0;
		for (unsigned i = 0; i < size; i++)
			v |= (uint32_t)pm_read_byte(board, offset + i, timer) << (8 * i);
		*value = v;
		return;
	}
	for (unsigned i = 0; i < size; i++)
		pm_write_byte(board, offset + i, (uint8_t)(*value >> (8 * i)));
	uint16_t control = board->pm1_control;
	if (control & PM1_CNT_SLP_EN) {
		board->pm1_control &= (uint16_t)~PM1_CNT_SLP_EN; /* write-only: reads as 0 */
		if (PM1_CNT_SLP_TYP(control) == PCBOARD_S5_SLP_TYP)
			vm_power_off(board->vm, "ACPI S5 through PM1a_CNT");
		/* Other sleep types are not in kan's DSDT: the request does nothing. */
	}
}
