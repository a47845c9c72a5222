#include "kernel/vm_lifecycle.h"

/* allowed[from][cause]: the state after, plus one; 0 (the default) means it cannot apply. */
#define TO(state) ((state) + 1)
static const unsigned char allowed[VM_STATE_COUNT][VM_CAUSE_COUNT] = {
	[VM_CREATED] = { [VM_DO_START] = TO(VM_RUNNING),
			 [VM_DO_RESTART] = TO(VM_RUNNING),
			 [VM_DO_DESTROY] = TO(VM_DESTROYED) },
	[VM_RUNNING] = { [VM_DO_STOP] = TO(VM_STOPPED),
			 [VM_DO_PAUSE] = TO(VM_PAUSED),
			 [VM_DO_RESTART] = TO(VM_RUNNING),
			 [VM_DO_DESTROY] = TO(VM_DESTROYED),
			 [VM_GUEST_EXIT] = TO(VM_STOPPED),
			 [VM_GUEST_CRASH] = TO(VM_CRASHED),
			 [VM_GUEST_POWEROFF] = TO(VM_STOPPED),
			 [VM_GUEST_RESET] = TO(VM_RUNNING) },
	[VM_PAUSED] = { [VM_DO_STOP] = TO(VM_STOPPED),
			[VM_DO_RESUME] = TO(VM_RUNNING),
			[VM_DO_RESTART] = TO(VM_RUNNING),
			[VM_DO_DESTROY] = TO(VM_DESTROYED) },
	[VM_STOPPED] = { [VM_DO_START] = TO(VM_RUNNING),
			 [VM_DO_RESTART] = TO(VM_RUNNING),
			 [VM_DO_DESTROY] = TO(VM_DESTROYED) },
	[VM_CRASHED] = { [VM_DO_START] = TO(VM_RUNNING),
			 [VM_DO_RESTART] = TO(VM_RUNNING),
			 [VM_DO_DESTROY] = TO(VM_DESTROYED) },
	/* VM_DESTROYED: nothing applies. */
};

const char *vm_state_name(enum vm_state state)
{
	static const char *const names[VM_STATE_COUNT] = {
		[VM_CREATED] = "created", [VM_RUNNING] = "running", [VM_PAUSED] = "paused",
		[VM_STOPPED] = "stopped", [VM_CRASHED] = "crashed", [VM_DESTROYED] = "destroyed",
	};
	return state < VM_STATE_COUNT ? names[state] : "invalid";
}

const char *vm_cause_name(enum vm_transition_cause cause)
{
	static const char *const names[VM_CAUSE_COUNT] = {
		[VM_DO_START] = "start",	   [VM_DO_STOP] = "stop",
		[VM_DO_PAUSE] = "pause",	   [VM_DO_RESUME] = "resume",
		[VM_DO_RESTART] = "restart",	   [VM_DO_DESTROY] = "destroy",
		[VM_GUEST_EXIT] = "guest exit",	   [VM_GUEST_CRASH] = "crash",
		[VM_GUEST_POWEROFF] = "power-off", [VM_GUEST_RESET] = "reset",
	};
	return cause < VM_CAUSE_COUNT ? names[cause] : "invalid";
}

int vm_transition(enum vm_state from, enum vm_transition_cause cause, enum vm_state *to,
		  const char **why)
{
	if (from >= VM_STATE_COUNT || cause >= VM_CAUSE_COUNT) {
		*why = "no such state or command";
		return -1;
	}
	unsigned n = allowed[from][cause];
	if (!n) {
		static const char *const reasons[VM_STATE_COUNT] = {
			[VM_CREATED] = "it has not been started",
			[VM_RUNNING] = "it is running",
			[VM_PAUSED] = "it is paused",
			[VM_STOPPED] = "it is stopped",
			[VM_CRASHED] = "it has crashed",
			[VM_DESTROYED] = "it has been destroyed",
		};
		*why = reasons[from];
		return -1;
	}
	*to = (enum vm_state)(n - 1);
	return 0;
}
