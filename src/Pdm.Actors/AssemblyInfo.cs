// pdm acts through Linux system calls (openat2, statx, O_TMPFILE...): it runs on Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
