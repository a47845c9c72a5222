#include "kernel/vm_lifecycle.h"

#define NO (-1) /* not allowed */

/* next[from][cause]: the state after, or NO. */
static const int next[VM_STATE_COUNT][VM_CAUSE_COUNT] = {
	[VM_CREATED] = { [VM_DO_START] = VM_RUNNING,
			 [VM_DO_STOP] = NO,
			 [VM_DO_PAUSE] = NO,
			 [VM_DO_RESUME] = NO,
			 [VM_DO_RESTART] = VM_RUNNING,
			 [VM_DO_DESTROY] = VM_DESTROYED,
			 [VM_GUEST_EXIT] = NO,
			 [VM_GUEST_CRASH] = NO },
	[VM_RUNNING] = { [VM_DO_START] = NO,
			 [VM_DO_STOP] = VM_STOPPED,
			 [VM_DO_PAUSE] = VM_PAUSED,
			 [VM_DO_RESUME] = NO,
			 [VM_DO_RESTART] = VM_RUNNING,
			 [VM_DO_DESTROY] = VM_DESTROYED,
			 [VM_GUEST_EXIT] = VM_STOPPED,
			 [VM_GUEST_CRASH] = VM_CRASHED },
	[VM_PAUSED] = { [VM_DO_START] = NO,
			[VM_DO_STOP] = VM_STOPPED,
			[VM_DO_PAUSE] = NO,
			[VM_DO_RESUME] = VM_RUNNING,
			[VM_DO_RESTART] = VM_RUNNING,
			[VM_DO_DESTROY] = VM_DESTROYED,
			[VM_GUEST_EXIT] = NO,
			[VM_GUEST_CRASH] = NO },
	[VM_STOPPED] = { [VM_DO_START] = VM_RUNNING,
			 [VM_DO_STOP] = NO,
			 [VM_DO_PAUSE] = NO,
			 [VM_DO_RESUME] = NO,
			 [VM_DO_RESTART] = VM_RUNNING,
			 [VM_DO_DESTROY] = VM_DESTROYED,
			 [VM_GUEST_EXIT] = NO,
			 [VM_GUEST_CRASH] = NO },
	[VM_CRASHED] = { [VM_DO_START] = VM_RUNNING,
			 [VM_DO_STOP] = NO,
			 [VM_DO_PAUSE] = NO,
			 [VM_DO_RESUME] = NO,
			 [VM_DO_RESTART] = VM_RUNNING,
			 [VM_DO_DESTROY] = VM_DESTROYED,
			 [VM_GUEST_EXIT] = NO,
			 [VM_GUEST_CRASH] = NO },
	[VM_DESTROYED] = { [VM_DO_START] = NO,
			   [VM_DO_STOP] = NO,
			   [VM_DO_PAUSE] = NO,
			   [VM_DO_RESUME] = NO,
			   [VM_DO_RESTART] = NO,
			   [VM_DO_DESTROY] = NO,
			   [VM_GUEST_EXIT] = NO,
			   [VM_GUEST_CRASH] = NO },
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
		[VM_DO_START] = "start",	[VM_DO_STOP] = "stop",
		[VM_DO_PAUSE] = "pause",	[VM_DO_RESUME] = "resume",
		[VM_DO_RESTART] = "restart",	[VM_DO_DESTROY] = "destroy",
		[VM_GUEST_EXIT] = "guest exit", [VM_GUEST_CRASH] = "crash",
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
	int n = next[from][cause];
	if (n == NO) {
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
	*to = (enum vm_state)n;
	return 0;
}
