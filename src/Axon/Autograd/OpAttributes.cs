using System.Collections;
using System.Globalization;
using System.Text;

namespace Axon;

/// <summary>
/// The non-tensor arguments of one recorded op (a dimension, a stride, a padding, a flag), by name, in the order the op
/// declares them: what a graph node needs besides its input tensors to be read (ONNX export) or run again (a trace).
/// Values are ints, doubles, bools, strings, int arrays, <see cref="Size2"/> pairs, enums, a <see cref="DType"/> or a
/// <see cref="Device"/>. Immutable.
/// </summary>
public sealed class OpAttributes : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly KeyValuePair<string, object?>[] items;

    /// <summary>No attributes.</summary>
    public static OpAttributes Empty { get; } = new();

    /// <summary>The attributes, in order.</summary>
    public OpAttributes(params (string Name, object? Value)[] items)
    {
        ArgumentNullException.ThrowIfNull(items);
        // A loop, not LINQ: attributes are made for every recorded op of every step.
        this.items = new KeyValuePair<string, object?>[items.Length];
        for (int i = 0; i < items.Length; i++)
            this.items[i] = new(items[i].Name, items[i].Value is int[] a ? (int[])a.Clone() : items[i].Value);
    }

    /// <inheritdoc/>
    public int Count => items.Length;

    /// <inheritdoc/>
    public KeyValuePair<string, object?> this[int index] => items[index];

    /// <summary>True when an attribute of that name is present.</summary>
    public bool Has(string name) => Array.FindIndex(items, i => i.Key == name) >= 0;

    /// <summary>The value of <paramref name="name"/> as <typeparamref name="T"/>; throws naming the attribute when it is missing or of another type.</summary>
    public T Get<T>(string name)
    {
        int i = Array.FindIndex(items, kv => kv.Key == name);
        if (i < 0) throw new KeyNotFoundException($"The op has no attribute '{name}' (it has {string.Join(", ", items.Select(kv => kv.Key))}).");
        return items[i].Value is T t ? t : items[i].Value is null && default(T) is null ? default! :
            throw new InvalidCastException($"Attribute '{name}' is {items[i].Value?.GetType().Name ?? "null"}, not {typeof(T).Name}.");
    }

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The attributes as PyTorch prints keyword arguments: <c>dim=1, keepdim=True</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var (name, value) in items)
        {
            if (sb.Length > 0) sb.Append(", ");
            sb.Append(name).Append('=').Append(Format(value));
        }
        return sb.ToString();
    }

    private static string Format(object? v) => v switch
    {
        null => "None",
        bool b => b ? "True" : "False",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        int[] a => "[" + string.Join(", ", a) + "]",
        Size2 s => s.ToString(),
        DType t => t.TorchName(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };
}
