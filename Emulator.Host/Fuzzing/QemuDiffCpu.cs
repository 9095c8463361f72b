using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Emulator.Core.Fuzzing.Differential;
using Iced.Intel;

namespace Emulator.Host.Fuzzing;

/// <summary>
/// QEMU (qemu-system-i386, TCG) as the reference side of a differential case, driven through its
/// gdb stub: `qemu-system-i386 -accel tcg -M pc -m 16 -display none -nodefaults -monitor none
/// -serial none -S -gdb tcp:127.0.0.1:PORT`. Set-up, once per process: the system tables of
/// <see cref="DiffLayout"/> are written with <c>M</c> packets, and a boot stub at
/// <see cref="DiffLayout.StubBase"/> (LGDT, LIDT, CR0.PE, a far jump to 32-bit code, data
/// selectors, LTR) is single-stepped from real mode, because the stub cannot write GDTR, IDTR or
/// TR. After it, each case is loaded with <c>M</c> (code and window) and <c>P</c> packets
/// (registers, then DS, ES, FS, GS, SS, CS: in protected mode QEMU's stub loads a written selector's
/// descriptor from the GDT, and the CPL follows SS's DPL). <c>P</c> needs the stub to have sent
/// its target description first, so it is read once. Registers are read with <c>g</c> (QEMU's
/// i386 layout: eax, ecx, edx, ebx, esp, ebp, esi, edi, eip, eflags, cs, ss, ds, es, fs, gs, each
/// 32 bits little-endian), memory with <c>m</c>, and <c>s</c> steps one instruction (one
/// iteration of a REP one), with interrupts and timers held off by QEMU's single-step defaults.
/// </summary>
public sealed class QemuDiffCpu : IDiffCpu
{
    public const string Executable = "qemu-system-i386";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private const int RegEip = 8, RegEflags = 9;
    // gdb numbers of CS, SS, DS, ES, FS, GS and the order they are written in.
    private static readonly (int GdbNumber, int Segment)[] SegmentWriteOrder = { (12, 3), (13, 0), (14, 4), (15, 5), (11, 2), (10, 1) };
    private const int MaxMemoryChunk = 1024; // bytes per M/m packet (QEMU's packet buffer is 4 KiB of hex)

    private readonly Process _process;
    private readonly GdbRemoteClient _gdb;

    public string Name => "qemu";

    private QemuDiffCpu(Process process, GdbRemoteClient gdb)
    {
        _process = process;
        _gdb = gdb;
    }

    /// <summary>Starts QEMU and brings it to flat protected mode with the tables in place.</summary>
    /// <exception cref="GdbRemoteException">QEMU did not start, or its stub misbehaved.</exception>
    public static QemuDiffCpu Start(string executable)
    {
        int port = FreePort();
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-accel", "tcg", "-M", "pc", "-m", "16", "-display", "none", "-nodefaults", "-monitor", "none",
                     "-serial", "none", "-S", "-gdb", $"tcp:127.0.0.1:{port}" })
            info.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(info) ?? throw new GdbRemoteException($"{executable} did not start"); }
        catch (System.ComponentModel.Win32Exception e) { throw new GdbRemoteException($"{executable} did not start: {e.Message}", e); }
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (stderr) stderr.AppendLine(e.Data); };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        TcpClient? client = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (client == null)
        {
            try { client = new TcpClient(IPAddress.Loopback.ToString(), port); }
            catch (SocketException)
            {
                if (process.HasExited || DateTime.UtcNow > deadline)
                {
                    Stop(process);
                    string why;
                    lock (stderr) why = stderr.ToString().Trim();
                    throw new GdbRemoteException($"{executable}'s gdb stub did not come up on port {port}{(why.Length > 0 ? ": " + why : "")}");
                }
                Thread.Sleep(50);
            }
        }
        var qemu = new QemuDiffCpu(process, new GdbRemoteClient(client, Timeout));
        try { qemu.Boot(); }
        catch
        {
            qemu.Dispose();
            throw;
        }
        return qemu;
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private void Boot()
    {
        _gdb.Request("qXfer:features:read:target.xml:0,ffb"); // enables P (QEMU writes registers only for a client that has it)
        WriteMemory(0, DiffLayout.SystemImage());
        var (stub, end) = BootStub();
        WriteMemory(DiffLayout.StubBase, stub);
        WriteRegister(10, 0);                          // CS = 0 (real mode: base 0)
        WriteRegister(12, 0);                          // DS = 0
        WriteRegister(RegEip, DiffLayout.StubBase);
        for (int k = 0; k < 64 && ReadEip() != end; k++) Step();
        var state = Read();
        if (state.Eip != end || state.Selectors[1] != 0x08)
            throw new GdbRemoteException($"QEMU's boot stub did not reach protected mode (EIP {state.Eip:x8}, CS {state.Selectors[1]:x4})");
    }

    /// <summary>The boot stub and the address of its final HLT (never executed).</summary>
    private static (byte[] Code, uint End) BootStub()
    {
        const uint pointers = DiffLayout.StubBase + 0x200, code32 = DiffLayout.StubBase + 0x100;
        var real = new List<Instruction>
        {
            Instruction.Create(Code.Lgdt_m1632_16, new MemoryOperand(Register.None, Register.None, 1, pointers, 2)),
            Instruction.Create(Code.Lidt_m1632_16, new MemoryOperand(Register.None, Register.None, 1, pointers + 8, 2)),
            Instruction.Create(Code.Mov_r32_cr, Register.EAX, Register.CR0),
            Instruction.Create(Code.Or_rm32_imm8, Register.EAX, 1),
            Instruction.Create(Code.Mov_cr_r32, Register.CR0, Register.EAX),
            Instruction.CreateBranch(Code.Jmp_ptr1616, 0x08, code32),
        };
        var protectedMode = new List<Instruction>
        {
            Instruction.Create(Code.Mov_r16_imm16, Register.AX, 0x10),
            Instruction.Create(Code.Mov_Sreg_r32m16, Register.SS, Register.EAX),
            Instruction.Create(Code.Mov_Sreg_r32m16, Register.DS, Register.EAX),
            Instruction.Create(Code.Mov_Sreg_r32m16, Register.ES, Register.EAX),
            Instruction.Create(Code.Mov_Sreg_r32m16, Register.FS, Register.EAX),
            Instruction.Create(Code.Mov_Sreg_r32m16, Register.GS, Register.EAX),
            Instruction.Create(Code.Mov_r16_imm16, Register.AX, DiffLayout.TssSelector),
            Instruction.Create(Code.Ltr_r32m16, Register.EAX),
        };
        var image = new byte[0x210];
        uint end = Encode(16, real, DiffLayout.StubBase, image, 0);
        end = Encode(32, protectedMode, code32, image, 0x100);
        image[end - DiffLayout.StubBase] = 0xF4; // HLT
        BitConverter.TryWriteBytes(image.AsSpan(0x200, 2), DiffLayout.GdtLimit);
        BitConverter.TryWriteBytes(image.AsSpan(0x202, 4), DiffLayout.GdtBase);
        BitConverter.TryWriteBytes(image.AsSpan(0x208, 2), DiffLayout.IdtLimit);
        BitConverter.TryWriteBytes(image.AsSpan(0x20A, 4), DiffLayout.IdtBase);
        return (image, end);
    }

    private static uint Encode(int bits, List<Instruction> instructions, uint address, byte[] image, int offset)
    {
        var block = new InstructionBlock(new ImageWriter(image, offset), instructions, address);
        if (!BlockEncoder.TryEncode(bits, block, out string? error, out _))
            throw new GdbRemoteException($"the boot stub does not encode: {error}");
        return address + (uint)((ImageWriter)block.CodeWriter).Written;
    }

    private sealed class ImageWriter(byte[] image, int offset) : CodeWriter
    {
        public int Written { get; private set; }
        public override void WriteByte(byte value) => image[offset + Written++] = value;
    }

    public void Load(DiffCase diffCase)
    {
        WriteMemory(DiffLayout.CodeBase, diffCase.Code);
        WriteMemory(DiffLayout.WindowBase, diffCase.Window);
        for (int r = 0; r < 8; r++) WriteRegister(r, diffCase.Regs[r]);
        WriteRegister(RegEip, DiffLayout.CodeBase);
        WriteRegister(RegEflags, diffCase.Eflags);
        var (cs, ds) = DiffLayout.Selectors(diffCase.Mode);
        foreach (var (number, segment) in SegmentWriteOrder) WriteRegister(number, segment == 1 ? cs : ds);
    }

    public void Step()
    {
        string reply = _gdb.Request("s");
        if (reply.Length == 0 || (reply[0] != 'T' && reply[0] != 'S'))
            throw new GdbRemoteException($"QEMU answered a single step with '{reply}'");
    }

    public DiffState Read()
    {
        string regs = _gdb.Request("g");
        if (regs.Length < 16 * 8) throw new GdbRemoteException($"QEMU's register reply is too short: '{regs}'");
        var state = new DiffState();
        for (int r = 0; r < 8; r++) state.Regs[r] = Word(regs, r);
        state.Eip = Word(regs, RegEip);
        state.Eflags = Word(regs, RegEflags);
        foreach (var (number, segment) in SegmentWriteOrder) state.Selectors[segment] = (ushort)Word(regs, number);
        ReadMemory(DiffLayout.WindowBase, state.Window);
        return state;
    }

    public uint ReadEip()
    {
        string reply = _gdb.Request($"p{RegEip:x}");
        if (reply.Length < 8) throw new GdbRemoteException($"QEMU's EIP reply is '{reply}'");
        return Word(reply, 0);
    }

    public void WriteEflags(uint value) => WriteRegister(RegEflags, value);

    public void WriteRegister(int index, uint value)
    {
        string reply = _gdb.Request(string.Create(CultureInfo.InvariantCulture, $"P{index:x}={Hex(BitConverter.GetBytes(value))}"));
        if (reply != "OK") throw new GdbRemoteException($"QEMU refused to write register {index}: '{reply}'");
    }

    public void WriteMemory(uint address, byte[] bytes)
    {
        for (int at = 0; at < bytes.Length; at += MaxMemoryChunk)
        {
            int n = Math.Min(MaxMemoryChunk, bytes.Length - at);
            string reply = _gdb.Request(string.Create(CultureInfo.InvariantCulture, $"M{address + at:x},{n:x}:{Hex(bytes.AsSpan(at, n))}"));
            if (reply != "OK") throw new GdbRemoteException($"QEMU refused to write memory at {address + at:x8}: '{reply}'");
        }
    }

    private void ReadMemory(uint address, byte[] into)
    {
        for (int at = 0; at < into.Length; at += MaxMemoryChunk)
        {
            int n = Math.Min(MaxMemoryChunk, into.Length - at);
            string reply = _gdb.Request(string.Create(CultureInfo.InvariantCulture, $"m{address + at:x},{n:x}"));
            if (reply.Length != 2 * n) throw new GdbRemoteException($"QEMU's memory reply at {address + at:x8} is '{reply}'");
            Convert.FromHexString(reply).CopyTo(into, at);
        }
    }

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    private static uint Word(string hex, int index) =>
        BitConverter.ToUInt32(Convert.FromHexString(hex.AsSpan(index * 8, 8)));

    public void Dispose()
    {
        try { _gdb.Send("k"); }
        catch (GdbRemoteException)
        {
            // Already gone: nothing to tell it.
        }
        _gdb.Dispose();
        Stop(_process);
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.WaitForExit(2000)) process.Kill();
            process.WaitForExit(2000);
        }
        catch (InvalidOperationException)
        {
            // It was never started or has been reaped.
        }
        process.Dispose();
    }
}
