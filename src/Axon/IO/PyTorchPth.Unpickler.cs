using System.Buffers.Binary;
using System.Text;

namespace Axon.IO;

// A pickle machine for what torch.save writes for a state dict (protocol 2, plus the protocol-4 framing and memo
// opcodes). It never imports or calls anything: GLOBAL resolves only through the whitelist below, and REDUCE "calls"
// a whitelisted name by building a record (a dict, a tensor description). Each opcode reads at least one byte, so the
// stack and the memo hold at most as many items as data.pkl has bytes, and every length is checked against the bytes left.
public static partial class PyTorchPth
{
    private static readonly Dictionary<string, PyGlobal> Whitelist = BuildWhitelist();

    private static Dictionary<string, PyGlobal> BuildWhitelist()
    {
        var list = new List<PyGlobal>
        {
            new("collections", "OrderedDict", GlobalKind.OrderedDict),
            new("torch._utils", "_rebuild_tensor_v2", GlobalKind.RebuildTensorV2),
            new("torch._utils", "_rebuild_parameter", GlobalKind.RebuildParameter),
            new("torch._utils", "_rebuild_parameter_with_state", GlobalKind.RebuildParameterWithState),
            new("torch._tensor", "_rebuild_from_type_v2", GlobalKind.RebuildFromTypeV2),
            new("torch", "Tensor", GlobalKind.TensorType),
            new("torch.nn.parameter", "Parameter", GlobalKind.TensorType),
            new("torch", "Size", GlobalKind.Size),
        };
        foreach (var kind in Enum.GetValues<StorageKind>()) list.Add(new("torch", kind + "Storage", GlobalKind.Storage, kind));
        return list.ToDictionary(g => g.Module + "\n" + g.Name, StringComparer.Ordinal);
    }

    private sealed class Unpickler(byte[] data, string name)
    {
        private readonly List<object?> stack = [];
        private readonly List<int> marks = [];
        private readonly Dictionary<long, object?> memo = [];
        private readonly Dictionary<string, StorageRef> storages = new(StringComparer.Ordinal);
        private int pos;
        private int opStart;

        /// <summary>Runs data.pkl to its STOP and returns the one value it built.</summary>
        public object? Run()
        {
            while (true)
            {
                if (pos >= data.Length) throw Error("data.pkl ends without a STOP opcode (truncated).");
                opStart = pos;
                byte op = data[pos++];
                switch (op)
                {
                    case 0x80: // PROTO
                        if (Byte() is > 5 and var p) throw Error($"pickle protocol {p} is newer than any PyTorch writes.");
                        break;
                    case 0x95: // FRAME: the next frame's length, a buffering hint; it must lie within the data
                        if (ULong() > (ulong)(data.Length - pos)) throw Error("a FRAME longer than the rest of data.pkl (truncated).");
                        break;
                    case 0x2e: // STOP
                        if (stack.Count != 1 || marks.Count != 0) throw Error($"STOP with {stack.Count} values on the stack (expected one).");
                        return stack[0];
                    case 0x28: marks.Add(stack.Count); break;                                   // MARK
                    case 0x29: Push(Array.Empty<object?>()); break;                             // EMPTY_TUPLE
                    case 0x5d: Push(new List<object?>()); break;                                // EMPTY_LIST
                    case 0x7d: Push(new PyDict()); break;                                       // EMPTY_DICT
                    case 0x74: Push(PopMark().ToArray()); break;                                // TUPLE
                    case 0x85: Push(new[] { Pop() }); break;                                    // TUPLE1
                    case 0x86: { var b = Pop(); var a = Pop(); Push(new[] { a, b }); break; }   // TUPLE2
                    case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new[] { a, b, c }); break; } // TUPLE3
                    case 0x4e: Push(null); break;                                               // NONE
                    case 0x88: Push(true); break;                                               // NEWTRUE
                    case 0x89: Push(false); break;                                              // NEWFALSE
                    case 0x4b: Push((long)Byte()); break;                                       // BININT1
                    case 0x4d: Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break; // BININT2
                    case 0x4a: Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break;  // BININT
                    case 0x8a: Push(Long1()); break;                                            // LONG1
                    case 0x47: Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break;      // BINFLOAT
                    case 0x58: Push(Utf8(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break; // BINUNICODE
                    case 0x8c: Push(Utf8(Byte())); break;                                       // SHORT_BINUNICODE
                    case 0x8d: Push(Utf8(ULong())); break;                                      // BINUNICODE8
                    case 0x71: memo[Byte()] = Peek(); break;                                    // BINPUT
                    case 0x72: memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Peek(); break; // LONG_BINPUT
                    case 0x94: memo[memo.Count] = Peek(); break;                                // MEMOIZE
                    case 0x68: Push(Get(Byte())); break;                                        // BINGET
                    case 0x6a: Push(Get(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break; // LONG_BINGET
                    case 0x63: Push(Resolve(Line(), Line())); break;                            // GLOBAL
                    case 0x93: { var n = Pop(); var m = Pop(); Push(Resolve(m as string ?? throw Error("STACK_GLOBAL with a non-string module."), n as string ?? throw Error("STACK_GLOBAL with a non-string name."))); break; }
                    case 0x52: { var args = Pop(); var f = Pop(); Push(Reduce(f, args)); break; } // REDUCE
                    case 0x62: Build(); break;                                                  // BUILD
                    case 0x51: Push(PersistentLoad(Pop())); break;                              // BINPERSID
                    case 0x73: { var v = Pop(); var k = Pop(); AsDict(Peek()).Set(k, v); break; } // SETITEM
                    case 0x75: SetItems(); break;                                               // SETITEMS
                    case 0x61: { var v = Pop(); AsList(Peek()).Add(v); break; }                 // APPEND
                    case 0x65: { var items = PopMark(); AsList(Peek()).AddRange(items); break; } // APPENDS
                    case 0x30: Pop(); break;                                                    // POP
                    case 0x31: PopMark(); break;                                                // POP_MARK
                    case 0x32: Push(Peek()); break;                                             // DUP
                    default:
                        throw Error($"unsupported pickle opcode 0x{op:x2}{(OpcodeNames.TryGetValue(op, out var on) ? $" ({on})" : "")}; a state dict saved by torch.save does not use it.");
                }
            }
        }

        private InvalidDataException Error(string problem) => Fail(name, $"data.pkl at offset {opStart}: {problem}");

        private void Push(object? value) => stack.Add(value);

        private object? Peek() => stack.Count > (marks.Count > 0 ? marks[^1] : 0) ? stack[^1] : throw Error("the stack is empty.");

        private object? Pop()
        {
            var v = Peek();
            stack.RemoveAt(stack.Count - 1);
            return v;
        }

        private List<object?> PopMark()
        {
            if (marks.Count == 0) throw Error("no MARK to pop to.");
            int m = marks[^1];
            marks.RemoveAt(marks.Count - 1);
            var items = stack.GetRange(m, stack.Count - m);
            stack.RemoveRange(m, stack.Count - m);
            return items;
        }

        private ReadOnlySpan<byte> Take(int n)
        {
            if (n < 0 || n > data.Length - pos) throw Error($"needs {n} bytes but only {data.Length - pos} are left (truncated).");
            pos += n;
            return data.AsSpan(pos - n, n);
        }

        private byte Byte() => Take(1)[0];

        private ulong ULong() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

        private string Utf8(ulong length)
        {
            if (length > (ulong)(data.Length - pos)) throw Error($"a string of {length} bytes, but only {data.Length - pos} are left.");
            try { return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Take((int)length)); }
            catch (DecoderFallbackException ex) { throw Fail(name, $"data.pkl at offset {opStart}: a string that is not valid UTF-8.", ex); }
        }

        private long Long1()
        {
            int n = Byte();
            if (n > 8) throw Error($"an integer of {n} bytes, larger than any a state dict holds.");
            var b = Take(n);
            if (n == 0) return 0;
            long v = 0;
            for (int i = n - 1; i >= 0; i--) v = (v << 8) | b[i];
            int unused = 64 - 8 * n;
            return unused == 0 ? v : (v << unused) >> unused;   // sign-extend the n-byte two's complement
        }

        // GLOBAL's operands: a module and a name, each ended by a newline.
        private string Line()
        {
            int end = Array.IndexOf(data, (byte)'\n', pos);
            if (end < 0) throw Error("a GLOBAL without its terminating newline (truncated).");
            var s = Encoding.UTF8.GetString(data, pos, end - pos);
            pos = end + 1;
            return s;
        }

        private object? Get(long index) => memo.TryGetValue(index, out var v) ? v : throw Error($"memo entry {index} was never stored.");

        private PyGlobal Resolve(string module, string global)
        {
            if (Whitelist.TryGetValue(module + "\n" + global, out var g)) return g;
            throw Error($"refused the global '{module}.{global}': a state dict needs only tensors, storages and dicts, and this reader never calls " +
                "anything a file names. A whole model saved with torch.save(model) needs its Python class; save model.state_dict() instead.");
        }

        private PyDict AsDict(object? o) => o as PyDict ?? throw Error($"SETITEM(S) on {Describe(o)}, not a dict.");

        private List<object?> AsList(object? o) => o as List<object?> ?? throw Error($"APPEND(S) on {Describe(o)}, not a list.");

        private void SetItems()
        {
            var items = PopMark();
            if (items.Count % 2 != 0) throw Error("SETITEMS with an odd number of items.");
            var dict = AsDict(Peek());
            for (int i = 0; i < items.Count; i += 2) dict.Set(items[i], items[i + 1]);
        }

        // BUILD sets an object's state. The only object a state dict gives state is the OrderedDict (its "_metadata" of
        // module versions), which Axon does not need.
        private void Build()
        {
            var state = Pop();
            var target = Peek();
            if (target is PyDict && state is null or PyDict or object?[]) return;
            throw Error($"BUILD sets the state of {Describe(target)}; only dicts take state in a state dict.");
        }

        // ('storage', <torch.XStorage>, key, location, numel): the record data/<key>, whatever device it was saved from.
        private StorageRef PersistentLoad(object? pid)
        {
            if (pid is not object?[] { Length: 5 } t || t[0] is not "storage")
                throw Error($"a persistent id that is {Describe(pid)}, not ('storage', type, key, location, numel).");
            if (t[1] is not PyGlobal { Kind: GlobalKind.Storage } type) throw Error($"a storage whose type is {Describe(t[1])}.");
            if (t[2] is not string key || key.Length == 0 || key.Contains('/') || key.Contains('\\') || key.Contains(".."))
                throw Error($"a storage key {Describe(t[2])} that is not a plain record name.");
            if (t[4] is not long numel || numel < 0) throw Error($"storage '{key}' has an element count of {Describe(t[4])}.");
            if (storages.TryGetValue(key, out var seen))
            {
                if (seen.Kind != type.Storage || seen.Numel != numel)
                    throw Error($"storage '{key}' is named twice with different types or sizes ({seen.TypeName} of {seen.Numel}, {type.Name} of {numel}).");
                return seen;
            }
            return storages[key] = new StorageRef(key, type.Storage, type.Name, numel);
        }

        // "Calling" a whitelisted global: build the record it stands for. Nothing else can be called.
        private object? Reduce(object? callable, object? args)
        {
            if (callable is not PyGlobal g) throw Error($"REDUCE calls {Describe(callable)}, which is not a whitelisted global.");
            if (args is not object?[] a) throw Error($"REDUCE with arguments that are {Describe(args)}, not a tuple.");
            return Call(g, a, nested: false);
        }

        private object? Call(PyGlobal g, object?[] a, bool nested)
        {
            switch (g.Kind)
            {
                case GlobalKind.OrderedDict when a.Length == 0:
                    return new PyDict();
                case GlobalKind.RebuildTensorV2 when a.Length is 6 or 7:
                    if (a[0] is not StorageRef storage) throw Error($"_rebuild_tensor_v2's storage is {Describe(a[0])}.");
                    if (a[1] is not long offset || offset < 0) throw Error($"_rebuild_tensor_v2's storage offset is {Describe(a[1])}.");
                    var size = Ints(a[2], "size");
                    var stride = Ints(a[3], "stride");
                    if (size.Length != stride.Length) throw Error($"a tensor with {size.Length} sizes but {stride.Length} strides.");
                    if (size.Any(s => s < 0) || stride.Any(s => s < 0)) throw Error($"a tensor with a negative size or stride ({Fmt(size)}, stride {Fmt(stride)}).");
                    return new TensorRef(storage, offset, size, stride);
                case GlobalKind.RebuildParameter when a.Length == 3:
                case GlobalKind.RebuildParameterWithState when a.Length == 4:
                    return a[0] as TensorRef ?? throw Error($"{g.Name} of {Describe(a[0])}, not a tensor.");
                case GlobalKind.RebuildFromTypeV2 when a.Length == 4 && !nested:
                    // (func, type, args, state): a tensor (or Parameter) carrying Python attributes; the attributes are dropped.
                    if (a[0] is not PyGlobal { Kind: GlobalKind.RebuildTensorV2 or GlobalKind.RebuildParameter or GlobalKind.RebuildParameterWithState } f)
                        throw Error($"_rebuild_from_type_v2 of {Describe(a[0])}.");
                    if (a[1] is not PyGlobal { Kind: GlobalKind.TensorType }) throw Error($"_rebuild_from_type_v2 to {Describe(a[1])}, not torch.Tensor or Parameter.");
                    if (a[2] is not object?[] inner) throw Error("_rebuild_from_type_v2 without an argument tuple.");
                    return Call(f, inner, nested: true);
                case GlobalKind.Size when a.Length == 1:
                    var dims = Ints(a[0], "torch.Size");
                    return dims.Select(d => (object?)d).ToArray();
                default:
                    throw Error($"{g.FullName} called with {a.Length} arguments, which a state dict does not do.");
            }
        }

        private long[] Ints(object? value, string what)
        {
            if (value is not object?[] t) throw Error($"a tensor's {what} is {Describe(value)}, not a tuple.");
            if (t.Length > 64) throw Error($"a tensor's {what} has {t.Length} dimensions.");
            var r = new long[t.Length];
            for (int i = 0; i < t.Length; i++) r[i] = t[i] as long? ?? throw Error($"a tensor's {what} holds {Describe(t[i])}, not an integer.");
            return r;
        }
    }

    private static readonly Dictionary<byte, string> OpcodeNames = new()
    {
        [0x81] = "NEWOBJ",
        [0x92] = "NEWOBJ_EX",
        [(byte)'i'] = "INST",
        [(byte)'o'] = "OBJ",
        [0x82] = "EXT1",
        [0x83] = "EXT2",
        [0x84] = "EXT4",
        [(byte)'P'] = "PERSID",
        [(byte)'I'] = "INT",
        [(byte)'L'] = "LONG",
        [0x8b] = "LONG4",
        [(byte)'F'] = "FLOAT",
        [(byte)'S'] = "STRING",
        [(byte)'T'] = "BINSTRING",
        [(byte)'U'] = "SHORT_BINSTRING",
        [(byte)'V'] = "UNICODE",
        [(byte)'B'] = "BINBYTES",
        [(byte)'C'] = "SHORT_BINBYTES",
        [0x8e] = "BINBYTES8",
        [0x96] = "BYTEARRAY8",
        [0x97] = "NEXT_BUFFER",
        [0x98] = "READONLY_BUFFER",
        [0x8f] = "EMPTY_SET",
        [0x90] = "ADDITEMS",
        [0x91] = "FROZENSET",
        [(byte)'d'] = "DICT",
        [(byte)'l'] = "LIST",
        [(byte)'p'] = "PUT",
        [(byte)'g'] = "GET",
    };
}
