/* What differs between kan and bare metal for the SMP guest: the end of the run and the TSC's
 * rate. The console is the UART at 0x3f8 in both, one line at a time under a lock. */
#include "smp.h"

#define QEMU_DEBUG_EXIT_PORT 0xf4   /* QEMU exits with status (value << 1) | 1 */
#define BOCHS_SHUTDOWN_PORT  0x8900 /* "Shutdown" ends Bochs */
#define PIT_CHANNEL2	     0x42
#define PIT_COMMAND	     0x43
#define PIT_GATE_PORT	     0x61 /* bit 0: channel 2's gate; bit 5: its output */
#define PIT_HZ		     1193182
#define CALIBRATE_MS	     50
#define UART_LSR	     (KAN_UART_PORT + 5)
#define LSR_TX_IDLE	     0x40

static volatile uint32_t console_lock_word;

/* Bounded: a CPU that died holding the lock (an exception mid-line) costs 5 s, not the
 * report of what went wrong; 5 s covers a console that makes lines wait (kan: 4 KiB/s). */
void smp_console_lock(void)
{
	uint64_t give_up = smp_tsc_per_ms ? guest_rdtsc() + smp_ms(5000) : 0;
	while (__atomic_exchange_n(&console_lock_word, 1, __ATOMIC_ACQUIRE))
		if (give_up && guest_rdtsc() > give_up)
			return;
		else
			smp_pause();
}

void smp_console_unlock(void)
{
	__atomic_store_n(&console_lock_word, 0, __ATOMIC_RELEASE);
}

void smp_exit(int status)
{
	if (smp_under_kan)
		kan_exit(status);
	/* Bare: let the UART drain (an emulator drops what it still holds), then end QEMU or
	 * Bochs, whichever this is; on anything else, halt. */
	for (int i = 0; i < 100000 && !(guest_in(UART_LSR, 1) & LSR_TX_IDLE); i++)
		;
	guest_out(QEMU_DEBUG_EXIT_PORT, 4, (uint32_t)status);
	for (const char *s = "Shutdown"; *s; s++)
		guest_out(BOCHS_SHUTDOWN_PORT, 1, (uint8_t)*s);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void smp_spin_ticks(uint64_t ticks)
{
	uint64_t end = guest_rdtsc() + ticks;
	while (guest_rdtsc() < end)
		smp_pause();
}

/* kan: its clock (KAN_HC_TIME_NS). Bare: PIT channel 2 counting down CALIBRATE_MS in mode 0,
 * its output read through port 0x61; 1 GHz (said) if it never ends. */
void smp_calibrate_tsc(void)
{
	if (smp_under_kan) {
		uint64_t ns0 = kan_time_ns(), t0 = guest_rdtsc(), ns1, t1;
		while ((ns1 = kan_time_ns()) - ns0 < CALIBRATE_MS * 1000000ull)
			;
		t1 = guest_rdtsc();
		smp_tsc_per_ms = (t1 - t0) * 1000000 / (ns1 - ns0);
		return;
	}
	uint32_t count = PIT_HZ * CALIBRATE_MS / 1000;
	uint8_t gate = (uint8_t)guest_in(PIT_GATE_PORT, 1);
	guest_out(PIT_GATE_PORT, 1, (gate & ~0x02u) | 0x01u); /* gate on, speaker off */
	guest_out(PIT_COMMAND, 1, 0xb0);		      /* channel 2, lo/hi byte, mode 0 */
	guest_out(PIT_CHANNEL2, 1, count & 0xff);
	uint64_t t0 = guest_rdtsc();
	guest_out(PIT_CHANNEL2, 1, count >> 8);
	uint64_t t1;
	while (!(guest_in(PIT_GATE_PORT, 1) & 0x20))
		if ((t1 = guest_rdtsc()) - t0 > (1ull << 36)) {
			smp_tsc_per_ms = 1000000;
			smp_say("smp: the PIT never counted down: assuming a 1 GHz TSC\n");
			return;
		}
	t1 = guest_rdtsc();
	smp_tsc_per_ms = (t1 - t0) / CALIBRATE_MS;
}
