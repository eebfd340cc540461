using System.Collections;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Axon.Nn;

/// <summary>
/// The layer table of a model: every module reached through <c>Call</c> in one forward pass, with the shapes of what it
/// returned (a tensor's shape, or each tensor's of a tuple or list: <c>([2, 5, 8], ([1, 2, 8], [1, 2, 8]))</c>) and its
/// own parameter count, then the totals.
/// </summary>
public static class ModuleSummary
{
    /// <summary>The summary of a tensor-to-tensor model for an input of <paramref name="inputShape"/> (batch dimension included), run on zeros.</summary>
    public static string Summary(this Module<Tensor, Tensor> model, int[] inputShape, DType dtype = DType.Float32)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Summary(Tensor.Zeros(inputShape, dtype, model.Device));
    }

    /// <summary>Runs <paramref name="forward"/> once (eval mode, no recording) and tabulates the modules it called.</summary>
    internal static string Of(Module model, Action forward, string input)
    {
        var rows = new List<(string Name, string Type, string Shape, long Params)>();
        var names = new Dictionary<Module, string>(ReferenceEqualityComparer.Instance);
        foreach (var (n, m) in model.NamedModules()) names[m] = n;
        var hooks = names.Keys.ToList().Select(m => m.AddForwardHook((mod, _, output) =>
            rows.Add((names[mod] is { Length: > 0 } n ? n : "(model)", mod.GetType().Name, Describe(output), mod.OwnParameterCount)))).ToList();
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
        int w1 = Math.Max(5, rows.Select(r => r.Name.Length + r.Type.Length + 3).DefaultIfEmpty(0).Max());
        int w2 = Math.Max(12, rows.Select(r => r.Shape.Length).DefaultIfEmpty(0).Max());
        var sb = new StringBuilder();
        sb.Append("Layer (type)".PadRight(w1)).Append("  ").Append("Output shape".PadRight(w2)).Append("  ").AppendLine("Param #");
        sb.AppendLine(new string('=', w1 + w2 + 13));
        foreach (var r in rows) sb.Append($"{r.Name} ({r.Type})".PadRight(w1)).Append("  ").Append(r.Shape.PadRight(w2)).Append("  ").AppendLine(r.Params.ToString("N0", CultureInfo.InvariantCulture));
        sb.AppendLine(new string('=', w1 + w2 + 13));
        sb.AppendLine(CultureInfo.InvariantCulture, $"Total params: {model.ParameterCount():N0}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"Trainable params: {model.ParameterCount(trainableOnly: true):N0}");
        sb.Append("Input shape: ").Append(input);
        return sb.ToString();
    }

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
