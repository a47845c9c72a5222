/* A VM's lifecycle: its states and which commands and events move it between them. */
#ifndef KAN_KERNEL_VM_LIFECYCLE_H
#define KAN_KERNEL_VM_LIFECYCLE_H

enum vm_state {
	VM_CREATED,   /* loaded, never run */
	VM_RUNNING,   /* on a run queue */
	VM_PAUSED,    /* frozen where it was; resume continues it */
	VM_STOPPED,   /* not running: it exited, or was stopped; start boots it afresh */
	VM_CRASHED,   /* kan stopped it for misbehaving (triple fault, memory, entry failure) */
	VM_DESTROYED, /* its memory is freed; only its name remains until the slot is reused */
	VM_STATE_COUNT,
};

enum vm_transition_cause {
	VM_DO_START,	   /* command: boot it (afresh unless it was only created) */
	VM_DO_STOP,	   /* command: stop it */
	VM_DO_PAUSE,	   /* command */
	VM_DO_RESUME,	   /* command */
	VM_DO_RESTART,	   /* command or on_crash=restart: boot it afresh */
	VM_DO_DESTROY,	   /* command: free it */
	VM_GUEST_EXIT,	   /* event: the guest ended itself (KAN_HC_EXIT) */
	VM_GUEST_CRASH,	   /* event: kan stopped it for misbehaving */
	VM_GUEST_POWEROFF, /* event: the guest turned its machine off (ACPI S5) */
	VM_GUEST_RESET,	   /* event: the guest reset its machine; it starts again */
	VM_CAUSE_COUNT,
};

const char *vm_state_name(enum vm_state state);
const char *vm_cause_name(enum vm_transition_cause cause);

/* The state `cause` leads to from `from`; -1, with the reason in *why, if it cannot apply. */
int vm_transition(enum vm_state from, enum vm_transition_cause cause, enum vm_state *to,
		  const char **why);

#endif
