using System.Text.Json;
using System.Text.Json.Serialization;
using Axon.Models.Training;
using Axon.Optim;

namespace Axon.Models.Tests;

/// <summary>
/// The checkpoints' JSON is generated at compile time (for Native AOT); these pin it to what the reflection-based
/// serializer wrote before, with the same options, so checkpoints written by earlier builds still resume.
/// </summary>
public class TrainingJsonTests
{
    private static readonly JsonSerializerOptions Reflection = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private static readonly JsonSerializerOptions CharLmReflection = new()
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private static readonly TrainerOptions Options = new()
    {
        Epochs = 3,
        Optimizer = "adam",
        OptimizerSettings = new OptimizerSettings { Lr = 2e-3, Beta1 = 0.8, AmsGrad = true },
        Schedule = "onecycle",
        MaxLr = 0.1,
        ValidationFraction = 0.1,
        LabelSmoothing = 0.1,
        FlipTta = true,
    };

    private static readonly List<EpochReport> History =
    [
        new(1, 0.05, 1.25, 2.5, 800) { TrainMetrics = new Dictionary<string, double> { ["accuracy"] = 0.5 }, ValidationLoss = 0.75, TestLoss = double.NaN, HeldOut = true },
        new(2, 0.015, double.PositiveInfinity, 2.25, 900),
    ];

    [Fact]
    public void TrainerJsonIsWhatTheReflectionSerializerWrote()
    {
        string options = JsonSerializer.Serialize(Options, TrainerJson.Default.TrainerOptions);
        Assert.Equal(JsonSerializer.Serialize(Options, Reflection), options);
        Assert.Equal(Options, JsonSerializer.Deserialize(options, TrainerJson.Default.TrainerOptions));

        string history = JsonSerializer.Serialize(History, TrainerJson.Default.ListEpochReport);
        Assert.Equal(JsonSerializer.Serialize(History, Reflection), history);
        Assert.Contains("\"TestLoss\":\"NaN\"", history, StringComparison.Ordinal);
        var back = JsonSerializer.Deserialize(history, TrainerJson.Default.ListEpochReport)!;
        Assert.Equal(0.5, back[0].TrainAccuracy);
        Assert.Equal(double.PositiveInfinity, back[1].TrainLoss);
        Assert.True(back[0].HeldOut);
    }

    [Fact]
    public void CharLmJsonIsWhatTheReflectionSerializerWrote()
    {
        var options = new CharLmOptions { Cell = CharLmCell.Gru, Hidden = 32, Lr = 3e-3, Embedding = 8 };
        string json = JsonSerializer.Serialize(options, CharLmJson.Default.CharLmOptions);
        Assert.Equal(JsonSerializer.Serialize(options, CharLmReflection), json);
        Assert.Contains("\"Cell\":\"gru\"", json, StringComparison.Ordinal);
        Assert.Equal(options, JsonSerializer.Deserialize(json, CharLmJson.Default.CharLmOptions));

        List<CharLmEpochReport> history = [new(1, false, 2.5, double.NaN, 10, 5000, 42)];
        string h = JsonSerializer.Serialize(history, CharLmJson.Default.ListCharLmEpochReport);
        Assert.Equal(JsonSerializer.Serialize(history, CharLmReflection), h);
        Assert.Equal(history, JsonSerializer.Deserialize(h, CharLmJson.Default.ListCharLmEpochReport));
    }
}
