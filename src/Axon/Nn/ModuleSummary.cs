using System.Collections;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Axon.Nn;

/// <summary>
/// The layer table of a model: every module reached through <c>Call</c> in one forward pass, with the shapes of what it
/// returned (a tensor's shape, or each tensor's of a tuple or list: <c>([2, 5, 8], ([1, 2, 8], [1, 2, 8]))</c>), its
/// own parameter count, its units and connections, then the totals.
/// </summary>
/// <remarks>
/// <para><b>Units and connections</b> are counted as the lectures count an AlexNet layer's neurons and connections, for
/// the layers that compute weighted sums, per example (the model's input's first dimension is taken as the batch):
/// units are the layer's output elements (its neurons), connections the multiply-adds that make them, biases not
/// counted. <see cref="Linear"/>: units = output elements, connections = units × in_features. <see cref="Conv2d"/>:
/// units = out_channels × out_h × out_w, connections = units × (in_channels / groups) × kh × kw (taps on the zero
/// padding included, as the hardware does them). <see cref="ConvTranspose2d"/>: each input element feeds
/// (out_channels / groups) × kh × kw outputs, so connections = input elements × that. Normalisation, pooling,
/// activations, dropout and containers compute no weighted sum and show "-" (their cost is a few operations per
/// element, small beside a convolution's); the totals add up the counted layers, each call once (a shared module
/// called twice counts twice).</para>
/// </remarks>
public static class ModuleSummary
{
    /// <summary>The summary of a tensor-to-tensor model for an input of <paramref name="inputShape"/> (batch dimension included), run on zeros.</summary>
    public static string Summary(this Module<Tensor, Tensor> model, int[] inputShape, DType dtype = DType.Float32)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Summary(Tensor.Zeros(inputShape, dtype, model.Device));
    }

    /// <summary>Runs <paramref name="forward"/> once (eval mode, no recording) and tabulates the modules it called.</summary>
    internal static string Of(Module model, Action forward, object? example)
    {
        var rows = new List<Row>();
        var names = new Dictionary<Module, string>(ReferenceEqualityComparer.Instance);
        foreach (var (n, m) in model.NamedModules()) names[m] = n;
        var hooks = names.Keys.ToList().Select(m => m.AddForwardHook((mod, input, output) =>
            rows.Add(new Row(names[mod] is { Length: > 0 } n ? n : "(model)", mod.GetType().Name, Describe(output), mod.OwnParameterCount, Count(mod, input, output))))).ToList();
        bool wasTraining = model.Training;
        try
        {
            model.Eval();
            using var scope = new TensorScope();
            using var noGrad = GradMode.NoGrad();
            forward();
        }
        finally
        {
            foreach (var h in hooks) h.Dispose();
            model.Train(wasTraining);
        }
        long examples = Tensors(example).FirstOrDefault() is { Rank: > 0 } first ? Math.Max(1, first.Size(0)) : 1;
        string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
        string Units(Row r) => r.Counts is { } c ? N(c.Units / examples) : "-";
        string Connections(Row r) => r.Counts is { } c ? N(c.Connections / examples) : "-";
        int w1 = Math.Max(12, rows.Select(r => r.Name.Length + r.Type.Length + 3).DefaultIfEmpty(0).Max());
        int w2 = Math.Max(12, rows.Select(r => r.Shape.Length).DefaultIfEmpty(0).Max());
        int w3 = Math.Max(7, rows.Select(r => N(r.Params).Length).DefaultIfEmpty(0).Max());
        int w4 = Math.Max(5, rows.Select(r => Units(r).Length).DefaultIfEmpty(0).Max());
        int w5 = Math.Max(11, rows.Select(r => Connections(r).Length).DefaultIfEmpty(0).Max());
        int width = w1 + w2 + w3 + w4 + w5 + 8;
        var sb = new StringBuilder();
        sb.Append("Layer (type)".PadRight(w1)).Append("  ").Append("Output shape".PadRight(w2)).Append("  ").Append("Param #".PadLeft(w3))
            .Append("  ").Append("Units".PadLeft(w4)).Append("  ").AppendLine("Connections".PadLeft(w5));
        sb.AppendLine(new string('=', width));
        foreach (var r in rows)
            sb.Append($"{r.Name} ({r.Type})".PadRight(w1)).Append("  ").Append(r.Shape.PadRight(w2)).Append("  ").Append(N(r.Params).PadLeft(w3))
                .Append("  ").Append(Units(r).PadLeft(w4)).Append("  ").AppendLine(Connections(r).PadLeft(w5));
        sb.AppendLine(new string('=', width));
        sb.AppendLine(CultureInfo.InvariantCulture, $"Total params: {model.ParameterCount():N0}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"Trainable params: {model.ParameterCount(trainableOnly: true):N0}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"Total units: {rows.Sum(r => r.Counts?.Units ?? 0) / examples:N0}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"Total connections (multiply-adds): {rows.Sum(r => r.Counts?.Connections ?? 0) / examples:N0}");
        sb.Append("Input shape: ").Append(Describe(example));
        if (examples > 1) sb.Append(CultureInfo.InvariantCulture, $" (units and connections per example, of {examples})");
        return sb.ToString();
    }

    private sealed record Row(string Name, string Type, string Shape, long Params, (long Units, long Connections)? Counts);

    /// <summary>
    /// The units and connections of one call of a layer that computes weighted sums (for the whole batch), or null for
    /// the others (see the remarks of the class).
    /// </summary>
    public static (long Units, long Connections)? UnitsAndConnections(Module module, Tensor input, Tensor output)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        long units = output.NumEl;
        return module switch
        {
            Linear l => (units, units * l.InFeatures),
            Conv2d c => (units, units * (c.InChannels / c.Groups) * c.KernelSize.H * c.KernelSize.W),
            ConvTranspose2d t => (units, input.NumEl * (t.OutChannels / t.Groups) * t.KernelSize.H * t.KernelSize.W),
            _ => null,
        };
    }

    private static (long Units, long Connections)? Count(Module module, object? input, object? output) =>
        input is Tensor x && output is Tensor y ? UnitsAndConnections(module, x, y) : null;

    /// <summary>The shapes of the tensors in <paramref name="value"/>: a tensor's shape, a tuple's or list's elements in parentheses or brackets.</summary>
    public static string Describe(object? value) => value switch
    {
        null => "None",
        Tensor t => Module.Fmt(t.Shape),
        ITuple tuple => "(" + string.Join(", ", Enumerable.Range(0, tuple.Length).Select(i => Describe(tuple[i]))) + ")",
        IEnumerable list and not string => "[" + string.Join(", ", list.Cast<object?>().Select(Describe)) + "]",
        _ => value.ToString() ?? "",
    };

    /// <summary>The tensors inside <paramref name="value"/> (a tensor, or tuples and lists of them, nested), in order.</summary>
    public static IEnumerable<Tensor> Tensors(object? value)
    {
        switch (value)
        {
            case Tensor t:
                yield return t;
                break;
            case ITuple tuple:
                for (int i = 0; i < tuple.Length; i++)
                    foreach (var inner in Tensors(tuple[i])) yield return inner;
                break;
            case IEnumerable list and not string:
                foreach (var item in list)
                    foreach (var inner in Tensors(item)) yield return inner;
                break;
        }
    }
}
