using System.Text.Json;

namespace Axon.Cli.Tests;

/// <summary>The commands' JSON documents are written by a generated context (Native AOT) and must read as before.</summary>
public class CliJsonTests
{
    private static readonly JsonSerializerOptions Reflection = new() { WriteIndented = true };

    private static Dictionary<string, object?> Document() => new()
    {
        ["tool"] = "axon",
        ["epochs"] = 3,
        ["seed"] = 7L,
        ["reused"] = false,
        ["seconds"] = null,
        ["lr"] = 0.05,
        ["scale"] = 0.5f,
        ["train_loss"] = new List<double> { 1.5, 0.25 },
        ["classes"] = (int[])[0, 1, 2],
        ["ids"] = (IReadOnlyList<int>)[3, 4],
        ["metrics"] = new SortedDictionary<string, double>(StringComparer.Ordinal) { ["b"] = 2, ["a"] = 1 },
        ["histogram"] = new Dictionary<string, long> { ["Bag"] = 5 },
        ["regimes"] = new[] { new Dictionary<string, object?> { ["regime"] = "head", ["accuracy"] = 0.875 } }.Select(d => d).ToList(),
    };

    [Fact]
    public void WritesWhatTheReflectionSerializerWrote()
    {
        var doc = Document();
        Assert.Equal(JsonSerializer.Serialize(doc, Reflection), CliJson.Serialize(doc));
        string relaxed = System.Text.Encoding.UTF8.GetString(CliJson.SerializeRelaxed(new() { ["name"] = "Fréchet", ["n"] = 2 }));
        Assert.Equal("{\n  \"name\": \"Fréchet\",\n  \"n\": 2\n}", relaxed.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void AValueWithNoJsonFormIsNamed()
    {
        var e = Assert.Throws<NotSupportedException>(() => CliJson.Serialize(new() { ["when"] = TimeSpan.Zero }));
        Assert.Contains("TimeSpan", e.Message, StringComparison.Ordinal);
    }
}
