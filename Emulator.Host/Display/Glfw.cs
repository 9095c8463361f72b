using System.Runtime.InteropServices;

namespace Emulator.Host.Display;

/// <summary>
/// The few GLFW 3 entry points the display window needs, from Debian's libglfw3
/// (<c>libglfw.so.3</c>): a window with an OpenGL context, its key events, and the GL function
/// pointers that Silk.NET's <c>GL.GetApi</c> loads. Every other file talks to GLFW through this one.
/// </summary>
internal static unsafe class Glfw
{
    private const string Library = "libglfw.so.3";

    public const int True = 1, False = 0;
    public const int Press = 1, Release = 0, Repeat = 2;

    // Window hints (glfw3.h).
    public const int Resizable = 0x00020003, Visible = 0x00020004;
    public const int ContextVersionMajor = 0x00022002, ContextVersionMinor = 0x00022003;
    public const int OpenGlForwardCompat = 0x00022006, OpenGlProfile = 0x00022008, OpenGlCoreProfile = 0x00032001;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate void ErrorCallback(int code, IntPtr description);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate void KeyCallback(IntPtr window, int key, int scancode, int action, int mods);

    [DllImport(Library, EntryPoint = "glfwInit")] public static extern int Init();
    [DllImport(Library, EntryPoint = "glfwTerminate")] public static extern void Terminate();
    [DllImport(Library, EntryPoint = "glfwSetErrorCallback")] public static extern IntPtr SetErrorCallback(ErrorCallback? callback);
    [DllImport(Library, EntryPoint = "glfwWindowHint")] public static extern void WindowHint(int hint, int value);
    [DllImport(Library, EntryPoint = "glfwCreateWindow")]
    public static extern IntPtr CreateWindow(int width, int height, [MarshalAs(UnmanagedType.LPUTF8Str)] string title, IntPtr monitor, IntPtr share);
    [DllImport(Library, EntryPoint = "glfwDestroyWindow")] public static extern void DestroyWindow(IntPtr window);
    [DllImport(Library, EntryPoint = "glfwMakeContextCurrent")] public static extern void MakeContextCurrent(IntPtr window);
    [DllImport(Library, EntryPoint = "glfwGetProcAddress")]
    public static extern IntPtr GetProcAddress([MarshalAs(UnmanagedType.LPUTF8Str)] string name);
    [DllImport(Library, EntryPoint = "glfwSwapInterval")] public static extern void SwapInterval(int interval);
    [DllImport(Library, EntryPoint = "glfwSwapBuffers")] public static extern void SwapBuffers(IntPtr window);
    [DllImport(Library, EntryPoint = "glfwPollEvents")] public static extern void PollEvents();
    [DllImport(Library, EntryPoint = "glfwWindowShouldClose")] public static extern int WindowShouldClose(IntPtr window);
    [DllImport(Library, EntryPoint = "glfwSetKeyCallback")] public static extern IntPtr SetKeyCallback(IntPtr window, KeyCallback? callback);
    [DllImport(Library, EntryPoint = "glfwGetFramebufferSize")] public static extern void GetFramebufferSize(IntPtr window, out int width, out int height);
}
