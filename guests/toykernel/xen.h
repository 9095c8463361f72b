/* The Xen PV32 interface the Xen backend speaks (numbers and layouts from XEN-ABI.md). */
#ifndef TK_XEN_H
#define TK_XEN_H

#include "lib.h"

/* Hypercall numbers (XEN-ABI.md §2). */
#define __HYPERVISOR_set_trap_table 0
#define __HYPERVISOR_mmu_update 1
#define __HYPERVISOR_stack_switch 3
#define __HYPERVISOR_memory_op 12
#define __HYPERVISOR_update_va_mapping 14
#define __HYPERVISOR_set_timer_op 15
#define __HYPERVISOR_xen_version 17
#define __HYPERVISOR_console_io 18
#define __HYPERVISOR_mmuext_op 26
#define __HYPERVISOR_sched_op 29
#define __HYPERVISOR_callback_op 30
#define __HYPERVISOR_event_channel_op 32

#define FLAT_RING1_CS 0xe019
#define FLAT_RING1_DS 0xe021
#define FLAT_RING3_CS 0xe02b
#define FLAT_RING3_DS 0xe033

/* mmuext_op commands and update_va_mapping flags (XEN-ABI.md §4, §5). */
#define MMUEXT_PIN_L3_TABLE 2
#define MMUEXT_UNPIN_TABLE 4
#define MMUEXT_NEW_BASEPTR 5
#define MMUEXT_TLB_FLUSH_LOCAL 6
#define MMUEXT_INVLPG_LOCAL 7
#define UVMF_INVLPG 2
#define MACH2PHYS_VIRT_START 0xF5800000u

/* start_info (XEN-ABI.md §4), the fields the kernel reads. */
struct xen_start_info {
    char magic[32];
    uint32_t nr_pages, shared_info, flags, store_mfn, store_evtchn, console_mfn, console_evtchn;
    uint32_t pt_base, nr_pt_frames, mfn_list, mod_start, mod_len;
    char cmd_line[1024];
    uint32_t first_p2m_pfn, nr_p2m_frames;
};

/* shared_info offsets (vCPU 0). */
#define SI_UPCALL_PENDING 0
#define SI_UPCALL_MASK 1
#define SI_PENDING_SEL 4
#define SI_CR2 8
#define SI_TIME 32
#define SI_EVTCHN_PENDING 2048
#define SI_EVTCHN_MASK 2176

/* What the backend found at boot (pv_xen.c). */
struct xen_state {
    const struct xen_start_info *si;
    volatile uint8_t *shared;     /* the shared_info page, mapped at a kernel VA */
    const uint32_t *p2m;          /* start_info.mfn_list */
    uint32_t version;             /* xen_version(XENVER_version) */
    int32_t console_rc;           /* console_io(write) of the first line */
    int32_t map_shared_rc, remap_shared_rc, bind_timer_rc;
    uint32_t timer_port;
    int32_t last_rc;              /* the result of the backend's last hypercall */
};
extern struct xen_state xen;

int32_t xen_hypercall(uint32_t nr, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4, uint32_t a5);
void xen_init(const struct xen_start_info *si);
uint64_t xen_system_time(void);
int xen_port_pending(uint32_t port);
void xen_port_clear(uint32_t port);
int32_t xen_mmuext(uint32_t cmd, uint32_t arg1);
int32_t xen_remap_shared_info(void);
int32_t xen_register_callbacks(uint32_t event_eip, uint32_t failsafe_eip);
int xen_event_scan(void);

#endif
