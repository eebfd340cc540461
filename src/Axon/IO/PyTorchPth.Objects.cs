namespace Axon.IO;

// The values the unpickler builds. Python's None, bools, ints, floats and strings are null, bool, long, double and
// string; tuples are object?[]; lists are List<object?>. Nothing here can run code: a global is only a name from the
// whitelist, and "calling" one builds one of these records.
public static partial class PyTorchPth
{
    /// <summary>The element types of PyTorch's typed storages that a state dict may hold.</summary>
    private enum StorageKind { Float, Double, Half, BFloat16, Long, Int, Short, Char, Byte, Bool }

    /// <summary>What a whitelisted global stands for.</summary>
    private enum GlobalKind { OrderedDict, RebuildTensorV2, RebuildParameter, RebuildParameterWithState, RebuildFromTypeV2, TensorType, Size, Storage }

    /// <summary>A whitelisted global: its Python name, what it is, and for a storage type its element kind.</summary>
    private sealed record PyGlobal(string Module, string Name, GlobalKind Kind, StorageKind Storage = default)
    {
        public string FullName => Module + "." + Name;
    }

    /// <summary>A storage named by a persistent id: the record <c>data/&lt;Key&gt;</c> holding <see cref="Numel"/> elements.</summary>
    private sealed record StorageRef(string Key, StorageKind Kind, string TypeName, long Numel);

    /// <summary>A tensor as <c>_rebuild_tensor_v2</c> describes it: a strided view into a storage. Read only once the whole pickle is accepted.</summary>
    private sealed record TensorRef(StorageRef Storage, long Offset, long[] Size, long[] Stride);

    /// <summary>A Python dict (ordered like every dict since Python 3.7); an <c>OrderedDict</c> is one too.</summary>
    private sealed class PyDict
    {
        private readonly Dictionary<object, int> index = new(KeyComparer.Instance);
        private static readonly object NoneKey = new();

        public List<KeyValuePair<object?, object?>> Items { get; } = [];

        public void Set(object? key, object? value)
        {
            var k = key ?? NoneKey;
            if (index.TryGetValue(k, out int i)) Items[i] = new(key, value);   // Python keeps the first position
            else
            {
                index[k] = Items.Count;
                Items.Add(new(key, value));
            }
        }

        public bool TryGet(string key, out object? value)
        {
            if (index.TryGetValue(key, out int i))
            {
                value = Items[i].Value;
                return true;
            }
            value = null;
            return false;
        }
    }

    // Python's equality for the keys a state dict or checkpoint uses: strings, ints, floats, bools, tuples of them.
    private sealed class KeyComparer : IEqualityComparer<object>
    {
        public static readonly KeyComparer Instance = new();

        public new bool Equals(object? x, object? y) => (x, y) switch
        {
            (string a, string b) => string.Equals(a, b, StringComparison.Ordinal),
            (long a, long b) => a == b,
            (double a, double b) => a.Equals(b),
            (bool a, bool b) => a == b,
            (object?[] a, object?[] b) => a.Length == b.Length && a.Zip(b).All(p => p.First is null ? p.Second is null : p.Second is not null && Equals(p.First, p.Second)),
            _ => ReferenceEquals(x, y),
        };

        public int GetHashCode(object obj) => obj switch
        {
            string s => StringComparer.Ordinal.GetHashCode(s),
            object?[] t => t.Aggregate(t.Length, (h, e) => HashCode.Combine(h, e is null ? 0 : GetHashCode(e))),
            long or double or bool => obj.GetHashCode(),
            _ => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj),
        };
    }

    /// <summary>How a Python value reads in a message.</summary>
    private static string Describe(object? value) => value switch
    {
        null => "None",
        bool b => b ? "True" : "False",
        string s => $"'{(s.Length > 40 ? s[..40] + "..." : s)}'",
        long or double => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!,
        object?[] t => $"a tuple of {t.Length}",
        List<object?> l => $"a list of {l.Count}",
        PyDict d => $"a dict of {d.Items.Count}",
        PyGlobal g => $"the global {g.FullName}",
        StorageRef => "a storage",
        TensorRef => "a tensor",
        _ => value.GetType().Name,
    };
}
