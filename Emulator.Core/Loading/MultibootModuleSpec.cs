namespace Emulator.Core.Loading;

/// <summary>
/// One boot module as given to -initrd: a file name, optionally followed by a space and arguments.
/// The module's multiboot string is the whole text (file name plus arguments), as QEMU passes it.
/// </summary>
public sealed record MultibootModuleSpec(string Path, string CommandLine)
{
    /// <summary>
    /// Splits a QEMU-style -initrd value: modules separated by commas, a doubled comma standing for a
    /// literal comma. Each module is "FILE" or "FILE ARGS...". Throws <see cref="ArgumentException"/>
    /// for an empty module.
    /// </summary>
    public static IReadOnlyList<MultibootModuleSpec> ParseList(string? initrd)
    {
        var result = new List<MultibootModuleSpec>();
        if (string.IsNullOrEmpty(initrd)) return result;
        var current = new System.Text.StringBuilder();
        for (int i = 0; i <= initrd.Length; i++)
        {
            if (i < initrd.Length && initrd[i] == ',' && i + 1 < initrd.Length && initrd[i + 1] == ',')
            {
                current.Append(',');
                i++;
                continue;
            }
            if (i == initrd.Length || initrd[i] == ',')
            {
                result.Add(FromText(current.ToString()));
                current.Clear();
                continue;
            }
            current.Append(initrd[i]);
        }
        return result;
    }

    private static MultibootModuleSpec FromText(string text)
    {
        string trimmed = text.Trim();
        if (trimmed.Length == 0) throw new ArgumentException("an -initrd module name is empty (modules are separated by commas)");
        int space = trimmed.IndexOf(' ');
        string path = space < 0 ? trimmed : trimmed[..space];
        return new MultibootModuleSpec(path, trimmed);
    }
}
