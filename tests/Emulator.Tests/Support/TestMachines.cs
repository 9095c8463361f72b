using Emulator.Core.Hypervisor;
using Emulator.Core.Loading;
using Emulator.Core.Machine;
using Emulator.Devices;
using Serilog.Core;

namespace Emulator.Tests.Support;

/// <summary>Whole machines for in-process tests, console discarded: a PC booting a multiboot guest, or a Xen domain.</summary>
public static class TestMachines
{
    /// <summary>A PC with the devices, the guest loaded by multiboot with <paramref name="append"/> as its command line.</summary>
    public static Machine Pc(string kernel, string append, uint mib = 32)
    {
        var machine = new Machine(mib << 20, Logger.None);
        PcPlatform.Attach(machine, new PcPlatformOptions { SerialOutput = Stream.Null, Logger = Logger.None });
        MultibootLoader.Prepare(machine.Memory, kernel, append, log: Logger.None).Install(machine.Memory, machine.Cpu);
        return machine;
    }

    /// <summary>A -machine xen domain of <paramref name="mib"/> MiB built from <paramref name="kernel"/> (p2m seed 1).</summary>
    public static (Machine Machine, XenHypervisor Hypervisor) Xen(string kernel, string append, uint mib = 32)
    {
        var machine = new Machine((uint)XenHypervisor.MachineRamBytes(mib * 256), Logger.None);
        PcPlatform.Attach(machine, new PcPlatformOptions { SerialOutput = Stream.Null, Logger = Logger.None });
        var hv = new XenHypervisor(machine.Cpu, machine, mib * 256, 1, Stream.Null, Logger.None);
        DomainBuilder.Build(hv, ElfImage.Load(kernel), append, Logger.None);
        return (machine, hv);
    }
}
