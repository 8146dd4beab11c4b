using System.Runtime.InteropServices;

namespace Pdm.Native;

/// <summary>A failed system call: the operation, errno, and the kernel's message for it.</summary>
public sealed class PosixException(string operation, int errno)
    : Exception($"{operation}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})")
{
    public string Operation { get; } = operation;
    public int Errno { get; } = errno;
    public string Reason => Marshal.GetPInvokeErrorMessage(Errno);
}
