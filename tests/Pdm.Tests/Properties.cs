// pdm runs on Linux only (its engine is a layer of Linux system calls); so do its tests.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
