namespace Emulator.Tests.Tracing;

/// <summary>Small hand-written traces for the reader, diff and stats tests.</summary>
public static class TraceSamples
{
    public const string Header = "{\"i\":0,\"type\":\"trace\",\"version\":1,\"level\":\"hypercall\"}";
    public const string Boot = "{\"i\":10,\"type\":\"boot\",\"profile\":\"xen\",\"loader\":\"xen-pv\",\"image\":\"k.elf\",\"entry\":\"0x00101000\",\"cmdline\":\"\",\"strategy\":null,\"memory_mib\":32,\"p2m_seed\":1}";
    public const string Console1 = "{\"i\":20,\"type\":\"console\",\"text\":\"hello\"}";
    public const string Write5 = "{\"i\":20,\"type\":\"hypercall\",\"nr\":18,\"name\":\"console_io\",\"args\":{\"cmd\":\"write\",\"count\":5,\"buf\":\"0x00001000\"},\"result\":0,\"errno\":null}";
    public const string PinFails = "{\"i\":30,\"type\":\"hypercall\",\"nr\":26,\"name\":\"mmuext_op\",\"args\":{\"count\":1,\"entries\":[{\"cmd\":\"pin_l3_table\",\"arg1\":\"0x00000005\"}]},\"result\":-22,\"errno\":\"EINVAL\"}";
    public const string Cr3 = "{\"i\":40,\"type\":\"cr3\",\"value\":\"0x00005000\",\"by\":\"new_baseptr\"}";
    public const string End = "{\"i\":50,\"type\":\"end\",\"reason\":\"poweroff\",\"status\":0,\"message\":\"xen: the domain shut down (poweroff)\"}";

    public static string Lines(params string[] lines) => string.Join("\n", lines) + "\n";

    /// <summary>A complete trace: header, boot, a console line and its hypercall, a failing pin, a CR3 load, the end.</summary>
    public static string Complete => Lines(Header, Boot, Console1, Write5, PinFails, Cr3, End);
}
