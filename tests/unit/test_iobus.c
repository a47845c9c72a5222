/* A VM's port space (kernel/devices/iobus.c): dispatch to the owning device, all-ones elsewhere. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/devices/iobus.h"

/* A fake device that records its last access and reads as its own tag. */
struct fake_device {
	uint32_t tag;
	int calls;
	uint16_t port;
	unsigned size;
	bool write;
	uint32_t written;
};

static void fake_io(void *device, uint16_t port, unsigned size, bool write, uint32_t *value)
{
	struct fake_device *d = device;
	d->calls++;
	d->port = port;
	d->size = size;
	d->write = write;
	if (write)
		d->written = *value;
	else
		*value = d->tag;
}

static struct iobus bus;
static struct fake_device uart, pit;

static int setup(void **state)
{
	(void)state;
	memset(&bus, 0, sizeof(bus));
	uart = (struct fake_device){ .tag = 0x60 };
	pit = (struct fake_device){ .tag = 0x42 };
	assert_true(iobus_register(&bus, 0x3f8, 0x3ff, fake_io, &uart));
	assert_true(iobus_register(&bus, 0x40, 0x43, fake_io, &pit));
	return 0;
}

static void an_access_goes_to_the_device_owning_the_port(void **state)
{
	(void)state;
	uint32_t value = 0;
	iobus_access(&bus, 0x3fd, 1, false, &value);
	assert_int_equal(value, 0x60);
	assert_int_equal(uart.calls, 1);
	assert_int_equal(uart.port, 0x3fd);
	assert_int_equal(uart.size, 1);
	assert_false(uart.write);
	assert_int_equal(pit.calls, 0);
	assert_int_equal(bus.unowned_accesses, 0);
}

/* A device that checks it is called with the bus's lock held. */
static struct spinlock bus_lock;
static int held_calls;

static void lock_checking_io(void *device, uint16_t port, unsigned size, bool write,
			     uint32_t *value)
{
	assert_int_equal(bus_lock.locked, 1);
	held_calls++;
	fake_io(device, port, size, write, value);
}

static void locked_devices_are_called_under_the_lock_and_once(void **state)
{
	(void)state;
	memset(&bus, 0, sizeof(bus));
	bus_lock.locked = 0;
	held_calls = 0;
	assert_true(iobus_register(&bus, 0x3f8, 0x3ff, lock_checking_io, &uart));
	iobus_lock_devices(&bus, &bus_lock);
	iobus_lock_devices(&bus, &bus_lock); /* twice: still one lock around the handler */
	uint32_t value = 7;
	iobus_access(&bus, 0x3f8, 1, true, &value);
	iobus_access(&bus, 0x3fd, 1, false, &value);
	assert_int_equal(held_calls, 2);
	assert_int_equal(uart.written, 7);
	assert_int_equal(value, 0x60);
	assert_int_equal(bus_lock.locked, 0); /* released after each access */
}

static void a_write_passes_the_value_and_size(void **state)
{
	(void)state;
	uint32_t value = 0x34;
	iobus_access(&bus, 0x43, 2, true, &value);
	assert_int_equal(pit.calls, 1);
	assert_true(pit.write);
	assert_int_equal(pit.size, 2);
	assert_int_equal(pit.written, 0x34);
}

static void the_first_and_last_ports_of_a_range_belong_to_it(void **state)
{
	(void)state;
	uint32_t value;
	iobus_access(&bus, 0x3f8, 1, false, &value);
	iobus_access(&bus, 0x3ff, 1, false, &value);
	assert_int_equal(uart.calls, 2);
	iobus_access(&bus, 0x3f7, 1, false, &value);
	iobus_access(&bus, 0x400, 1, false, &value);
	assert_int_equal(uart.calls, 2);
	assert_int_equal(bus.unowned_accesses, 2);
}

static void an_unowned_port_reads_all_ones_of_the_access_size(void **state)
{
	(void)state;
	uint32_t value = 0;
	iobus_access(&bus, 0x60, 1, false, &value);
	assert_int_equal(value, 0xff);
	iobus_access(&bus, 0x60, 2, false, &value);
	assert_int_equal(value, 0xffff);
	iobus_access(&bus, 0xcf8, 4, false, &value);
	assert_int_equal(value, 0xffffffff);
	assert_int_equal(bus.unowned_accesses, 3);
}

static void a_write_to_an_unowned_port_is_counted_and_ignored(void **state)
{
	(void)state;
	uint32_t value = 0xfe;
	iobus_access(&bus, 0x64, 1, true, &value); /* the keyboard controller's reset */
	assert_int_equal(value, 0xfe);
	assert_int_equal(bus.unowned_accesses, 1);
	assert_int_equal(uart.calls + pit.calls, 0);
}

static void the_first_unowned_ports_are_tallied_and_the_rest_only_counted(void **state)
{
	(void)state;
	uint32_t value = 0;
	const uint16_t ports[] = { 0x70, 0x80, 0x70, 0x2f8, 0x3e8, 0x2e8, 0x61, 0x92, 0x93, 0x70 };
	for (unsigned i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		iobus_access(&bus, ports[i], 1, false, &value);
	assert_int_equal(bus.unowned_accesses, 10);
	assert_int_equal(bus.unowned[0].port, 0x70);
	assert_int_equal(bus.unowned[0].accesses, 3);
	assert_int_equal(bus.unowned[1].port, 0x80);
	assert_int_equal(bus.unowned[5].port, 0x61); /* 0x92 and 0x93 found no slot */
	assert_int_equal(bus.unowned[5].accesses, 1);
	iobus_absent(&bus, 0x80, 2, true, &value); /* a device's own "nothing here" counts too */
	assert_int_equal(bus.unowned[1].accesses, 2);
	assert_int_equal(bus.unowned_accesses, 11);
}

static void registering_stops_at_the_device_limit(void **state)
{
	(void)state;
	static struct fake_device more[IOBUS_MAX_DEVICES];
	for (unsigned i = bus.count; i < IOBUS_MAX_DEVICES; i++)
		assert_true(iobus_register(&bus, (uint16_t)(0x100 + i * 8),
					   (uint16_t)(0x107 + i * 8), fake_io, &more[i]));
	assert_false(iobus_register(&bus, 0x2f8, 0x2ff, fake_io, &more[0]));
	assert_int_equal(bus.count, IOBUS_MAX_DEVICES);
	uint32_t value = 0;
	iobus_access(&bus, 0x2f8, 1, false, &value);
	assert_int_equal(value, 0xff); /* the refused device got no ports */
}

#define IOBUS_TEST(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		IOBUS_TEST(an_access_goes_to_the_device_owning_the_port),
		IOBUS_TEST(a_write_passes_the_value_and_size),
		IOBUS_TEST(locked_devices_are_called_under_the_lock_and_once),
		IOBUS_TEST(the_first_and_last_ports_of_a_range_belong_to_it),
		IOBUS_TEST(an_unowned_port_reads_all_ones_of_the_access_size),
		IOBUS_TEST(a_write_to_an_unowned_port_is_counted_and_ignored),
		IOBUS_TEST(the_first_unowned_ports_are_tallied_and_the_rest_only_counted),
		IOBUS_TEST(registering_stops_at_the_device_limit),
	};
	return cmocka_run_group_tests_name("iobus", tests, NULL, NULL);
}
