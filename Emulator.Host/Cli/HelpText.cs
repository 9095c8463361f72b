using System.Reflection;

namespace Emulator.Host.Cli;

/// <summary>The text of `emu --help`, `emu run --help` and `emu --version`.</summary>
public static class HelpText
{
    public static string Version
    {
        get
        {
            var asm = typeof(HelpText).Assembly;
            string v = asm.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                       ?? asm.GetName().Version?.ToString() ?? "0.0.0";
            int plus = v.IndexOf('+'); // drop the source-revision suffix the SDK appends
            return plus >= 0 ? v[..plus] : v;
        }
    }

    public static string VersionLine => $"emu {Version} (x86 full-system emulator)";

    public const string ExitStatuses = """
        Exit status:
          0              the guest powered off (or help/version was shown)
          (v << 1) | 1   the guest wrote v to isa-debug-exit (port 0xF4); e.g. 11 for v = 5
          2              bad command line, bad or missing image, or not implemented yet
          4              the guest crashed (triple fault) or halted with nothing to wake it
          70             an internal error of the emulator (a bug; please report it)
          124            the --max-instructions limit was reached
          130            interrupted with Ctrl-C
        """;

    public static string Main => $"""
        {VersionLine}

        Usage:
          emu run [options]        boot a machine (see `emu run --help`)
          emu debug [options]      boot it paused under the web debugger (see `emu debug --help`)
          emu trace diff A B       compare two boot traces to their first divergence (`emu trace --help`)
          emu trace stats FILE     count a trace's events per type and its hypercalls per name
          emu bench [options]      measure the emulator's speed, MIPS per workload (see `emu bench --help`)
          emu fuzz hypercalls      fuzz the hypervisor's hypercalls, auditing the PV MMU (`emu fuzz --help`)
          emu fuzz cpu             run random code on a bare CPU, checking that nothing escapes to the host
          emu fuzz diff            compare the CPU with QEMU instruction by instruction (differential testing)
          emu --help               show this help
          emu run --help           show the options of `emu run`
          emu --version            show the version

        With no image, `emu run` boots the demo guest, the toy kernel (guests/build/toykernel.elf).

        {ExitStatuses}
        """;

    public const string Fuzz = """
        Usage: emu fuzz hypercalls [--seed S] [--count N] [--audit-every K]
               emu fuzz cpu [--seed S] [--count N]
               emu fuzz diff [--seed S] [--count N] [--bits 16|32|both] [--ring 0|3|both]

        Acts for a hostile PV guest on a domain built from the hostile guest (guests/build/hostile.elf,
        or the directory named by EMU_GUESTS): issues seeded random and mutated mmu_update, mmuext_op,
        update_va_mapping, multicall (nested and long ones), set_trap_table, event_channel_op,
        set_timer_op, vcpu_op and unknown hypercalls through the hypervisor's int 0x82 entry, with
        argument buffers (and bad pointers) in guest memory. After every K calls the PV MMU is audited
        from scratch: every table in use walked, every page type and reference recounted; no writable
        mapping of a page table, no mapping of a frame the domain does not own or of hypervisor
        memory, counts equal to the recount, CR3 on the PV MMU's base. The first violation stops the
        campaign and prints a reproducer (seed, iteration, the decoded call, the violation).

        Options:
          --seed S              the campaign's seed, decimal or 0x hex (default 1): same seed, same calls
          --count N             hypercalls to issue (default 100000)
          --audit-every K       audit after every K-th call and after the last (default 1)
          -h, --help            show this help

        Progress goes to stderr; the summary (calls, successes and failures per hypercall, violations,
        wall time) to stdout. Exit status: 0 no violation, 1 a violation was found, 2 bad command line
        or the hostile guest is not built.

        emu fuzz cpu runs N cases on one bare CPU (no devices), wiped between cases: real mode, or
        protected mode at ring 0, 1 or 3 with paging on or off (a GDT, a TSS, an IDT whose every gate
        leads to a HLT, identity-mapped pages that are user or supervisor, read-only or writable at
        random); random bytes or random valid instructions, up to 64 of them per case. After every
        instruction: no host exception, CPL = CS.RPL (0 in real mode), EFLAGS' fixed bits right, a
        halted CPU right after a HLT; after an INVLPG no translation of its page left in the TLB,
        after a CR3 load no non-global entry. Faults and triple faults are counted, not findings; each
        finding prints its case, set-up and code bytes. Exit status 0 none found, 1 found.

        emu fuzz diff runs N generated cases (default 10000) on this interpreter and on qemu-system-i386
        (TCG, found on PATH, driven through its gdb stub), in protected mode with paging off, 16- or
        32-bit code at ring 0 or 3 (--bits and --ring pick; cases alternate between the modes chosen,
        both by default). A case is up to 12 straight-line units: ALU, shifts and rotates, SHLD/SHRD,
        MUL/IMUL/DIV/IDIV (divisors that cannot overflow, now and then zero), INC/DEC/NEG/NOT, BT*,
        BSF/BSR, SETcc, CMOVcc, MOVZX/MOVSX, XCHG/XADD/CMPXCHG, BSWAP, MOV, LEA, string instructions
        with and without REP, PUSH/POP/PUSHA/POPA/PUSHF/POPF, ENTER/LEAVE, flag instructions, BCD,
        XLAT, segment loads, LAR/LSL/VERR/VERW/ARPL, SGDT/SIDT/SLDT/STR/SMSW, privileged instructions
        (#GP at ring 3), INT n/INT3/INTO/UD2/BOUND; memory operands address a scratch page through
        16- and 32-bit addressing. After every instruction the general registers, EIP, EFLAGS (less
        the flags the SDM leaves undefined for that instruction), the selectors and 768 bytes of
        stack and scratch memory are compared; a case ends at its last instruction or once an
        exception has been delivered (the exception frame is compared too). Each mismatch is shrunk
        to the fewest units that still show it and printed with the initial registers, the code as
        assembly and hex bytes. Exit status 0 no mismatch, 1 mismatches, 2 bad command line or QEMU
        missing (Debian: apt-get install qemu-system-x86) or failing.

        Examples:
          emu fuzz hypercalls --seed 1 --count 1000000
          emu fuzz cpu --seed 1 --count 200000
          emu fuzz diff --seed 1 --count 100000
        """;

    public const string Bench = """
        Usage: emu bench [--runs N] [--warmup N] [--only CASES] [--iterations N] [--json FILE]
                         [--compare FILE] [--qemu]

        Measures how fast the emulator runs a set of guests, in this process (Release builds only
        give meaningful figures). Each case runs --warmup times unmeasured, then --runs times; a run
        is timed with the wall clock around the guest's execution only (not building the machine or
        loading the image). Its instruction count is the machine's retired instructions (virtual
        time), the same on every run: a REP string instruction counts once per 1024 iterations, and
        for the toy kernel cases idle time skipped at HLT and, under xen, the hypervisor's charged
        costs count too. MIPS = instructions / median seconds / 1e6; min-max are the MIPS of the
        slowest and fastest runs. Nothing is subtracted from our figures. A progress line goes to
        stderr; the table to stdout.

        Cases (guests/build/bench.elf phases, then the toy kernel):
          alu                   integer ALU operations and branches
          mem                   loads and stores, REP MOVSD/STOSD, REPE CMPSD, REPNE SCASB, LODSD
          call                  call/ret, push/pop, nested, recursive and indirect calls
          paging                PTE rewrites with INVLPG, CR3 reloads, touching the remapped pages
          io                    port I/O: the slave PIC's mask, port 0x80, CMOS RAM
          none                  the bench guest's start-up and exit alone
          toykernel-boot        the toy kernel's boot and self-tests (-machine pc, pv=ops)
          toykernel-bench-pc    the toy kernel's bench mode (pv=ops bench) on -machine pc
          toykernel-bench-xen   the same under -machine xen
        Each bench guest phase retires about 60 million instructions by default.

        Options:
          --runs N              measured runs per case (default 5)
          --warmup N            unmeasured runs before them (default 1)
          --only CASES          only these cases, separated by commas (e.g. alu,mem,toykernel-boot)
          --iterations N        iterations=N for the bench guest's phases (default: each phase's own)
          --json FILE           write the results as JSON (schema "emu-bench", version 1)
          --compare FILE        show each case's change in MIPS against a result saved with --json
                                (a case whose instruction count moved by more than 0.1 % is marked:
                                another workload, not like for like)
          --debugger            attach the debugger engine to every run, idle (a gdb stub on a free port
                                with no debugger connected): its cost when nothing is armed
          --qemu                also time qemu-system-i386 -accel tcg on each bench guest phase and on
                                phase=none (one process per run, wall clock, the same warm-ups and
                                runs). QEMU's MIPS = (our instruction count for the phase - for none)
                                / (QEMU's median time for the phase - for none): its start-up is not
                                counted. A phase that QEMU finishes in under 0.5 s beyond start-up is
                                run there with up to 10 times the iterations (said below the table),
                                its instructions counted by one more, untimed, run of ours. Shown
                                with the ratio ours/QEMU. Without QEMU on PATH: a note, no column.
          -h, --help            show this help

        Examples:
          emu bench --json before.json
          emu bench --only alu,paging --runs 7 --compare before.json
          emu bench --qemu

        Exit status: 0 measured; 1 a case did not end as a correct run does (or not the same way every
        time); 2 bad options, a missing or malformed --compare file, or a guest image not built.
        """;

    public static string Run => $"""
        Usage: emu run [options]

        Boots an emulated PC. Options take one dash as in QEMU (-kernel FILE); two dashes and
        --name=value work too. Without -kernel or -bios the demo guest, the toy kernel
        guests/build/toykernel.elf, is booted (found above the emu executable, or in the directory
        named by EMU_GUESTS); -append "pv=flag|ops|patch bench" chooses its paravirt strategy and
        prints the cost of each paravirt operation.

        Images:
          -kernel FILE          boot a multiboot (v1) kernel: an ELF32 i386 executable, or any image
                                whose multiboot header has address fields. Its command line is FILE
                                followed by the -append text, as QEMU and GRUB pass it.
          -initrd "FILE[ ARGS][,FILE...]"
                                multiboot modules, loaded page-aligned after the kernel; each module's
                                string is its whole text (file name and arguments); ",," is a comma
          -append STRING        the kernel's arguments (after the file name on its command line)
          -bios FILE            a firmware image (a multiple of 4 KiB, at most 16 MiB), mapped to end
                                at 4 GiB and, for its last 128 KiB, at 1 MiB; the CPU starts at the
                                reset vector F000:FFF0 unless -kernel is also given

        Machine:
          -m SIZE               RAM size: MiB (128), or with a suffix M or G (128M, 1G);
                                default {RunOptions.DefaultMemoryMiB}, from {CommandLineParser.MinMemoryMiB} MiB to 3G
          -machine TYPE         pc (the default: bare hardware), or xen: a Xen-like hypervisor runs
                                -kernel (a 32-bit PAE PV kernel with Xen ELF notes; default: the toy
                                kernel) in ring 1 with -m MiB
          --p2m-seed N          xen: the seed of the pseudo-physical to machine frame order (default 1)
          -no-reboot            end the run when the guest asks for a reset instead of rebooting
                                (a triple fault always ends the run with status 4)

        Console:
          -serial TARGET        COM1: stdio (default; stdout, and stdin as input), none, or file:PATH
          -debugcon TARGET      the debug console, port 0xE9: none (default), stdio, or file:PATH
                                (stdout carries only what the guest writes to these)

        Display and keyboard:
          -display TYPE         none (default), gl: a window showing the VGA text screen (80x25, 16
                                colours, blinking cursor; OpenGL 3.3 through Debian's libglfw3, font
                                /usr/share/consolefonts/default8x16.psf.gz or $EMU_FONT), or curses:
                                the screen redrawn on the terminal with ANSI escapes (serial output
                                then off unless -serial is given). Keys typed in the window or the
                                terminal reach the guest's 8042 keyboard controller (IRQ1, scan code
                                set 1 as the controller translates it).
          -input-record FILE    write every key event to FILE with the instruction count it entered
                                the machine at (keys enter at 1 ms polls of virtual time)
          -input-replay FILE    type the key events of FILE at their recorded instruction counts
                                (lines "TICK key SCANCODE down|up", scan code in set 1 hex, e.g.
                                "10000000 key 1e down"; or a trace from -trace, whose input events
                                are the same log): the replayed run is the recorded one

        Run control and diagnostics:
          --max-instructions N  stop after N instructions (exit status 124)
          --stats               print instructions executed, wall time and MIPS on stderr at exit
          -trace FILE           record a trace as JSON Lines into FILE (one event per line, stamped with
                                virtual time; complete after any ending, Ctrl-C included)
          -trace-level LEVEL    boot (boot, mode changes, console lines, the end), hypercall (the
                                default: also exceptions, interrupts, hypercalls, upcalls, CR3 loads,
                                page-table updates) or full (also every port access)
          -s                    serve the gdb remote protocol on 127.0.0.1:1234 (as QEMU's -s)
          -gdb tcp::PORT        ... on 127.0.0.1:PORT (0: a free port; the port is printed on stderr)
          -S                    do not start the CPU until the debugger continues it (needs -s or -gdb)
                                gdb: target remote 127.0.0.1:PORT; breakpoints, watchpoints (watch/rwatch/awatch),
                                stepping, registers incl. segment and control registers, memory through
                                the guest's page tables, reverse-stepi / reverse-continue (checkpoints
                                every 10,000,000 instructions); `monitor help` lists the stub's own commands
          -snapshot-save FILE   when the run stops (the guest's exit, --max-instructions, Ctrl-C), write the
                                whole machine state to FILE (CPU, RAM, every device, the hypervisor)
          -snapshot-load FILE   start from the state in FILE instead of booting; give the same -machine and
                                -m (and image) as the run that saved it, or it is refused with the reason
                                (--max-instructions then counts from the snapshot's instruction)
          --log-level LEVEL     verbose, debug, information, warning (default) or error; logs go to stderr
          --log-file PATH       also write the log to PATH
          -h, --help            show this help

        Examples:
          emu run                                                        (toy kernel self-tests, exits with 0)
          emu run -append "pv=patch bench"
          emu run -kernel guests/build/hello.elf -append "exit=5 hi"     (prints, exits with 11)
          emu run -kernel guests/build/loop.elf --stats
          emu run -machine xen -append pv=ops -trace boot.jsonl        (then: emu trace stats boot.jsonl)
          emu run -append shell -display gl -input-record keys.txt      (the toy kernel's shell in a window)
          emu run -append shell -input-replay keys.txt                  (the same session again)

        {ExitStatuses}
        """;

    public const string Debug = """
        Usage: emu debug [the options of emu run] [--port N]

        Boots the machine as `emu run` does, paused before its first instruction, and serves the web
        debugger on http://127.0.0.1:PORT (printed on stderr at start; open it in a browser). The page
        shows the registers (changes since the last stop highlighted), the disassembly around EIP with
        the kernel's ELF symbols, memory (virtual or physical), the page-table walk of any address, the
        hypercall log with decoded arguments and results (-machine xen; click an entry for its tick
        and context), the guest console, the VGA text screen and the trace events as they happen.
        Buttons and keys: step (s), step over (n), continue (c), pause (p), run to the next hypercall
        (h), reverse step (r) and reverse continue (R) (checkpoints are kept while it runs);
        breakpoints on linear or physical addresses (with a condition such as
        `eax == 0x10 && [esp+4] != 0`), hypercalls (name or number), ports, exception or interrupt
        vectors, and writes to linear or physical memory.

          --port N              listen on 127.0.0.1:N (default: a free port)

        -s, -gdb and -S are for `emu run`: the gdb stub and the web page are separate front ends.

        Example:
          emu debug -machine xen -append pv=ops       (then open the URL printed on stderr)
        """;

    public const string Trace = """
        Usage: emu trace diff [--context N] [--allow-truncated] EXPECTED ACTUAL
               emu trace stats [--allow-truncated] FILE

        Reads traces recorded with `emu run -trace FILE -trace-level boot|hypercall|full`
        (JSON Lines: a "trace" header, one event per line stamped with virtual time "i", an "end" event).

        diff   Compares the traces event by event, virtual time included, and reports the first
               divergence: both events, the fields that differ, N events of context on each side
               (--context, default 3) and the events per type of both files.
               Exit status 0 when the traces are equivalent, 1 when they differ.
        stats  Events per type, hypercalls per name with their failures by errno, and how the run
               ended. Exit status 0.

        A file that is not a trace, has a malformed line, or lacks its "end" event (the recording
        was cut short) is an error naming the file and line, exit status 2; --allow-truncated reads
        a trace without its end event anyway.

        Examples:
          emu run -machine xen -trace new.jsonl -serial none
          emu trace diff tests/golden/toykernel-xen-ops.hypercall.jsonl new.jsonl
          emu trace stats new.jsonl
        """;
}
