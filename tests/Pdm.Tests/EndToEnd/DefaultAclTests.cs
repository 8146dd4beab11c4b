using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Pdm.Tests.Support;

namespace Pdm.Tests.EndToEnd;

/// <summary>
/// A target directory with a default ACL gives every entry created in it an ACL and a mode masked by
/// it (project directories on shared filesystems often have one). The copies must still end up with
/// the source's mode and attributes, on the first pass into such a directory and on later ones.
/// </summary>
public sealed partial class DefaultAclTests : IDisposable
{
    private readonly TempTree _tmp = new();

    public void Dispose() => _tmp.Dispose();

    /// <summary>Source and target on an ext4 of the test's own, which takes POSIX ACLs wherever the scratch directory lives.</summary>
    private (string Src, string Dst) OnExt4()
    {
        Assert.True(Tools.IsRoot, "this test runs as root, as CI does (it mounts an ext4)");
        string fs = _tmp.MountExt4("fs", 64);
        return (Path.Combine(fs, "src"), Path.Combine(fs, "dst"));
    }

    [Fact]
    public void FilesCreatedUnderADefaultAclGetTheSourcesModeAndAttributes()
    {
        var (src, dst) = OnExt4();
        string ledger = _tmp["ledger.db"];
        Directory.CreateDirectory(Path.Combine(src, "minimal"));
        Directory.CreateDirectory(Path.Combine(src, "named"));
        Directory.CreateDirectory(dst);
        // Minimal: changes only the mode of what is created (0644 would become 0600).
        SetAcl(dst, "system.posix_acl_default", (UserObj, 7, 0), (GroupObj, 0, 0), (Other, 0, 0));
        SetAcl(Path.Combine(src, "minimal"), "system.posix_acl_default", (UserObj, 7, 0), (GroupObj, 0, 0), (Other, 0, 0));
        // With a named user: what is created also gets an access ACL.
        SetAcl(Path.Combine(src, "named"), "system.posix_acl_default",
            (UserObj, 7, 0), (User, 7, 1234), (GroupObj, 5, 0), (Mask, 7, 0), (Other, 5, 0));
        PlainFile(Path.Combine(src, "at-root"));
        PlainFile(Path.Combine(src, "minimal", "first"));
        PlainFile(Path.Combine(src, "named", "first"));

        var first = Tools.Pdm_("copy", src, dst, "--ledger", ledger);
        Assert.True(first.ExitCode == 0, $"pdm copy exited {first.ExitCode}:\n{first.Stdout}\n{first.Stderr}");
        Tools.AssertTreesEqual(src, dst);

        // The target directories have their default ACLs now: new files, and a changed one (written
        // to a named temporary), are created under them.
        foreach (var dir in new[] { "minimal", "named" })
        {
            PlainFile(Path.Combine(src, dir, "later"));
            PlainFile(Path.Combine(src, dir, "first"), "changed content");
        }
        string withOwn = Path.Combine(src, "named", "with-own-acl");
        PlainFile(withOwn);
        SetAcl(withOwn, "system.posix_acl_access", OwnAcl);
        File.SetLastWriteTimeUtc(withOwn, new DateTime(2021, 3, 4, 5, 6, 7, DateTimeKind.Utc));
        // Fifos too (treediff does not look at their attributes: checked here).
        string fifoPlain = Path.Combine(src, "named", "fifo-plain"), fifoOwn = Path.Combine(src, "named", "fifo-own");
        foreach (var fifo in new[] { fifoPlain, fifoOwn })
        {
            Assert.Equal(0, Tools.Run("mkfifo", [fifo]).ExitCode);
            RemoveXattr(fifo, "system.posix_acl_access");
            File.SetUnixFileMode(fifo, (UnixFileMode)0x1A4);
        }
        SetAcl(fifoOwn, "system.posix_acl_access", OwnAcl);

        var second = Tools.Pdm_("copy", src, dst, "--ledger", ledger);
        Assert.True(second.ExitCode == 0, $"pdm copy exited {second.ExitCode}:\n{second.Stdout}\n{second.Stderr}");
        Tools.AssertTreesEqual(src, dst);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            File.GetUnixFileMode(Path.Combine(dst, "minimal", "later")));
        Assert.Null(GetXattr(Path.Combine(dst, "named", "fifo-plain"), "system.posix_acl_access"));
        Assert.Equal(GetXattr(fifoOwn, "system.posix_acl_access"), GetXattr(Path.Combine(dst, "named", "fifo-own"), "system.posix_acl_access"));
        Assert.Equal(File.GetUnixFileMode(fifoOwn), File.GetUnixFileMode(Path.Combine(dst, "named", "fifo-own")));

        var verify = Tools.Pdm_("verify", src, dst, "--ledger", ledger);
        Assert.True(verify.ExitCode == 0, $"pdm verify exited {verify.ExitCode}:\n{verify.Stdout}\n{verify.Stderr}");
    }

    [Fact]
    public void VerifySeesTheAttributesOfFifosAndOfTheRoot()
    {
        var (src, dst) = OnExt4();
        string ledger = _tmp["ledger.db"];
        Directory.CreateDirectory(src);
        Assert.Equal(0, Tools.Run("mkfifo", [Path.Combine(src, "fifo")]).ExitCode);
        Assert.Equal(0, Tools.Pdm_("copy", src, dst, "--ledger", ledger).ExitCode);
        Assert.Equal(0, Tools.Pdm_("verify", src, dst, "--ledger", ledger).ExitCode);

        SetAcl(Path.Combine(dst, "fifo"), "system.posix_acl_access", OwnAcl);
        var verify = Tools.Pdm_("verify", src, dst, "--ledger", ledger);
        Assert.NotEqual(0, verify.ExitCode);
        Assert.Contains("fifo: verify: xattrs differ", verify.Stderr);

        SetAcl(dst, "system.posix_acl_default", (UserObj, 7, 0), (GroupObj, 0, 0), (Other, 0, 0));
        verify = Tools.Pdm_("verify", src, dst, "--ledger", ledger);
        Assert.Contains("  .: verify: xattrs differ", verify.Stderr); // the root is listed as "."
    }

    /// <summary>An access ACL of the file's own: rw-, user 42 r--, group r--, mask r--, other r--.</summary>
    private static readonly (ushort Tag, ushort Perm, uint Id)[] OwnAcl =
        [(UserObj, 6, 0), (User, 4, 42), (GroupObj, 4, 0), (Mask, 4, 0), (Other, 4, 0)];

    private const ushort UserObj = 0x01, User = 0x02, GroupObj = 0x04, Mask = 0x10, Other = 0x20;

    /// <summary>A file of mode 0644 without the ACL its directory would give it, and an old mtime.</summary>
    private static void PlainFile(string path, string content = "content")
    {
        File.WriteAllText(path, content);
        RemoveXattr(path, "system.posix_acl_access");
        File.SetUnixFileMode(path, (UnixFileMode)0x1A4);
        File.SetLastWriteTimeUtc(path, new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc));
    }

    /// <summary>An ACL in the kernel's xattr form: version 2, then (tag, perm, id) entries in tag order.</summary>
    private static void SetAcl(string path, string name, params (ushort Tag, ushort Perm, uint Id)[] entries)
    {
        var value = new byte[4 + 8 * entries.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(value, 2);
        for (int i = 0; i < entries.Length; i++)
        {
            var (tag, perm, id) = entries[i];
            var e = value.AsSpan(4 + 8 * i);
            BinaryPrimitives.WriteUInt16LittleEndian(e, tag);
            BinaryPrimitives.WriteUInt16LittleEndian(e[2..], perm);
            BinaryPrimitives.WriteUInt32LittleEndian(e[4..], tag is User ? id : uint.MaxValue);
        }
        Assert.True(Native.setxattr(path, name, value, (nuint)value.Length, 0) == 0,
            $"setxattr {name} on {path}: errno {Marshal.GetLastPInvokeError()}");
    }

    private static void RemoveXattr(string path, string name) => Native.removexattr(path, name);

    /// <summary>An attribute's value by path (a fifo is not opened), or null if it has none.</summary>
    private static byte[]? GetXattr(string path, string name)
    {
        var value = new byte[4096];
        nint n = Native.getxattr(path, name, value, (nuint)value.Length);
        return n < 0 ? null : value[..(int)n];
    }

    private static partial class Native
    {
        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int setxattr(string path, string name, byte[] value, nuint size, int flags);

        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int removexattr(string path, string name);

        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial nint getxattr(string path, string name, byte[] value, nuint size);
    }
}
