using Emulator.Core.Hypervisor;
using Iced.Intel;
using static Emulator.Tests.Hypervisor.PvGuest;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Tests.Hypervisor;

/// <summary>Regressions found by the hostile guest, run as tiny PV guests: port I/O, #BP/#OF gates, continued traps.</summary>
public sealed class GuestTrapRegressionTests
{
    /// <summary>Installs the trap table at Scratch (entries written by <paramref name="entries"/>, then the end marker).</summary>
    private static void LoadTraps(Assembler a, int count, Action<Assembler> entries)
    {
        entries(a);
        a.mov(__dword_ptr[Scratch + (uint)count * 8 + 4], 0u);
        a.mov(ebx, Scratch);
        Hcall(a, XenAbi.SetTrapTable);
    }

    /// <summary>A handler that stores the error code and the faulting EIP, then powers off.</summary>
    private static void RecordErrorAndEip(Assembler a)
    {
        a.mov(eax, __dword_ptr[esp]); Store(a, 1);
        a.mov(eax, __dword_ptr[esp + 4]); Store(a, 2);
        Shutdown(a, 0);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void PortIoFromRingOneIsAGeneralProtectionFaultNotAnAccessToTheMachinesPorts(bool input)
    {
        // The vCPU has no TSS: before, the I/O bitmap was read from guest VA 0 (zeros: every port allowed).
        var g = new PvGuest(a =>
        {
            LoadTraps(a, 1, t => TrapEntry(t, 0, 13, 0, Handler1));
            a.mov(__dword_ptr[Results], 0xAAAAu);
            if (input) a.@in(al, 0x60); else a.@out(0x80, al);
            Shutdown(a, 3);
        }, handler1: RecordErrorAndEip);
        var exit = g.Run();
        Assert.True(exit.ExitStatus == 0, exit.Message);
        Assert.Equal(0u, g.Result(1));                                  // #GP(0)
        Assert.Equal(0xAAAAu, g.Result(0));
        Assert.InRange(g.Result(2), PvGuest.Code, PvGuest.Code + 0x40);                  // the IN/OUT itself
    }

    [Theory]
    [InlineData("int3", 3)]
    [InlineData("int 3", 3)]
    [InlineData("into", 4)]
    public void BreakpointAndOverflowReachTheirHandlersWhateverTheirTrapTableDpl(string how, int vector)
    {
        // Xen's IDT gives #BP and #OF DPL 3, so the guest's trap-table DPL (0 here) does not gate them.
        var g = new PvGuest(a =>
        {
            LoadTraps(a, 2, t =>
            {
                TrapEntry(t, 0, (byte)vector, 0, Handler1);
                TrapEntry(t, 1, 13, 0, Handler2);
            });
            a.mov(eax, 0x7FFFFFFFu);
            a.add(eax, 1);                                               // OF for into
            switch (how)
            {
                case "int3": a.int3(); break;
                case "int 3": a.@int(3); break;
                default: a.into(); break;
            }
            Shutdown(a, 3);
        }, handler1: a =>
        {
            a.mov(eax, (uint)vector); Store(a, 1);
            Shutdown(a, 0);
        }, handler2: a =>
        {
            a.mov(eax, 13u); Store(a, 1);
            Shutdown(a, 0);
        });
        var exit = g.Run();
        Assert.True(exit.ExitStatus == 0, exit.Message);
        Assert.Equal((uint)vector, g.Result(1));
    }

    [Fact]
    public void ALongMulticallFromTheGuestIsContinuedThroughTheSameIntAndCompletes()
    {
        const uint list = 0x200000, n = 1100;
        var g = new PvGuest(a =>
        {
            var fill = a.CreateLabel();
            a.mov(edi, list);
            a.mov(ecx, n);
            a.Label(ref fill);
            a.mov(__dword_ptr[edi], (uint)XenAbi.XenVersion);
            a.mov(__dword_ptr[edi + 4], 7u);
            a.add(edi, 32);
            a.dec(ecx);
            a.jne(fill);
            a.mov(ebx, list); a.mov(ecx, n);
            Hcall(a, XenAbi.Multicall);
            Store(a, 0);
            Shutdown(a, 0);
        });
        var exit = g.Run(5_000_000);
        Assert.True(exit.ExitStatus == 0, exit.Message);
        Assert.Equal(0u, g.Result(0));
        Assert.True(g.Hv.ReadGuest32(list + (n - 1) * 32 + 4, out uint last));
        Assert.Equal(XenAbi.Version, last);
        // Two traps: the first preempted after 1024 entries (EAX = 13 to re-enter), the second finished.
        var top = g.Events.Where(e => e.Number == XenAbi.Multicall && !e.InMulticall).ToList();
        Assert.Equal(2, top.Count);
        Assert.Equal(XenAbi.Multicall, top[0].Result);
        Assert.Equal(list + 1024 * 32, top[1].Arg1);
        Assert.Equal(n - 1024, top[1].Arg2);
        Assert.Equal(0, top[1].Result);
        Assert.Equal((int)n, g.Events.Count(e => e.Number == XenAbi.XenVersion && e.InMulticall));
    }
}
