using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using Axon.Cli;
using Axon.Data;

namespace Axon.Cli.Tests;

/// <summary><c>axon shallow</c> end to end on a tiny synthetic Fashion-MNIST-shaped data set written as IDX files.</summary>
public sealed partial class ShallowCommandTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("axon-shallow-");

    private string Data => Path.Combine(dir.FullName, "data");

    public ShallowCommandTests()
    {
        Directory.CreateDirectory(Data);
        var g = new Generator(2);
        foreach (var (prefix, n) in new[] { ("train", 200), ("t10k", 50) })
        {
            var labels = new byte[n];
            var images = new byte[n * 784];
            for (int i = 0; i < n; i++)
            {
                labels[i] = (byte)(i % 10);
                // Class c is a bright band over rows 2c+4..2c+7 on noise: its edges are where HOG's cells see them.
                for (int p = 0; p < 784; p++) images[i * 784 + p] = (byte)(g.NextDouble() * 40 + (p / 28 - 2 * labels[i] - 4 is >= 0 and < 4 ? 200 : 0));
            }
            IdxWriter.WriteBytes(Path.Combine(Data, $"{prefix}-images-idx3-ubyte.gz"), images, [n, 28, 28]);
            IdxWriter.WriteBytes(Path.Combine(Data, $"{prefix}-labels-idx1-ubyte.gz"), labels, [n]);
        }
    }

    public void Dispose() => dir.Delete(true);

    private static (int Code, string Text, string Errors) Capture(params string[] args)
    {
        var writer = new StringWriter();
        var errors = new StringWriter();
        var saved = Spectre.Console.AnsiConsole.Console;
        var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
        {
            Out = new Spectre.Console.AnsiConsoleOutput(writer),
            Ansi = Spectre.Console.AnsiSupport.No,
            ColorSystem = Spectre.Console.ColorSystemSupport.NoColors,
            Interactive = Spectre.Console.InteractionSupport.No,
        });
        console.Profile.Width = 400;
        Spectre.Console.AnsiConsole.Console = console;
        try
        {
            int code = Cli.Run(Cli.CreateRoot(), args, new InvocationConfiguration { Output = writer, Error = errors });
            return (code, writer.ToString(), errors.ToString());
        }
        finally
        {
            Spectre.Console.AnsiConsole.Console = saved;
        }
    }

    [GeneratedRegex(@"Test accuracy (?<acc>[0-9.]+)% \((?<d>[0-9]+) features")]
    private static partial Regex Summary();

    private static (double Accuracy, int Features) Result(string text)
    {
        var m = Summary().Match(text);
        Assert.True(m.Success, text);
        return (double.Parse(m.Groups["acc"].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups["d"].Value, CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("hog", "svm", 1296)]
    [InlineData("hog", "logreg", 1296)]
    [InlineData("pixels", "svm", 784)]
    public void LearnsTheBandsAndReportsTheFeatureDimensionAndTimes(string features, string classifier, int dimension)
    {
        var (code, text, errors) = Capture("shallow", "--features", features, "--classifier", classifier, "--epochs", "4", "--batch-size", "20", "--data-dir", Data, "--threads", "1");
        Assert.True(code == 0, errors);
        var (accuracy, d) = Result(text);
        Assert.Equal(dimension, d);
        Assert.True(accuracy >= 90, text);
        Assert.Contains("epoch 4/4", text, StringComparison.Ordinal);
        Assert.Contains("features time", text, StringComparison.Ordinal);
        Assert.Contains("200 training / 50 test images", text, StringComparison.Ordinal);
    }

    [Fact]
    public void TheHogGeometryOptionsChangeTheDimension()
    {
        // 7-pixel cells: 4x4 cells, 3x3 blocks of 2x2 cells, 12 bins: 9 * 4 * 12 = 432.
        var (code, text, errors) = Capture("shallow", "--cell", "7", "--orientations", "12", "--epochs", "1", "--limit", "60", "--data-dir", Data, "--threads", "1");
        Assert.True(code == 0, errors);
        Assert.Equal(432, Result(text).Features);
        Assert.Contains("cells 7x7 px, blocks 2x2 cells (stride 1), 12 orientations", text, StringComparison.Ordinal);
    }

    [Fact]
    public void BadOptionsGetOneClearErrorAndAPointerToTheHelp()
    {
        var (code, _, errors) = Capture("shallow", "--features", "pixels", "--cell", "7", "--data-dir", Data);
        Assert.Equal(1, code);
        Assert.Contains("--cell sets the HOG features; it does nothing with --features pixels", errors, StringComparison.Ordinal);
        Assert.Contains("Run 'axon shallow --help' for usage.", errors, StringComparison.Ordinal);
        (code, _, errors) = Capture("shallow", "--cell", "10", "--block", "3", "--data-dir", Data);
        Assert.Equal(1, code);
        Assert.Contains("a block of 3x3 cells of 10 pixels is 30 pixels wide", errors, StringComparison.Ordinal);
        (code, _, errors) = Capture("shallow", "--classifier", "tree", "--data-dir", Data);
        Assert.Equal(1, code);
        Assert.Contains("--classifier must be one of svm, logreg (got 'tree')", errors, StringComparison.Ordinal);
        (code, _, errors) = Capture("shallow", "--data-dir", Path.Combine(dir.FullName, "missing"));
        Assert.Equal(1, code);
        Assert.Contains("no such directory", errors, StringComparison.Ordinal);
    }
}
