using System.Diagnostics;
using Axon.Cli;

namespace Axon.Onnx.Tests;

/// <summary>Runs only where Debian's python3-onnx is installed; otherwise the test is skipped, saying why.</summary>
public sealed class OnnxCheckerFactAttribute : FactAttribute
{
    public OnnxCheckerFactAttribute()
    {
        if (OnnxChecker.Unavailable is { } why) Skip = why;
    }
}

/// <summary>The ONNX project's own checker (python3-onnx), run on files.</summary>
internal static class OnnxChecker
{
    private const string Python = "/usr/bin/python3";

    private static readonly Lazy<string?> Missing = new(() =>
    {
        var (code, _, errors) = RunPython("import onnx");
        return code == 0 ? null : $"the ONNX checker is not installed ({Python} -c \"import onnx\" failed: {errors.Trim().Split('\n')[^1]}); apt-get install python3-onnx to run it";
    });

    /// <summary>Why the checker cannot run here, or null when it can.</summary>
    public static string? Unavailable => File.Exists(Python) ? Missing.Value : $"{Python} is not installed; apt-get install python3-onnx to run the ONNX checker";

    /// <summary>Checks each file with <c>onnx.checker.check_model(full_check=True)</c> (which also infers every shape); returns "ok" or the error per file.</summary>
    public static Dictionary<string, string> Check(IEnumerable<string> files)
    {
        const string script = """
            import sys, onnx
            for path in sys.argv[1:]:
                try:
                    onnx.checker.check_model(onnx.load(path), full_check=True)
                    print(path + "\tok")
                except Exception as e:
                    print(path + "\t" + str(e).replace("\n", " ")[:500])
            """;
        var (code, text, errors) = RunPython(script, [.. files]);
        Assert.True(code == 0, errors);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
    }

    private static (int Code, string Text, string Errors) RunPython(string script, params string[] args)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout, stderr.Result);
    }
}

/// <summary>Every zoo model's export passes the ONNX checker.</summary>
public sealed class OnnxCheckerTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("axon-onnx-check-");

    public void Dispose() => dir.Delete(recursive: true);

    [OnnxCheckerFact]
    public void EveryZooModelPassesTheOnnxChecker()
    {
        var files = new List<string>();
        foreach (var name in ZooExportTests.AllNames)
        {
            var model = ZooExportTests.Create(name, new Generator(41));
            string path = Path.Combine(dir.FullName, name + ".onnx");
            ExportTargets.For(model, [1, 28, 28], batch: 2, steps: 3).Save(path);
            files.Add(path);
        }
        var results = OnnxChecker.Check(files);
        Assert.Equal(files.Count, results.Count);
        Assert.All(files, f => Assert.Equal("ok", results[f]));
    }
}
