using System.Text.Json;
using Axon.IO;
using Axon.Nn;

namespace Axon.Tests.Nn;

/// <summary>
/// Axon's recurrent layers and cells against PyTorch 1.13 (tests/Fixtures/make_recurrent_fixtures.py): each case loads
/// the state dict PyTorch exported, runs the same input and initial state, back-propagates the same weighted sum of
/// output and final state, and compares the output, the final state and the gradients of the input, of the initial
/// state and of every parameter.
/// </summary>
public class RecurrentFixtureTests
{
    private sealed record Case(
        string Mode, DType DType, bool Cell, int InputSize, int HiddenSize, int NumLayers, bool Bias, bool BatchFirst,
        bool Bidirectional, int[]? Lengths, bool State, (string Key, int[] Shape)[] Keys);

    private static readonly Lazy<(Dictionary<string, Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata)> Fixture = new(() =>
    {
        var (tensors, meta) = Safetensors.Load(FixtureFile());
        return (tensors.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal), meta);
    });

    private static string FixtureFile() => Path.Combine(AppContext.BaseDirectory, "Fixtures", "recurrent.safetensors");

    private static IEnumerable<string> CaseNames() =>
        Safetensors.ReadMetadata(FixtureFile()).Keys.Where(k => k.StartsWith("case.", StringComparison.Ordinal))
            .Select(k => k["case.".Length..]).Order(StringComparer.Ordinal);

    public static TheoryData<string> LayerCases() => new(CaseNames().Where(n => !n.Contains("_cell_", StringComparison.Ordinal)));

    public static TheoryData<string> CellCases() => new(CaseNames().Where(n => n.Contains("_cell_", StringComparison.Ordinal)));

    public static TheoryData<string> AllCases() => new(CaseNames());

    private static Case Config(string name)
    {
        using var doc = JsonDocument.Parse(Fixture.Value.Metadata["case." + name]);
        var c = doc.RootElement;
        var lengths = c.GetProperty("lengths");
        return new Case(
            c.GetProperty("mode").GetString()!,
            c.GetProperty("dtype").GetString() == "float32" ? DType.Float32 : DType.Float64,
            c.GetProperty("cell").GetBoolean(),
            c.GetProperty("input_size").GetInt32(),
            c.GetProperty("hidden_size").GetInt32(),
            c.GetProperty("num_layers").GetInt32(),
            c.GetProperty("bias").GetBoolean(),
            c.GetProperty("batch_first").GetBoolean(),
            c.GetProperty("bidirectional").GetBoolean(),
            lengths.ValueKind == JsonValueKind.Null ? null : [.. lengths.EnumerateArray().Select(e => e.GetInt32())],
            c.GetProperty("state").GetBoolean(),
            [.. c.GetProperty("keys").EnumerateArray().Select(k => (k[0].GetString()!, k[1].EnumerateArray().Select(e => e.GetInt32()).ToArray()))]);
    }

    private static RnnNonlinearity Nonlinearity(string mode) => mode == "rnn_relu" ? RnnNonlinearity.Relu : RnnNonlinearity.Tanh;

    /// <summary>The Axon module of a case, freshly initialised (not yet loaded).</summary>
    private static Module Build(Case c) => (c.Cell, c.Mode) switch
    {
        (false, "lstm") => new LSTM(c.InputSize, c.HiddenSize, c.NumLayers, c.Bias, c.BatchFirst, 0, c.Bidirectional, c.DType, new Generator(1)),
        (false, "gru") => new GRU(c.InputSize, c.HiddenSize, c.NumLayers, c.Bias, c.BatchFirst, 0, c.Bidirectional, c.DType, new Generator(1)),
        (false, _) => new RNN(c.InputSize, c.HiddenSize, c.NumLayers, Nonlinearity(c.Mode), c.Bias, c.BatchFirst, 0, c.Bidirectional, c.DType, new Generator(1)),
        (true, "lstm") => new LSTMCell(c.InputSize, c.HiddenSize, c.Bias, c.DType, new Generator(1)),
        (true, "gru") => new GRUCell(c.InputSize, c.HiddenSize, c.Bias, c.DType, new Generator(1)),
        (true, _) => new RNNCell(c.InputSize, c.HiddenSize, c.Bias, Nonlinearity(c.Mode), c.DType, new Generator(1)),
    };

    /// <summary>The case's module with PyTorch's exported state dict loaded (strictly: every key, every shape).</summary>
    private static Module BuildLoaded(string name, Case c)
    {
        var module = Build(c);
        string prefix = name + ".param.";
        var state = Fixture.Value.Tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .Select(kv => new KeyValuePair<string, Tensor>(kv.Key[prefix.Length..], kv.Value)).ToList();
        Assert.Equal(c.Keys.Length, state.Count);
        module.LoadStateDict(state);
        return module;
    }

    private static Tensor Get(string name, string what) => Fixture.Value.Tensors[name + "." + what];

    private static bool Has(string name, string what) => Fixture.Value.Tensors.ContainsKey(name + "." + what);

    private static Tensor Leaf(string name, string what) => Get(name, what).Detach().Clone().RequiresGrad_();

    [Theory]
    [MemberData(nameof(AllCases))]
    public void StateDictKeysAndShapesArePyTorchs(string name)
    {
        var c = Config(name);
        var own = Build(c).StateDict();
        Assert.Equal(c.Keys.Select(k => k.Key), own.Select(kv => kv.Key));
        for (int i = 0; i < own.Count; i++)
        {
            Assert.Equal(c.Keys[i].Shape, own[i].Value.GetShape());
            Assert.Equal(c.DType, own[i].Value.DType);
        }
    }

    [Theory]
    [MemberData(nameof(LayerCases))]
    public void LayerMatchesPyTorch(string name)
    {
        Assert.StartsWith("1.13", Fixture.Value.Metadata["torch"], StringComparison.Ordinal);
        var c = Config(name);
        var module = BuildLoaded(name, c);
        var x = Leaf(name, "input");
        var h0 = c.State ? Leaf(name, "h0") : null;
        var c0 = c.State && c.Mode == "lstm" ? Leaf(name, "c0") : null;

        Tensor output, h;
        Tensor? cN = null;
        switch (module)
        {
            case LSTM lstm:
                {
                    var (o, s) = lstm.Forward(x, h0 is null ? null : new LstmState(h0, c0!), c.Lengths);
                    (output, h, cN) = (o, s.H, s.C);
                    break;
                }
            case RNNBase<Tensor> layer:
                (output, h) = layer.Forward(x, h0, c.Lengths);
                break;
            default:
                throw new InvalidOperationException(module.GetType().Name);
        }

        AssertClose(name, "output", Get(name, "output"), output, c.DType);
        AssertClose(name, "h_n", Get(name, "h_n"), h, c.DType);
        var loss = (output * Get(name, "r_output")).Sum() + (h * Get(name, "r_h")).Sum();
        if (cN is not null)
        {
            AssertClose(name, "c_n", Get(name, "c_n"), cN, c.DType);
            loss += (cN * Get(name, "r_c")).Sum();
        }
        else
        {
            Assert.False(Has(name, "c_n"));
        }
        loss.Backward();
        AssertGradients(name, c, module, x, h0, c0);
    }

    [Theory]
    [MemberData(nameof(CellCases))]
    public void CellMatchesPyTorch(string name)
    {
        var c = Config(name);
        var module = BuildLoaded(name, c);
        var x = Leaf(name, "input");
        var h0 = c.State ? Leaf(name, "h0") : null;
        var c0 = c.State && c.Mode == "lstm" ? Leaf(name, "c0") : null;

        Tensor h;
        Tensor? cN = null;
        switch (module)
        {
            case LSTMCell lstm:
                {
                    var s = lstm.Forward(x, h0 is null ? null : new LstmState(h0, c0!));
                    (h, cN) = (s.H, s.C);
                    break;
                }
            case RNNCell rnn:
                h = rnn.Forward(x, h0);
                break;
            case GRUCell gru:
                h = gru.Forward(x, h0);
                break;
            default:
                throw new InvalidOperationException(module.GetType().Name);
        }

        AssertClose(name, "output", Get(name, "output"), h, c.DType);
        var loss = (h * Get(name, "r_output")).Sum();
        if (cN is not null)
        {
            AssertClose(name, "c_n", Get(name, "c_n"), cN, c.DType);
            loss += (cN * Get(name, "r_c")).Sum();
        }
        loss.Backward();
        AssertGradients(name, c, module, x, h0, c0);
    }

    private static void AssertGradients(string name, Case c, Module module, Tensor x, Tensor? h0, Tensor? c0)
    {
        AssertClose(name, "grad.input", Get(name, "grad.input"), x.Grad, c.DType);
        if (h0 is not null) AssertClose(name, "grad.h0", Get(name, "grad.h0"), h0.Grad, c.DType);
        if (c0 is not null) AssertClose(name, "grad.c0", Get(name, "grad.c0"), c0.Grad, c.DType);
        var parameters = module.NamedParameters().ToList();
        Assert.Equal(c.Keys.Length, parameters.Count);
        foreach (var (key, p) in parameters)
            AssertClose(name, "grad.param." + key, Get(name, "grad.param." + key), p.Grad, c.DType);
    }

    /// <summary>
    /// Same shape and dtype, and |a − e| ≤ tol · max(1, |e|) elementwise with tol 1e-5 in float32 and 1e-10 in float64:
    /// rounding over a few steps of tiny layers, far below a wrong gate, a wrong direction or a misplaced padded step.
    /// </summary>
    private static void AssertClose(string name, string what, Tensor expected, Tensor? actual, DType dtype)
    {
        Assert.True(actual is not null, $"{name} {what}: Axon has no value (no gradient reached it).");
        Assert.Equal(expected.GetShape(), actual.GetShape());
        Assert.Equal(dtype, actual.DType);
        double tol = dtype == DType.Float32 ? 1e-5 : 1e-10;
        double[] e = expected.ToDoubleArray(), a = actual.ToDoubleArray();
        for (int i = 0; i < e.Length; i++)
            if (!(Math.Abs(a[i] - e[i]) <= tol * Math.Max(1, Math.Abs(e[i]))))
                Assert.Fail($"{name} {what}[{i}] of {Shape(expected)}: Axon {a[i]:R}, PyTorch {e[i]:R} (tolerance {tol}).");
    }

    private static string Shape(Tensor t) => "[" + string.Join(", ", t.GetShape()) + "]";
}
