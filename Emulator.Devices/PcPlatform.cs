// TEMPORARY STAND-IN — to be replaced by the devices branch's PcPlatform at merge.
// It exists only so that the `emu` host compiles and runs guests in the boot branch: COM1 with
// output and a receive queue, the debug console (0xE9) and isa-debug-exit (0xF4). Every type it
// needs is nested inside PcPlatform so that taking the devices branch's file removes all of it.
// PcPlatformOptions.cs is a byte-for-byte copy of the devices branch's file (merges cleanly).
using Emulator.Core.Bus;
using Emulator.Core.Machine;

namespace Emulator.Devices;

/// <summary>TEMPORARY stand-in for the PC devices (see the note at the top of this file).</summary>
public sealed class PcPlatform
{
    public StandInUart Com1 { get; }

    private PcPlatform(StandInUart com1) => Com1 = com1;

    public static PcPlatform Attach(Machine machine, PcPlatformOptions options)
    {
        var com1 = new StandInUart(options.SerialOutput);
        machine.Ports.Register(0x3F8, 8, com1);
        machine.Ports.Register(0xE9, 1, new StandInDebugCon(options.DebugConsoleOutput));
        machine.Ports.Register(0xF4, 1, new StandInDebugExit(machine));
        return new PcPlatform(com1);
    }

    /// <summary>Just enough of a 16550: THR to the output stream, RBR from a queue, LSR always ready to send.</summary>
    public sealed class StandInUart : IPortDevice
    {
        private readonly Stream? _out;
        private readonly Queue<byte> _input = new();
        private byte _lcr, _ier, _scratch;

        public StandInUart(Stream? output) => _out = output;

        /// <summary>Thread-safe: the host's stdin reader calls it.</summary>
        public void EnqueueInput(byte b)
        {
            lock (_input) _input.Enqueue(b);
        }

        public uint ReadPort(ushort port, int size)
        {
            bool dlab = (_lcr & 0x80) != 0;
            switch (port - 0x3F8)
            {
                case 0:
                    if (dlab) return 1;
                    lock (_input) return _input.Count > 0 ? _input.Dequeue() : 0u;
                case 1: return dlab ? 0u : _ier;
                case 2: return 0x01; // no interrupt pending
                case 3: return _lcr;
                case 5:
                    lock (_input) return 0x60u | (_input.Count > 0 ? 1u : 0u); // THRE | TEMT | DR
                case 7: return _scratch;
                default: return 0;
            }
        }

        public void WritePort(ushort port, int size, uint value)
        {
            bool dlab = (_lcr & 0x80) != 0;
            switch (port - 0x3F8)
            {
                case 0:
                    if (!dlab) _out?.WriteByte((byte)value);
                    break;
                case 1: if (!dlab) _ier = (byte)value; break;
                case 3: _lcr = (byte)value; break;
                case 7: _scratch = (byte)value; break;
            }
        }
    }

    private sealed class StandInDebugCon : IPortDevice
    {
        private readonly Stream? _out;
        public StandInDebugCon(Stream? output) => _out = output;
        public uint ReadPort(ushort port, int size) => 0xE9; // Bochs/QEMU answer 0xE9 so guests can detect it
        public void WritePort(ushort port, int size, uint value) => _out?.WriteByte((byte)value);
    }

    private sealed class StandInDebugExit : IPortDevice
    {
        private readonly IMachineControl _machine;
        public StandInDebugExit(IMachineControl machine) => _machine = machine;
        public uint ReadPort(ushort port, int size) => 0xFFFFFFFF;
        public void WritePort(ushort port, int size, uint value) => _machine.RequestExit(MachineExit.DebugExit(value));
    }
}
