using Emulator.Core.Hypervisor;
using Emulator.Core.Machine;
using static Emulator.Tests.Hypervisor.PvGuest;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Tests.Hypervisor;

/// <summary>Hypercalls made by tiny PV guests through the hypercall page, with XEN-ABI.md's numbers and error codes.</summary>
public sealed class HypercallTests
{
    [Fact]
    public void ConsoleIoWriteReachesTheConsoleAndPoweroffExitsZero()
    {
        var g = new PvGuest(a =>
        {
            var msg = a.CreateLabel();
            a.mov(ebx, 0);          // CONSOLEIO_write
            a.mov(ecx, 6);
            a.mov(edx, Scratch);
            // "hello\n" into the scratch page
            a.mov(__dword_ptr[Scratch], 0x6C6C6568u);
            a.mov(__word_ptr[Scratch + 4], (ushort)0x0A6F);
            Hcall(a, XenAbi.ConsoleIo);
            Store(a, 0);
            Shutdown(a, 0);
            a.Label(ref msg);
            a.nop();
        });
        var exit = g.Run();
        Assert.Equal(ExitKind.PowerOff, exit.Kind);
        Assert.Equal(0, exit.ExitStatus);
        Assert.Equal("hello\n", g.ConsoleText);
        Assert.Equal(0u, g.Result(0));
    }

    [Fact]
    public void XenVersionReturnsFourSeventeen()
    {
        var g = new PvGuest(a =>
        {
            a.mov(ebx, 0); a.mov(ecx, 0);
            Hcall(a, XenAbi.XenVersion); Store(a, 0);
            a.mov(ebx, 3); a.mov(ecx, Scratch);        // capabilities
            Hcall(a, XenAbi.XenVersion); Store(a, 1);
            a.mov(ebx, 7);                             // pagesize
            Hcall(a, XenAbi.XenVersion); Store(a, 2);
            Shutdown(a, 0);
        });
        Assert.Equal(0, g.Run().ExitStatus);
        Assert.Equal((4u << 16) | 17u, g.Result(0));
        Assert.Equal(0u, g.Result(1));
        Assert.Equal(4096u, g.Result(2));
        Span<byte> caps = stackalloc byte[16];
        Assert.True(g.Hv.ReadGuest(Scratch, caps));
        Assert.Equal("xen-3.0-x86_32p\0", System.Text.Encoding.ASCII.GetString(caps));
    }

    [Fact]
    public void ShutdownWithReasonCrashExitsFour()
    {
        var g = new PvGuest(a => Shutdown(a, 3));
        var exit = g.Run();
        Assert.Equal(ExitKind.GuestCrash, exit.Kind);
        Assert.Equal(4, exit.ExitStatus);
    }

    [Fact]
    public void UnknownNumbersGiveEnosysAndBadPointersEfault()
    {
        var g = new PvGuest(a =>
        {
            Hcall(a, 60); Store(a, 0);                          // unused number
            Hcall(a, XenAbi.SetGdt); Store(a, 1);               // not implemented
            a.mov(ebx, 0); a.mov(ecx, 4); a.mov(edx, 0x40000000u); // unmapped buffer
            Hcall(a, XenAbi.ConsoleIo); Store(a, 2);
            a.mov(ebx, 0); a.mov(ecx, 4); a.mov(edx, XenAbi.HypervisorVirtStart); // the hypervisor hole (mapped, but never guest memory)
            Hcall(a, XenAbi.ConsoleIo); Store(a, 3);
            a.mov(ebx, 1); a.mov(ecx, 0xFFFFF000u);             // extraversion into the hole
            Hcall(a, XenAbi.XenVersion); Store(a, 4);
            a.mov(ebx, 99); a.mov(ecx, 0);                      // unknown xen_version command
            Hcall(a, XenAbi.XenVersion); Store(a, 5);
            Shutdown(a, 0);
        });
        Assert.Equal(0, g.Run().ExitStatus);
        Assert.Equal(Err(38), g.Result(0));
        Assert.Equal(0xFFFFFFDAu, g.Result(1));
        Assert.Equal(Err(14), g.Result(2));
        Assert.Equal(Err(14), g.Result(3));
        Assert.Equal(Err(14), g.Result(4));
        Assert.Equal(Err(38), g.Result(5));
        Assert.Equal("", g.ConsoleText);
    }

    [Fact]
    public void EveryHypercallRaisesOneEventWithItsArgumentsAndResult()
    {
        var g = new PvGuest(a =>
        {
            a.mov(ebx, 0); a.mov(ecx, 0);
            Hcall(a, XenAbi.XenVersion);
            Hcall(a, 60);
            Shutdown(a, 0);
        });
        g.Run();
        Assert.Equal(3, g.Events.Count);
        Assert.Equal((uint)XenAbi.XenVersion, g.Events[0].Number);
        Assert.Equal("xen_version", g.Events[0].Name);
        Assert.Equal((4 << 16) | 17, g.Events[0].Result);
        Assert.Equal(60u, g.Events[1].Number);
        Assert.Equal(-38, g.Events[1].Result);
        Assert.Equal((uint)XenAbi.SchedOp, g.Events[2].Number);
        Assert.Equal(2u, g.Events[2].Arg1);
        Assert.StartsWith("sched_op(cmd=shutdown", g.Events[2].Describe());
    }

    [Fact]
    public void MulticallRunsEachEntryAndStoresItsResult()
    {
        var g = new PvGuest(a =>
        {
            // entry 0: xen_version(0); entry 1: hypercall 60
            a.mov(__dword_ptr[Scratch + 0], (uint)XenAbi.XenVersion);
            a.mov(__dword_ptr[Scratch + 8], 0u);
            a.mov(__dword_ptr[Scratch + 32], 60u);
            a.mov(ebx, Scratch); a.mov(ecx, 2);
            Hcall(a, XenAbi.Multicall); Store(a, 0);
            Shutdown(a, 0);
        });
        Assert.Equal(0, g.Run().ExitStatus);
        Assert.Equal(0u, g.Result(0));
        Assert.True(g.Hv.ReadGuest32(Scratch + 4, out uint r0));
        Assert.True(g.Hv.ReadGuest32(Scratch + 36, out uint r1));
        Assert.Equal((4u << 16) | 17u, r0);
        Assert.Equal(Err(38), r1);
    }

    [Fact]
    public void MemoryOpReportsTheReservationAndMemoryMap()
    {
        var g = new PvGuest(a =>
        {
            a.mov(__word_ptr[Scratch], (ushort)XenAbi.DomidSelf);
            a.mov(ebx, 3); a.mov(ecx, Scratch);
            Hcall(a, XenAbi.MemoryOp); Store(a, 0);
            a.mov(__dword_ptr[Scratch + 16], 4u);            // nr_entries
            a.mov(__dword_ptr[Scratch + 20], Scratch + 64);  // buffer
            a.mov(ebx, 9); a.mov(ecx, Scratch + 16);
            Hcall(a, XenAbi.MemoryOp); Store(a, 1);
            Shutdown(a, 0);
        });
        Assert.Equal(0, g.Run().ExitStatus);
        Assert.Equal(DomainPages, g.Result(0));
        Assert.Equal(0u, g.Result(1));
        Assert.True(g.Hv.ReadGuest32(Scratch + 16, out uint n));
        Assert.Equal(1u, n);
        Assert.True(g.Hv.ReadGuest32(Scratch + 64 + 8, out uint size));
        Assert.Equal(DomainPages * 4096u, size);
    }
}
